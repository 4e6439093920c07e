import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomicFile';
import { JOURNAL_FORMAT } from './events';

/** `<store>/format.json`: the journal format of the store's journals, and who recorded it. */
export const FORMAT_FILE = 'format.json';

export interface StoreFormat {
  readonly journal_format: number;
  /** The extension that recorded it, e.g. `Runlog 0.1.0`. */
  readonly written_by?: string;
}

/** The store's recorded format; undefined when there is none or it cannot be read. */
export async function readStoreFormat(dir: string): Promise<StoreFormat | undefined> {
  try {
    const marker = JSON.parse(await readFile(join(dir, FORMAT_FILE), 'utf8')) as Partial<StoreFormat> | null;
    const format = marker?.journal_format;
    if (typeof format !== 'number' || !Number.isInteger(format) || format < 1) return undefined;
    return {
      journal_format: format,
      ...(typeof marker?.written_by === 'string' ? { written_by: marker.written_by } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * Records that the store's journals are in this extension's `JOURNAL_FORMAT`, so that a Python client
 * of an older format (an old `pip install` in a virtualenv) warns instead of misreading them. Never
 * lowers a newer format: that one is returned, for the caller to report that this extension is the
 * older one. Writes nothing when the store folder does not exist (opening a store never creates it).
 */
export async function recordStoreFormat(dir: string, writtenBy: string): Promise<StoreFormat | undefined> {
  const found = await readStoreFormat(dir);
  if (found && found.journal_format > JOURNAL_FORMAT) return found;
  if (found?.journal_format === JOURNAL_FORMAT && found.written_by === writtenBy) return undefined;
  const marker: StoreFormat = { journal_format: JOURNAL_FORMAT, written_by: writtenBy };
  try {
    await writeFileAtomic(join(dir, FORMAT_FILE), new TextEncoder().encode(`${JSON.stringify(marker)}\n`));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return undefined;
}
