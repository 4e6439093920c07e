/**
 * A compacted journal (docs/JOURNAL.md, "Compacted journals"): how a reader tells which generation
 * of a journal it has, and the rewrite of a journal held in memory (journalCompactor.ts rewrites in
 * pieces; compaction.ts does it in the store).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { PointsLinePlace } from './journalCompactor';
import { JournalCompactor, MARKER_PREFIX } from './journalCompactor';

/** The type of a compacted journal's first line. */
export const COMPACTED = 'compacted';
const NEWLINE = 0x0a;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

export interface CompactedJournal {
  /** The new journal, every line ended by `\n`. */
  readonly bytes: Buffer;
  /** How many lines it has. */
  readonly lines: number;
  /** Metric points moved into the points file. */
  readonly points: number;
  /** The points file the new lines name (`pointsFileName(generation)`): empty when no key moved. */
  readonly pointsFile: Buffer;
  /** Each rewritten key's lines, in order: where each is in `bytes` (with its `\n`) and its points. */
  readonly batched: ReadonlyMap<string, readonly PointsLinePlace[]>;
  /** Points files that lines kept as they were name (a journal compacted before and copied here). */
  readonly keptFiles: ReadonlySet<string>;
}

/**
 * Rewrites a journal held whole in memory (`input`, its complete lines) by the rules of
 * JournalCompactor: the new journal and its points file, as bytes.
 */
export function compactJournal(input: Uint8Array, generation: string, ts: number): CompactedJournal {
  const compactor = new JournalCompactor(generation, ts);
  const points: Uint8Array[] = [];
  const journal: Uint8Array[] = [];
  compactor.scan(input, (bytes) => points.push(bytes));
  compactor.endScan((bytes) => points.push(bytes));
  compactor.rewrite(input, (bytes) => journal.push(bytes));
  const summary = compactor.finish((bytes) => journal.push(bytes));
  return {
    bytes: Buffer.concat(journal),
    lines: summary.lines,
    points: summary.points,
    pointsFile: Buffer.concat(points),
    batched: summary.batched,
    keptFiles: summary.keptFiles,
  };
}

/** How much of a journal's start holds its compacted first line's generation. */
const HEAD_BYTES = 512;

/**
 * The generation named by a journal's first line, when it is a compacted journal's; '' for any
 * other journal (or none). Undefined when the file there is not `expectFile` (replaced since the
 * caller looked).
 */
export function readGenerationSync(file: string, expectFile?: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | O_NOFOLLOW);
  } catch {
    return expectFile === undefined ? '' : undefined;
  }
  try {
    if (expectFile !== undefined && fileIdOf(fstatSync(fd, { bigint: true })) !== expectFile) return undefined;
    return generationOf(readHead(fd));
  } finally {
    closeSync(fd);
  }
}

function readHead(fd: number): Buffer {
  const head = Buffer.alloc(HEAD_BYTES);
  const n = readSync(fd, head, 0, head.length, 0);
  return head.subarray(0, n);
}

/** `readGenerationSync` for an open journal, without blocking its thread. */
export async function readGenerationOf(handle: FileHandle): Promise<string> {
  const head = Buffer.alloc(HEAD_BYTES);
  const { bytesRead } = await handle.read(head, 0, head.length, 0);
  return generationOf(head.subarray(0, bytesRead));
}

/** The generation a journal's first line names ('' for one never compacted), read without blocking. */
export async function readGeneration(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | O_NOFOLLOW);
  try {
    return await readGenerationOf(handle);
  } finally {
    await handle.close();
  }
}

/** The generation in a journal's first bytes ('' unless they start a compacted journal's first line). */
export function generationOf(head: Uint8Array): string {
  const buffer = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (!buffer.subarray(0, MARKER_PREFIX.length).equals(Buffer.from(MARKER_PREFIX))) return '';
  const end = buffer.indexOf(NEWLINE);
  if (end === -1) return '';
  try {
    const generation = (JSON.parse(buffer.subarray(0, end).toString('utf8')) as { generation?: unknown }).generation;
    return typeof generation === 'string' ? generation : '';
  } catch {
    return '';
  }
}

/** A file's identity: device and inode, which a rename over it changes. */
export function fileIdOf(stats: { dev: bigint | number; ino: bigint | number }): string {
  return `${stats.dev}:${stats.ino}`;
}
