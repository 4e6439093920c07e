import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RunEvent } from './events';
import { parseEventLine } from './eventParse';
import { MetricBatch, scanMetricLine } from './metricScan';
import { readBatchedLine } from './pointsFile';

export interface MalformedLine {
  /** 1-based line number in the journal. */
  readonly line: number;
  readonly reason: string;
}

export interface JournalChunk {
  /** Every event but metric points, in journal order. */
  readonly events: RunEvent[];
  /** The 1-based journal line of each event, parallel to `events`. */
  readonly lines: number[];
  /** Metric points, grouped by key, each key's in journal order. */
  readonly metrics: MetricBatch;
  readonly malformed: MalformedLine[];
  /** Byte offset just past the last complete line read: where the next read starts. */
  readonly nextOffset: number;
  /** Line number of the first line at `nextOffset` (1-based). */
  readonly nextLine: number;
  /**
   * Set when the file at the path was not the one expected (`readJournal`'s `expectFile`): it was
   * replaced (a compaction) since the caller looked; nothing was read.
   */
  readonly replaced?: boolean;
}

const NEWLINE = 0x0a;
const decoder = new TextDecoder('utf-8');

/**
 * Parses the complete lines of a journal buffer. A trailing line without its newline is a write
 * still in progress (or cut short by a crash): it is left for the next read, never half-parsed.
 * Bytes that are not UTF-8 decode to U+FFFD rather than failing the whole read.
 */
export function parseJournalBuffer(
  input: Uint8Array,
  startOffset = 0,
  startLine = 1,
  /** The run folder, where a compacted journal's lines find their points file (journal format 5). */
  folder?: string,
): JournalChunk {
  // A plain Uint8Array view, whatever came in (Buffers are a subclass): keeps the scanner monomorphic.
  const buffer = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const events: RunEvent[] = [];
  const lines: number[] = [];
  const metrics = new MetricBatch();
  const malformed: MalformedLine[] = [];
  const end = buffer.lastIndexOf(NEWLINE);
  if (end === -1) return { events, lines, metrics, malformed, nextOffset: startOffset, nextLine: startLine };
  // Metric lines are read from the bytes; only the other lines are decoded to text.
  let line = startLine;
  for (let pos = 0; pos <= end; line++) {
    let newline = scanMetricLine(buffer, pos, end + 1, metrics);
    if (newline === -1) {
      newline = buffer.indexOf(NEWLINE, pos);
      const row = decoder.decode(buffer.subarray(pos, newline));
      if (row.trim() !== '') {
        const parsed = parseEventLine(row);
        if (!parsed.ok) {
          if (parsed.batched) {
            // Scratch columns: addPoints copies them before the next line is read.
            const batch = readBatchedLine(parsed.batched, folder, true);
            if (batch.ok) metrics.addPoints(batch.points);
            else malformed.push({ line, reason: batch.reason });
          } else if (parsed.unknownType === undefined) {
            // A newer producer's event type is skipped, not a problem (docs/JOURNAL.md, format 2).
            malformed.push({ line, reason: parsed.reason });
          }
        } else if (parsed.event.t === 'metric') {
          metrics.add(parsed.event.key, parsed.event.step, parsed.event.ts, parsed.event.value);
        } else {
          events.push(parsed.event);
          lines.push(line);
        }
      }
    }
    pos = newline + 1;
  }
  return { events, lines, metrics, malformed, nextOffset: startOffset + end + 1, nextLine: line };
}

/**
 * Reads a journal from `offset` up to `maxBytes` further (the whole rest by default). Only complete
 * lines are consumed; read again from `nextOffset` for more.
 */
export async function readJournal(
  path: string,
  offset = 0,
  startLine = 1,
  maxBytes = Infinity,
  /** A buffer to read into when it is large enough; the chunk returned keeps no view of it. */
  into?: Buffer,
  /** The file's identity (compaction.ts `fileIdOf`) the caller saw: another file there is not read. */
  expectFile?: string,
): Promise<JournalChunk> {
  // Never through a symbolic link: a store reads only its own files.
  const handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    const stats = await handle.stat({ bigint: true });
    if (expectFile !== undefined && `${stats.dev}:${stats.ino}` !== expectFile) {
      return { ...parseJournalBuffer(new Uint8Array(0), offset, startLine), replaced: true };
    }
    const size = Number(stats.size);
    const length = Math.max(0, Math.min(size - offset, maxBytes));
    const buffer = into && into.length >= length ? into.subarray(0, length) : Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(buffer, read, length - read, offset + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return parseJournalBuffer(buffer.subarray(0, read), offset, startLine, dirname(path));
  } finally {
    await handle.close();
  }
}

/**
 * The offset of the first `\n` at or after `from` in a journal, read a megabyte at a time, or -1
 * when the file ends first (the line is still being written). For stepping over a line too long to
 * read whole.
 */
export async function findLineEnd(path: string, from: number): Promise<number> {
  const handle = await open(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    const piece = Buffer.alloc(1 << 20);
    for (let at = from; ;) {
      const { bytesRead } = await handle.read(piece, 0, piece.length, at);
      if (bytesRead === 0) return -1;
      const newline = piece.subarray(0, bytesRead).indexOf(NEWLINE);
      if (newline !== -1) return at + newline;
      at += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/** A chunk that reads nothing but one refused line: for a line too long to read, skipped whole. */
export function skippedLineChunk(line: number, reason: string, nextOffset: number): JournalChunk {
  return {
    events: [],
    lines: [],
    metrics: new MetricBatch(),
    malformed: [{ line, reason }],
    nextOffset,
    nextLine: line + 1,
  };
}
