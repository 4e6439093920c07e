// What the fault suite checks after each fault: what a journal holds (read without the store's
// code), whether the store opens without calling its database unreadable, and leftovers.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMetricBatch } from '../../src/store/metricBatchLine';
import { RunStore } from '../../src/store/runStore';

export interface Outcome {
  trials: number;
  /** Acknowledged events (a 200, a flush() that returned True) missing afterwards. */
  lost: number;
  /** Stores that would not open cleanly (database unreadable, a refused open). */
  corrupt: number;
  /** Descriptors or temporary files left behind, or files written outside the store. */
  leaked: number;
  /** Anything else worth a line under the table. */
  notes: string[];
  /** How the fault was made, when there is more than one way (a tmpfs, or injected errors). */
  via?: string;
}

export const outcome = (): Outcome => ({ trials: 0, lost: 0, corrupt: 0, leaked: 0, notes: [] });

/**
 * Counts `n` misses of one kind together with the line that says what they were. A count without
 * its line once failed CI with only "7 of 8 faults held" to go on.
 */
export function miss(result: Outcome, kind: 'lost' | 'corrupt' | 'leaked', n: number, note: string): void {
  if (n <= 0) return;
  result[kind] += n;
  result.notes.push(note);
}

export interface JournalFacts {
  /** `key/step` of every complete metric line. */
  readonly points: Set<string>;
  readonly params: Map<string, string[]>;
  readonly tags: Map<string, string>;
  readonly ended: boolean;
}

/** `key/step` of each point of a batched metric line (journal format 4); none of a refused one. */
export function batchedPoints(fields: object): string[] {
  const batch = parseMetricBatch(fields as Readonly<Record<string, unknown>>);
  return batch.ok ? [...batch.points.steps].map((step) => `${batch.points.key}/${step}`) : [];
}

/** The complete, well-formed lines of a journal. */
export function journalFacts(file: string): JournalFacts {
  const points = new Set<string>();
  const params = new Map<string, string[]>();
  const tags = new Map<string, string>();
  let ended = false;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { points, params, tags, ended };
  }
  for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
    if (!line.startsWith('{')) continue;
    let event: { t?: string; key?: string; value?: unknown; step?: number };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      continue;
    }
    if (event.t === 'metric') points.add(`${event.key}/${event.step}`);
    else if (event.t === 'metrics') for (const point of batchedPoints(event)) points.add(point);
    else if (event.t === 'param')
      params.set(String(event.key), [...(params.get(String(event.key)) ?? []), String(event.value)]);
    else if (event.t === 'tag') tags.set(String(event.key), String(event.value));
    else if (event.t === 'run_end') ended = true;
  }
  return { points, params, tags, ended };
}

/** Opens the store as a reader (never changing it); undefined and a note when it would not. */
export async function openStore(dir: string, result: Outcome): Promise<RunStore | undefined> {
  const logs: string[] = [];
  try {
    const store = await RunStore.open({ dir, writer: false, version: 'faults', log: (m) => logs.push(m) });
    if (logs.some((m) => m.includes('unreadable'))) {
      result.corrupt++;
      result.notes.push(logs.join('; '));
    }
    return store;
  } catch (error) {
    result.corrupt++;
    result.notes.push(`the store would not open: ${(error as Error).message}`);
    return undefined;
  }
}

/** Temporary upload files anywhere in a store. */
export function tempFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (folder: string): void => {
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) walk(join(folder, entry.name));
      else if (entry.name.startsWith('upload.') || entry.name.includes('.runlog-upload-')) found.push(entry.name);
    }
  };
  walk(dir);
  return found;
}

export function scratch(name: string): string {
  return mkdtempSync(join(tmpdir(), `runlog-faults-${name}-`));
}

export function remove(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A small tmpfs mounted at a new folder, when this process may mount one (root, a capable container). */
export function mountTmpfs(size: string): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0 || process.env['RUNLOG_FAULTS_NO_MOUNT'])
    return undefined;
  const dir = scratch('mnt');
  const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
  if (result.status !== 0) {
    remove(dir);
    return undefined;
  }
  return dir;
}

export function remount(dir: string, mode: 'ro' | 'rw'): boolean {
  return spawnSync('mount', ['-o', `remount,${mode}`, dir], { stdio: 'ignore' }).status === 0;
}

export function unmount(dir: string): void {
  spawnSync('umount', [dir], { stdio: 'ignore' });
  if (existsSync(dir)) remove(dir);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
