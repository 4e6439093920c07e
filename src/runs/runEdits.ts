import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunEvent, RunStatus } from '../store/events';
import { NOTE_TAG, RUN_NAME_TAG } from '../store/ingest';
import { appendJournal, runJournalPath } from '../store/journalAppend';
import { eventLine } from './runJournal';

/** A run id as the store accepts it; anything else could name a path outside the runs folder. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function runDir(storeDir: string, runId: string): string {
  if (!RUN_ID.test(runId)) throw new Error(`"${runId}" is not a run id`);
  return join(storeDir, 'runs', runId);
}

/**
 * Appends events to an existing run's journal. The Python client may be appending to the same file
 * right now: every write here is one `write` of whole lines on an O_APPEND descriptor, so lines
 * never interleave; a journal whose last line was cut off gets a newline first (journalAppend.ts).
 * `lines` (journal lines already encoded, such as metricLine's) go first, in the same write. A run's
 * end is fsynced before this resolves. Throws when the run has no journal, or when its folder is a
 * symbolic link.
 */
export async function appendRunEvents(
  storeDir: string,
  runId: string,
  events: readonly RunEvent[],
  lines: string | Uint8Array = '',
): Promise<void> {
  const file = await runJournalPath(storeDir, runId);
  const text = events.map(eventLine).join('');
  await appendJournal(file, typeof lines === 'string' ? lines + text : Buffer.concat([lines, Buffer.from(text)]), {
    durable: events.some((e) => e.t === 'run_end'),
  });
}

/** The events of renaming a run: the store applies the `runlog.name` tag to the run itself. */
export function renameEvents(name: string, ts = Date.now()): RunEvent[] {
  const trimmed = name.trim();
  if (trimmed === '') throw new Error('A run name cannot be empty.');
  return [{ t: 'tag', ts, key: RUN_NAME_TAG, value: trimmed }];
}

/** A note is a tag, so it has a tag's limit (the Python client's and MLflow's). */
export const MAX_NOTE_LENGTH = 8000;

/**
 * The events of setting a run's note (Markdown, the tag MLflow keeps notes in): an empty note
 * removes the tag. Throws on a note longer than a tag may be.
 */
export function noteEvents(note: string, ts = Date.now()): RunEvent[] {
  if (note.length > MAX_NOTE_LENGTH) {
    throw new Error(`A note is at most ${MAX_NOTE_LENGTH} characters, not ${note.length}.`);
  }
  return note.trim() === ''
    ? [{ t: 'lifecycle', ts, action: 'remove_tag', key: NOTE_TAG }]
    : [{ t: 'tag', ts, key: NOTE_TAG, value: note }];
}

/**
 * The input box's form of a note, one line: a line break as `\n`. `fromNoteLine` reads it back;
 * a backslash before `n` stays a backslash when written `\\n`.
 */
export function toNoteLine(note: string): string {
  return note.replace(/\\/g, '\\\\').replace(/\r?\n/g, '\\n');
}

export function fromNoteLine(line: string): string {
  return line.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/**
 * The events that turn a run's user tags from `before` into `after`: set what is new or changed,
 * remove what is gone. Tags under `runlog.` are Runlog's own and never touched here.
 */
export function tagEvents(
  before: Readonly<Record<string, string>>,
  after: Readonly<Record<string, string>>,
  ts = Date.now(),
): RunEvent[] {
  const events: RunEvent[] = [];
  for (const [key, value] of Object.entries(after)) {
    if (isRunlogTag(key)) continue;
    if (before[key] !== value) events.push({ t: 'tag', ts, key, value });
  }
  for (const key of Object.keys(before)) {
    if (!isRunlogTag(key) && !(key in after)) events.push({ t: 'lifecycle', ts, action: 'remove_tag', key });
  }
  return events;
}

export function isRunlogTag(key: string): boolean {
  return key.startsWith('runlog.');
}

/** Tags as typed in one line: `key=value` pairs separated by commas or spaces; a bare key gets "". */
export function parseTags(text: string): Record<string, string> | { error: string } {
  const tags: Record<string, string> = {};
  for (const part of text.split(/[,\n]/)) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = (eq === -1 ? item : item.slice(0, eq)).trim();
    const value = eq === -1 ? '' : item.slice(eq + 1).trim();
    if (key === '') return { error: `"${item}" has no key before "="` };
    if (isRunlogTag(key)) return { error: `"${key}": tags starting with "runlog." are Runlog's own` };
    tags[key] = value;
  }
  return tags;
}

export function formatTags(tags: Readonly<Record<string, string>>): string {
  return Object.entries(tags)
    .filter(([key]) => !isRunlogTag(key))
    .map(([key, value]) => (value === '' ? key : `${key}=${value}`))
    .join(', ');
}

const LIVE: readonly RunStatus[] = ['RUNNING', 'QUEUED'];

/**
 * Deletes a run for good: its folder (journal, artifacts, output log) goes, and every store reading
 * the folder forgets the run at its next scan. A run still running or queued is refused: its
 * process would recreate the journal.
 */
export async function deleteRunFolder(storeDir: string, runId: string, status: RunStatus): Promise<void> {
  if (LIVE.includes(status)) throw new Error(`Run ${runId} is ${status.toLowerCase()}; stop it before deleting it.`);
  await rm(runDir(storeDir, runId), { recursive: true, force: true, maxRetries: 3 });
}
