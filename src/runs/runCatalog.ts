import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MalformedLine } from '../store/journal';
import { readJournal } from '../store/journal';
import type { RunSummary } from './runSummary';
import { summarizeRun } from './runSummary';

export const JOURNAL_FILE = 'events.jsonl';
export const RUNS_DIR = 'runs';

export interface JournalProblem {
  readonly runId: string;
  readonly file: string;
  readonly problems: readonly MalformedLine[] | string;
}

export interface Catalog {
  readonly runs: RunSummary[];
  readonly problems: JournalProblem[];
}

export interface ExperimentGroup {
  readonly name: string;
  readonly runs: readonly RunSummary[];
}

/** Run ids are folder names written by our own producers; anything else in `runs/` is not a run. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * Reads every run journal under `<storeDir>/runs/`. A store that does not exist yet is simply
 * empty; a journal that cannot be read or has bad lines is reported, never fatal.
 */
export async function readCatalog(storeDir: string): Promise<Catalog> {
  const runsDir = join(storeDir, RUNS_DIR);
  let entries: string[];
  try {
    entries = await readdir(runsDir);
  } catch (error) {
    if (isMissing(error)) return { runs: [], problems: [] };
    throw error;
  }
  const runs: RunSummary[] = [];
  const problems: JournalProblem[] = [];
  await Promise.all(
    entries
      .filter((name) => RUN_ID.test(name))
      .map(async (runId) => {
        const file = join(runsDir, runId, JOURNAL_FILE);
        try {
          const chunk = await readJournal(file);
          if (chunk.malformed.length > 0) problems.push({ runId, file, problems: chunk.malformed });
          if (chunk.events.length > 0) runs.push(summarizeRun(runId, chunk.events));
        } catch (error) {
          if (!isMissing(error)) problems.push({ runId, file, problems: (error as Error).message });
        }
      }),
  );
  runs.sort((a, b) => b.startTime - a.startTime || a.id.localeCompare(b.id));
  return { runs, problems };
}

/** Groups runs by experiment, experiments by name; runs keep their order (newest first). */
export function groupByExperiment(runs: readonly RunSummary[]): ExperimentGroup[] {
  const groups = new Map<string, RunSummary[]>();
  for (const run of runs) {
    const group = groups.get(run.experiment);
    if (group) group.push(run);
    else groups.set(run.experiment, [run]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, list]) => ({ name, runs: list }));
}
