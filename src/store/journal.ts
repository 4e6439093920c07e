import { open } from 'node:fs/promises';
import type { RunEvent } from './events';
import { parseEventLine } from './events';

export interface MalformedLine {
  /** 1-based line number in the journal. */
  readonly line: number;
  readonly reason: string;
}

export interface JournalChunk {
  readonly events: RunEvent[];
  /** The 1-based journal line of each event, parallel to `events`. */
  readonly lines: number[];
  readonly malformed: MalformedLine[];
  /** Byte offset just past the last complete line read: where the next read starts. */
  readonly nextOffset: number;
  /** Line number of the first line at `nextOffset` (1-based). */
  readonly nextLine: number;
}

const NEWLINE = 0x0a;
const decoder = new TextDecoder('utf-8');

/**
 * Parses the complete lines of a journal buffer. A trailing line without its newline is a write
 * still in progress (or cut short by a crash): it is left for the next read, never half-parsed.
 * Bytes that are not UTF-8 decode to U+FFFD rather than failing the whole read.
 */
export function parseJournalBuffer(buffer: Uint8Array, startOffset = 0, startLine = 1): JournalChunk {
  const events: RunEvent[] = [];
  const lines: number[] = [];
  const malformed: MalformedLine[] = [];
  const end = buffer.lastIndexOf(NEWLINE);
  if (end === -1) return { events, lines, malformed, nextOffset: startOffset, nextLine: startLine };
  // One decode and one split for the whole buffer: far faster than a decode per line.
  const rows = decoder.decode(buffer.subarray(0, end)).split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (row.trim() === '') continue;
    const parsed = parseEventLine(row);
    if (parsed.ok) {
      events.push(parsed.event);
      lines.push(startLine + i);
    } else {
      malformed.push({ line: startLine + i, reason: parsed.reason });
    }
  }
  return { events, lines, malformed, nextOffset: startOffset + end + 1, nextLine: startLine + rows.length };
}

/**
 * Reads a journal from `offset` up to `maxBytes` further (the whole rest by default). Only complete
 * lines are consumed; read again from `nextOffset` for more.
 */
export async function readJournal(path: string, offset = 0, startLine = 1, maxBytes = Infinity): Promise<JournalChunk> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.max(0, Math.min(size - offset, maxBytes));
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(buffer, read, length - read, offset + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return parseJournalBuffer(buffer.subarray(0, read), offset, startLine);
  } finally {
    await handle.close();
  }
}
