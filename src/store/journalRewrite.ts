/**
 * A compacted journal (docs/JOURNAL.md, "Compacted journals"): how a reader tells which generation
 * of a journal it has (journalCompactor.ts rewrites a journal; compaction.ts does it in the store).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { MARKER_PREFIX } from './journalCompactor';

const NEWLINE = 0x0a;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

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
  return markerOf(head)?.generation ?? '';
}

/**
 * A compacted journal's first line, from the journal's first bytes: its generation and how many
 * points it moved to the points file; undefined for a journal never compacted.
 */
export function markerOf(head: Uint8Array): { generation: string; points?: number } | undefined {
  const buffer = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (!buffer.subarray(0, MARKER_PREFIX.length).equals(Buffer.from(MARKER_PREFIX))) return undefined;
  const end = buffer.indexOf(NEWLINE);
  if (end === -1) return undefined;
  try {
    const { generation, points } = JSON.parse(buffer.subarray(0, end).toString('utf8')) as Record<string, unknown>;
    if (typeof generation !== 'string') return undefined;
    return Number.isSafeInteger(points) ? { generation, points: points as number } : { generation };
  } catch {
    return undefined;
  }
}

/** The first line of the journal at `file` when it is a compacted journal's (`markerOf`). */
export function readMarkerSync(file: string): { generation: string; points?: number } | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    return markerOf(readHead(fd));
  } finally {
    closeSync(fd);
  }
}

/** A file's identity: device and inode, which a rename over it changes. */
export function fileIdOf(stats: { dev: bigint | number; ino: bigint | number }): string {
  return `${stats.dev}:${stats.ino}`;
}
