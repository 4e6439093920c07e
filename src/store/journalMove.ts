/**
 * Replacing a journal under writers that may have it open (docs/JOURNAL.md, "Replacing a journal"):
 * compaction renames a new file over a sealed run's journal, and an appender — the Python client
 * resuming the run, the MLflow endpoint logging to it, an edit in the editor — may have opened the
 * old file just before, and write to it after. Every writer opens the journal for each append, so
 * such a write is the only one that can land in the old file; this protocol carries it over, once:
 *
 * The replacer (`compactSteps`, then `finishMove`):
 * 1. hard-links the journal as `<store>/compacting/<from>.<run id>` (`from`: the bytes it rewrote)
 *    and fsyncs that folder, so a replacer that dies still leaves the old file findable;
 * 2. renames the new file over the journal and fsyncs the run folder;
 * 3. appends a `moved` line to the old file: the lines after it are not carried over;
 * 4. appends the old file's whole lines in [from, moved) to the new journal (fsynced);
 * 5. removes the link.
 *
 * An appender (`appendJournal` here, `_journal.py` in the Python client) that finds, after its
 * write, that the journal's path names another file than the one it wrote to, looks in that file for
 * a `moved` line: what it wrote after one, it appends again to the journal; what it wrote before one
 * was carried over by step 4; no `moved` line yet means step 3 is still to come and will carry it.
 *
 * A writer opening the store finishes the moves of a replacer that died (`recoverMoves`): a link
 * still naming the journal means the rename never happened (the link goes); otherwise steps 3–5,
 * step 4 skipped when the journal holds those bytes already (the replacer died after it).
 */
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { JOURNAL_FILE, RUNS_DIR, RUN_ID } from './storeLocation';

/** The folder of the links to journals being replaced. */
export const MOVES_DIR = 'compacting';
/** The type of the line that ends what a replaced journal's replacer carried over. */
const MOVED = 'moved';
/** A `moved` line starts with these bytes (its writer puts `t` first). */
const MOVED_PREFIX = Buffer.from(`{"t":"${MOVED}",`);
const NEWLINE = 0x0a;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
/** How much of a file is read at a time while looking for its `moved` line. */
const PIECE = 64 * 1024;

/** Writes all of `bytes` at the descriptor's position (its end, for an O_APPEND one). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * Bytes [from, to) of an open file, fewer when it ends before `to`; read into the start of `into`
 * when given (it must have room), else into a new buffer.
 */
export function readAt(fd: number, from: number, to: number, into?: Buffer): Buffer {
  const bytes = into ? into.subarray(0, Math.max(0, to - from)) : Buffer.alloc(Math.max(0, to - from));
  let done = 0;
  while (done < bytes.length) {
    const n = readSync(fd, bytes, done, bytes.length - done, from + done);
    if (n === 0) break;
    done += n;
  }
  return bytes.subarray(0, done);
}

/** fsyncs a folder, so a file created or renamed in it survives a power cut (a no-op where unsupported). */
export function fsyncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot fsync a folder: the rename is as durable as it allows.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The pieces a search for a file's `moved` line reads, from the end of the file back to `from`: each
 * overlaps the next by a prefix's length (a line start cut between pieces is found) and takes the
 * byte before it (to see whether a match starts a line).
 */
function* pieces(from: number, size: number): Generator<{ readonly start: number; readonly end: number }> {
  for (let end = size; end > from; end = Math.max(from, end - PIECE)) {
    const start = Math.max(from, end - PIECE);
    yield { start: start > 0 ? start - 1 : 0, end: Math.min(end + MOVED_PREFIX.length, size) };
  }
}

/** Where in a piece read from `start` a `moved` line starts (the last one), as a file offset. */
function movedIn(piece: Buffer, start: number): number | undefined {
  for (
    let at = piece.lastIndexOf(MOVED_PREFIX);
    at !== -1;
    at = at > 0 ? piece.lastIndexOf(MOVED_PREFIX, at - 1) : -1
  ) {
    if (start + at === 0 || (at > 0 && piece[at - 1] === NEWLINE)) return start + at;
  }
  return undefined;
}

/** Where the `moved` line of an open file starts at or after `from`; undefined when it has none. */
function findMoved(fd: number, from = 0): number | undefined {
  for (const { start, end } of pieces(from, fstatSync(fd).size)) {
    const at = movedIn(readAt(fd, start, end), start);
    if (at !== undefined && at >= from) return at;
  }
  return undefined;
}

/** `findMoved` for an appender's open journal, without blocking its thread. */
async function findMovedAsync(handle: FileHandle, size: number): Promise<number | undefined> {
  for (const { start, end } of pieces(0, size)) {
    const piece = Buffer.alloc(end - start);
    const { bytesRead } = await handle.read(piece, 0, piece.length, start);
    const at = movedIn(piece.subarray(0, bytesRead), start);
    if (at !== undefined) return at;
  }
  return undefined;
}

/** Step 1: the link that keeps the old journal findable until its move is finished. */
export function holdJournal(dir: string, runId: string, from: number): string {
  const folder = join(dir, MOVES_DIR);
  mkdirSync(folder, { recursive: true });
  const hold = join(folder, `${from}.${runId}`);
  linkSync(join(dir, RUNS_DIR, runId, JOURNAL_FILE), hold);
  fsyncFolder(folder);
  return hold;
}

/** Gives up a hold before the rename (nothing was replaced). */
export function releaseHold(hold: string): void {
  rmSync(hold, { force: true });
}

/**
 * Steps 3–5 for the old journal held at `hold`, replaced at `journal`, of which the replacement holds
 * the first `from` bytes: returns how many bytes of lines it carried over. `recovering`: a replacer
 * may have died after step 4, so lines the journal holds already are not appended again.
 */
export function finishMove(hold: string, journal: string, from: number, recovering = false): number {
  const fd = openSync(hold, constants.O_RDWR | constants.O_APPEND | O_NOFOLLOW);
  let carried = 0;
  try {
    let moved = findMoved(fd, from);
    if (moved === undefined) {
      const size = fstatSync(fd).size;
      const cut = size > from && readAt(fd, size - 1, size)[0] !== NEWLINE;
      writeAll(fd, Buffer.from(`${cut ? '\n' : ''}{"t":"${MOVED}","ts":${Date.now()}}\n`));
      fsyncSync(fd);
      // Another appender may have written between the size and this line: look where it landed.
      moved = findMoved(fd, from) ?? size;
    }
    const late = readAt(fd, from, moved);
    const whole = late.subarray(0, late.lastIndexOf(NEWLINE) + 1);
    if (whole.length > 0) carried = appendOnce(journal, whole, recovering);
  } finally {
    closeSync(fd);
  }
  rmSync(hold, { force: true });
  return carried;
}

/** Appends whole lines to a journal on a line of their own, unless `once` and it holds them already. */
function appendOnce(journal: string, lines: Buffer, once: boolean): number {
  const out = openSync(journal, constants.O_RDWR | constants.O_APPEND | O_NOFOLLOW);
  try {
    const size = fstatSync(out).size;
    if (once && size >= lines.length && readAt(out, 0, size).includes(lines)) return 0;
    const cut = size > 0 && readAt(out, size - 1, size)[0] !== NEWLINE;
    writeAll(out, cut ? Buffer.concat([Buffer.from('\n'), lines]) : lines);
    fsyncSync(out);
    return lines.length;
  } finally {
    closeSync(out);
  }
}

/**
 * Finishes the moves a replacer that died left (their links in `<store>/compacting/`); writer only,
 * when the store opens, before its journals are read. Returns the runs whose journal got lines.
 */
export function recoverMoves(dir: string, log: (message: string) => void): string[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, MOVES_DIR));
  } catch {
    return [];
  }
  const grown: string[] = [];
  for (const name of names) {
    const hold = join(dir, MOVES_DIR, name);
    const match = /^(\d+)\.(.+)$/.exec(name);
    try {
      if (!match?.[1] || !match[2] || !RUN_ID.test(match[2])) {
        rmSync(hold, { force: true });
        continue;
      }
      const runId = match[2];
      const journal = join(dir, RUNS_DIR, runId, JOURNAL_FILE);
      const held = lstatSync(hold);
      const now = lstatSync(journal, { throwIfNoEntry: false });
      // Never renamed (the replacer died before step 2), or the run is gone: nothing to carry.
      if (!held.isFile() || !now?.isFile() || (now.ino === held.ino && now.dev === held.dev)) {
        rmSync(hold, { force: true });
        continue;
      }
      if (finishMove(hold, journal, Number(match[1]), true) > 0) {
        grown.push(runId);
        log(`Run ${runId}: lines written to its journal while it was compacted were carried over.`);
      }
    } catch (error) {
      log(`Could not finish moving the journal held at ${name}: ${(error as Error).message}`);
    }
  }
  return grown;
}

/**
 * The appender's side: after writing `data` through `handle` to the journal at `file`, whether the
 * file was replaced meanwhile and what it wrote landed after the old file's `moved` line, so nothing
 * carries it over — then the appender must append `data` again to `file`. `identity`: the dev and
 * ino of `handle`'s file (a `stat` of it with `bigint`).
 */
export async function strandedAfterMove(
  handle: FileHandle,
  identity: { readonly dev: bigint; readonly ino: bigint },
  file: string,
  data: Uint8Array,
): Promise<boolean> {
  const now = await lstat(file, { bigint: true }).catch(() => undefined);
  // The same file, or the run is gone (deleted: there is no journal to carry anything to).
  if (!now || (now.ino === identity.ino && now.dev === identity.dev)) return false;
  const { size } = await handle.stat();
  const moved = await findMovedAsync(handle, size);
  if (moved === undefined) return false;
  const after = Buffer.alloc(size - moved);
  const { bytesRead } = await handle.read(after, 0, after.length, moved);
  return after.subarray(0, bytesRead).includes(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}
