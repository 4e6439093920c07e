/**
 * How Node code appends to a journal (docs/JOURNAL.md), one rule for every writer — the editor's
 * launcher and edits, the MLflow endpoint, interrupted-marking, the experiment and registry
 * journals:
 *
 * - whole lines in one `write` on an O_APPEND descriptor, so lines of concurrent writers never
 *   interleave;
 * - a file that does not end in `\n` (a writer died mid-line) gets a `\n` first, so the new line is
 *   never glued onto the cut-off one;
 * - a journal that is a symbolic link is never opened (O_NOFOLLOW), nor a run folder that is one;
 * - `durable` appends (a run's end) are fsynced, with the folder, before the promise resolves;
 * - lines that land in a journal after compaction replaced it are written again to the new one
 *   (journalMove.ts says when).
 */
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { lstat, open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { strandedAfterMove } from './journalMove';
import { JOURNAL_FILE, RUNS_DIR, RUN_ID } from './storeLocation';

const NEWLINE = 0x0a;
/** 0 where the platform has no O_NOFOLLOW (Windows), whose symlinks need privileges to make. */
export const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

export interface AppendOptions {
  /** Create the file when it is missing (default: a missing journal is an ENOENT error). */
  readonly create?: boolean;
  /** fsync the file and its folder before resolving: the lines survive a power cut. */
  readonly durable?: boolean;
}

/** A run folder or journal the store will not read or write: a symlink, or not a folder. */
export class UnsafeRunPath extends Error {
  readonly code = 'EUNSAFE';
}

/** Whether the last byte of an open file of `size` bytes is `\n` (an empty file counts as ending a line). */
async function endsWithNewline(handle: FileHandle, size: number): Promise<boolean> {
  if (size === 0) return true;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  return last[0] === NEWLINE;
}

/** Appends `text` (whole lines, each ending in `\n`; UTF-8 bytes or a string) to the journal `file` by the rules above. */
export async function appendJournal(
  file: string,
  text: string | Uint8Array,
  options: AppendOptions = {},
): Promise<void> {
  if (text.length === 0) return;
  await append(file, typeof text === 'string' ? Buffer.from(text, 'utf8') : text, options, false);
}

/** `carrying`: these lines landed in a journal compaction replaced, and go to the new one (once). */
async function append(file: string, lines: Uint8Array, options: AppendOptions, carrying: boolean): Promise<void> {
  const flags = constants.O_RDWR | constants.O_APPEND | O_NOFOLLOW | (options.create ? constants.O_CREAT : 0);
  let handle: FileHandle;
  try {
    handle = await open(file, flags, 0o666);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new UnsafeRunPath(
        `the journal ${basename(dirname(file))}/${basename(file)} is a symbolic link; Runlog does not write through links in a store`,
      );
    }
    throw error;
  }
  let stranded: boolean;
  try {
    const identity = await handle.stat({ bigint: true });
    const prefix = (await endsWithNewline(handle, Number(identity.size))) ? '' : '\n';
    const data = prefix ? Buffer.concat([Buffer.from(prefix), lines], prefix.length + lines.length) : lines;
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await handle.write(data, written, data.length - written);
      written += bytesWritten;
    }
    if (options.durable) await handle.sync();
    // Compaction may have replaced the journal since the open (journalMove.ts): lines that landed
    // in the old file after its replacer stopped carrying them over are written again.
    stranded = !carrying && (await strandedAfterMove(handle, identity, file, lines));
  } finally {
    await handle.close();
  }
  if (stranded) {
    await append(file, lines, { ...options, create: false }, true);
    return;
  }
  if (options.durable) await syncFolder(dirname(file));
}

/** fsyncs a folder, so a file created or renamed in it survives a power cut (a no-op where unsupported). */
export async function syncFolder(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot open or fsync a folder; the file itself was synced.
  } finally {
    await handle?.close();
  }
}

/**
 * The journal of run `runId` in `storeDir`, after checking that the run folder is a real folder of
 * the store: a run id names nothing outside `runs/`, and a symlinked run folder is refused (it
 * would let writes land anywhere). A missing folder is an ENOENT error, as for a missing file.
 */
export async function runJournalPath(storeDir: string, runId: string): Promise<string> {
  if (!RUN_ID.test(runId)) throw new Error(`"${runId}" is not a run id`);
  const folder = join(storeDir, RUNS_DIR, runId);
  const info = await lstat(folder);
  if (info.isSymbolicLink()) {
    throw new UnsafeRunPath(`the run folder runs/${runId} is a symbolic link; Runlog does not follow it`);
  }
  if (!info.isDirectory()) throw new UnsafeRunPath(`runs/${runId} is not a folder`);
  return join(folder, JOURNAL_FILE);
}
