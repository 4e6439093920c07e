/**
 * Temporary files of a store (`<store>/tmp/`): an artifact upload streams into one and is renamed
 * into the run's artifacts only when complete. Each name carries its process (`<kind>.<host>.<pid>.<random>`),
 * so the store's writer, when it opens, removes the ones whose process is gone (a crash, a kill)
 * and leaves those of live processes (another endpoint on the same store) alone.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { processAlive } from './lock';

export const TEMP_DIR = 'tmp';
/** A temporary file of another host is removed once this old: its process cannot be asked. */
const FOREIGN_MAX_AGE_MS = 24 * 3600_000;

function hostTag(): string {
  return hostname().replace(/[^A-Za-z0-9-]/g, '-') || 'host';
}

/** A new, unused path in `<store>/tmp/` (the folder is created). */
export async function newTempPath(storeDir: string, kind: string): Promise<string> {
  const dir = join(storeDir, TEMP_DIR);
  await mkdir(dir, { recursive: true });
  return tempName(dir, kind);
}

/** `newTempPath` for the store's thread in a synchronous step (a compaction). */
export function newTempPathSync(storeDir: string, kind: string): string {
  const dir = join(storeDir, TEMP_DIR);
  mkdirSync(dir, { recursive: true });
  return tempName(dir, kind);
}

function tempName(dir: string, kind: string): string {
  return join(dir, `${kind}.${hostTag()}.${process.pid}.${randomBytes(6).toString('hex')}`);
}

/** Removes the temporary files whose process is gone; returns how many went. */
export async function removeStaleTemp(
  storeDir: string,
  isAlive: (pid: number) => boolean = processAlive,
  now = Date.now(),
): Promise<number> {
  const dir = join(storeDir, TEMP_DIR);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const host = hostTag();
  let removed = 0;
  for (const name of names) {
    const match = /^[a-z]+\.(.+)\.(\d+)\.[0-9a-f]+$/.exec(name);
    let stale: boolean;
    if (match && match[1] === host) {
      stale = !isAlive(Number(match[2]));
    } else {
      const info = await stat(join(dir, name)).catch(() => undefined);
      stale = info !== undefined && now - info.mtimeMs > FOREIGN_MAX_AGE_MS;
    }
    if (!stale) continue;
    await rm(join(dir, name), { force: true, recursive: true }).then(
      () => removed++,
      () => undefined,
    );
  }
  return removed;
}
