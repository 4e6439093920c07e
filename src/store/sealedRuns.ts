/**
 * Which runs the store's writer compacts (compaction.ts), and when: sealed runs (ended, their
 * process gone, read whole, no refused line), no push or pull under way, every push state naming
 * the run complete; a journal compacted before only when enough of its points lie outside its
 * points file (docs/JOURNAL.md, "Compacted journals").
 */
import { readFileSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseState } from '../sync/syncState';
import { COMPACT_LINE_POINTS } from './journalCompactor';
import { readMarkerSync } from './journalRewrite';
import { StoreLock } from './lock';
import type { Db } from './sqlite';
import { JOURNAL_FILE, RUNS_DIR } from './storeLocation';

/** The sync folder's name and its push states (src/sync/syncState.ts). */
const SYNC_DIR = 'sync';
const PUSHED_FILE = 'pushed.jsonl';

export interface SealedOptions {
  /** This machine's name: a run of another host cannot be checked for a live process. */
  readonly host?: string;
  readonly isAlive: (pid: number) => boolean;
}

/**
 * How many points a compacted journal must hold outside its points file (a run resumed, points logged
 * to it after its end) before it is compacted again: two chunks' worth, ~60 KB of batched lines.
 */
export const RECOMPACT_POINTS = 2 * COMPACT_LINE_POINTS;

/**
 * Runs whose journals may be compacted, oldest end first: ended (a `run_end` read: FINISHED, FAILED
 * or KILLED with an end time), their process gone (a run of another host is left alone), read to
 * the end of their journal by this database, with no refused line, and not looked at since their
 * journal was last this size (`compact_skip`). A journal compacted before is rewritten again only
 * when it holds RECOMPACT_POINTS outside its points file (`pointsOutside`).
 */
export function sealedRuns(db: Db, options: SealedOptions): string[] {
  const host = options.host ?? hostname();
  const rows = db.all<{ id: string; pid: number | null; host: string | null }>(
    `SELECT r.id AS id, r.pid AS pid, r.host AS host FROM runs r JOIN journals j ON j.run_id = r.id
     WHERE r.status IN ('FINISHED', 'FAILED', 'KILLED') AND r.end_time IS NOT NULL
       AND (j.compact_skip IS NULL OR j.compact_skip <> j.offset)
       AND NOT EXISTS (SELECT 1 FROM rejected_events e WHERE e.run_id = r.id)
     ORDER BY r.end_time`,
  );
  return rows
    .filter((row) => row.pid === null || (row.host === host && !options.isAlive(row.pid)))
    .map((row) => row.id);
}

/**
 * How many of a compacted run's points its journal holds outside its points file: every point the
 * database has of it, less those its first line says the compaction moved there.
 */
export function pointsOutside(db: Db, dir: string, runId: string): number {
  const total = db.get<{ n: number | null }>('SELECT SUM(count) AS n FROM metric_series WHERE run_id = ?', [runId])?.n;
  const marker = readMarkerSync(join(dir, RUNS_DIR, runId, JOURNAL_FILE));
  return marker?.points === undefined ? 0 : Math.max(0, (total ?? 0) - marker.points);
}

/** Whether a push or pull is under way with any server (a live `<store>/sync/<key>/lock`). */
export function syncUnderWay(dir: string, isAlive: (pid: number) => boolean): boolean {
  for (const key of syncFolders(dir)) {
    try {
      const lock = JSON.parse(readFileSync(join(dir, SYNC_DIR, key, 'lock'), 'utf8')) as {
        pid: number;
        host: string;
        heartbeat: number;
        token: string;
      };
      if (!StoreLock.isStale(lock, { isAlive })) return true;
    } catch {
      // No lock (or one being replaced: read as free; a push that starts now finds the journal's
      // generation changed under it and stops, pushRun.ts).
    }
  }
  return false;
}

function syncFolders(dir: string): string[] {
  try {
    return readdirSync(join(dir, SYNC_DIR));
  } catch {
    return [];
  }
}

/**
 * The push states (`<store>/sync/<key>/pushed.jsonl`) that name this run, when each says the server
 * has all of its journal of `size` bytes and `generation` as it is (done, confirmed to the end,
 * nothing on its way): compaction then tells each the new journal's size and generation. Undefined
 * when one does not: a push still has offsets of this file to resume from, so the run waits.
 */
export function pushedStates(dir: string, runId: string, size: number, generation = ''): string[] | undefined {
  const needle = `"run":${JSON.stringify(runId)}`;
  const folders: string[] = [];
  for (const key of syncFolders(dir)) {
    const file = join(dir, SYNC_DIR, key, PUSHED_FILE);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (!text.includes(needle)) continue;
    const state = parseState(text).get(runId);
    if (!state) continue;
    if (!state.done || state.offset !== size || state.unconfirmed || state.generation !== generation) return undefined;
    folders.push(file);
  }
  return folders;
}
