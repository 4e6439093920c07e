import { hostname } from 'node:os';
import { readGitState } from '../git/gitState';
import type { RunEvent } from '../store/events';
import { claimParam } from '../store/paramClaims';
import { RunJournal, newRunId, randomRunName } from './runJournal';

/** What a launched run's journal starts with (a launch plan's, `launchPlan.ts`). */
export interface RunHeader {
  readonly experiment: string;
  /** The command as `run_start` records it: a script's argv shell-quoted, an entry point's shell command. */
  readonly command: string;
  /** Where the process starts. */
  readonly cwd: string;
  /** A script's path in its workspace folder, or `<MLproject path> › <entry point>`. */
  readonly entryPoint: string;
  /** The training script or MLproject file (absolute, in the workspace: also when it runs from a copy). */
  readonly source: string;
  /** What the run records as its params (name → value as entered). */
  readonly params: Readonly<Record<string, string>>;
  /** Tags to set at creation, e.g. the sweep a run belongs to. */
  readonly tags: Readonly<Record<string, string>>;
  /** Where the code runs from, for its git state (its repository may be nested in the workspace). */
  readonly codeDir: string;
  readonly name?: string;
}

/**
 * Creates a run the editor launches: its journal with `run_start`, the git state of the code (or
 * the tag `runlog.git` = `none`), its params and tags, and, for a run waiting in the queue, a
 * QUEUED status. The process started later joins this run through RUNLOG_RUN_ID.
 */
export async function createRun(storeDir: string, header: RunHeader, queued: boolean): Promise<RunJournal> {
  const runId = newRunId();
  const journal = await RunJournal.create(storeDir, runId);
  const ts = Date.now();
  const events: RunEvent[] = [
    {
      t: 'run_start',
      ts,
      run_id: runId,
      name: header.name ?? randomRunName(),
      experiment: header.experiment,
      command: header.command,
      cwd: header.cwd,
      entry_point: header.entryPoint,
      source: header.source,
    },
  ];
  const git = await readGitState(header.codeDir, storeDir);
  events.push(git ? { t: 'git', ts, ...git } : { t: 'tag', ts, key: 'runlog.git', value: 'none' });
  for (const [key, value] of Object.entries(header.params)) {
    // A new run: the claims always succeed, and make the script's own values write-once against them.
    await claimParam(journal.dir, key, value);
    events.push({ t: 'param', ts, key, value });
  }
  for (const [key, value] of Object.entries(header.tags)) events.push({ t: 'tag', ts, key, value });
  // A queued run depends on the editor that holds the queue: if it goes, the run is interrupted.
  if (queued) events.push({ t: 'status', ts, status: 'QUEUED', pid: process.pid, host: hostname() });
  await journal.append(...events);
  return journal;
}
