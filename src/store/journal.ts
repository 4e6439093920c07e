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
  readonly malformed: MalformedLine[];
  /** Byte offset just past the last complete line read: where the next read starts. */
  readonly nextOffset: number;
  /** Line number of the first line at `nextOffset` (1-based). */
  readonly nextLine: number;
}

const NEWLINE = 0x0a;

/**
 * Parses the complete lines of a journal buffer. A trailing line without its newline is a write
 * still in progress (or cut short by a crash): it is left for the next read, never half-parsed.
 */
export function parseJournalBuffer(buffer: Uint8Array, startOffset = 0, startLine = 1): JournalChunk {
  const events: RunEvent[] = [];
  const malformed: MalformedLine[] = [];
  const decoder = new TextDecoder('utf-8');
  let lineStart = 0;
  let line = startLine;
  for (let i = buffer.indexOf(NEWLINE); i !== -1; i = buffer.indexOf(NEWLINE, lineStart)) {
    const text = decoder.decode(buffer.subarray(lineStart, i)).trim();
    if (text !== '') {
      const parsed = parseEventLine(text);
      if (parsed.ok) events.push(parsed.event);
      else malformed.push({ line, reason: parsed.reason });
    }
    lineStart = i + 1;
    line++;
  }
  return { events, malformed, nextOffset: startOffset + lineStart, nextLine: line };
}

/** Reads a journal from `offset` to its current end. */
export async function readJournal(path: string, offset = 0, startLine = 1): Promise<JournalChunk> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.max(0, size - offset);
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
