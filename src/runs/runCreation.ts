import { hostname } from 'node:os';
import { basename, dirname, relative } from 'node:path';
import { readGitState } from '../git/gitState';
import type { RunEvent } from '../store/events';
import { claimParam } from '../store/paramClaims';
import { shellQuote } from '../util/shellQuote';
import { RunJournal, newRunId, randomRunName } from './runJournal';

export interface LaunchRequest {
  readonly storeDir: string;
  /** The workspace folder the run starts in. */
  readonly cwd: string;
  readonly python: string;
  /** The training script (absolute path). */
  readonly script: string;
  /** The script's arguments, rendered from the parameters (an argv array). */
  readonly args: readonly string[];
  /** What the run records as its params (name → value as entered). */
  readonly params: Readonly<Record<string, string>>;
  readonly experiment: string;
  readonly name?: string;
  /** Tags to set at creation, e.g. the sweep a run belongs to. */
  readonly tags?: Readonly<Record<string, string>>;
  /** For an MLproject entry point: its name, and the shell command it renders to. */
  readonly entryPoint?: string;
  readonly shellCommand?: string;
  /** Where the code runs from, for its git state: default the script's folder (its repository may be nested in the workspace). */
  readonly codeDir?: string;
}

/**
 * Creates a run the editor launches: its journal with `run_start`, the git state of the code (or
 * the tag `runlog.git` = `none`), its params and tags, and, for a run waiting in the queue, a
 * QUEUED status. The process started later joins this run through RUNLOG_RUN_ID.
 */
export async function createRun(request: LaunchRequest, queued: boolean): Promise<RunJournal> {
  const runId = newRunId();
  const journal = await RunJournal.create(request.storeDir, runId);
  const ts = Date.now();
  const entryPoint = request.entryPoint ?? (relative(request.cwd, request.script) || basename(request.script));
  const events: RunEvent[] = [
    {
      t: 'run_start',
      ts,
      run_id: runId,
      name: request.name ?? randomRunName(),
      experiment: request.experiment,
      command: request.shellCommand ?? [request.python, request.script, ...request.args].map(shellQuote).join(' '),
      cwd: request.cwd,
      entry_point: entryPoint,
      source: request.script,
    },
  ];
  const git = await readGitState(request.codeDir ?? dirname(request.script), request.storeDir);
  events.push(git ? { t: 'git', ts, ...git } : { t: 'tag', ts, key: 'runlog.git', value: 'none' });
  for (const [key, value] of Object.entries(request.params)) {
    // A new run: the claims always succeed, and make the script's own values write-once against them.
    await claimParam(journal.dir, key, value);
    events.push({ t: 'param', ts, key, value });
  }
  for (const [key, value] of Object.entries(request.tags ?? {})) events.push({ t: 'tag', ts, key, value });
  // A queued run depends on the editor that holds the queue: if it goes, the run is interrupted.
  if (queued) events.push({ t: 'status', ts, status: 'QUEUED', pid: process.pid, host: hostname() });
  await journal.append(...events);
  return journal;
}
