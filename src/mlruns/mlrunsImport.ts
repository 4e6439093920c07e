import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WirePoint } from '../runs/runJournal';
import { eventLine, metricLines } from '../runs/runJournal';
import type { RunEvent } from '../store/events';
import type { ExperimentMeta, RunMeta } from './mlrunsLayout';
import {
  EXPERIMENT_RESERVED,
  META_FILE,
  REGISTRY_FOLDER,
  TAG_ENTRY_POINT,
  TAG_GIT_BRANCH,
  TAG_GIT_COMMIT,
  TAG_GIT_REPO,
  TAG_PARENT_RUN,
  TAG_RUN_NAME,
  TAG_SOURCE_NAME,
  TAG_USER,
  TRASH_FOLDER,
  isRunId,
  parseExperimentMeta,
  parseMetricLine,
  parseRunMeta,
} from './mlrunsLayout';
import { copyWithDigest, exists, lineBatches, listTree, readKeyedFiles, subfolders } from './mlrunsFiles';
import type { MlflowOrigin } from './mlrunsOrigin';
import { ORIGIN_FILE } from './mlrunsOrigin';

export interface ImportProgress {
  /** Runs handled so far (imported, skipped or unreadable) of `total`. */
  report(done: number, total: number, current: string): void;
  isCancelled(): boolean;
}

export interface ImportSummary {
  readonly imported: number;
  readonly experiments: number;
  /** Runs already in the store: re-importing a folder never duplicates a run. */
  readonly skipped: number;
  /** Experiments and runs that could not be read, with why; nothing of them was imported. */
  readonly unreadable: readonly string[];
  /** What was left out of runs that were imported (a bad metric line, a symlink). */
  readonly warnings: readonly string[];
  readonly cancelled: boolean;
}

interface FoundRun {
  readonly dir: string;
  readonly folder: string;
  readonly experiment: ExperimentMeta;
}

/** Metric points are written to the journal in batches of this many lines. */
const METRIC_BATCH = 4_000;

/**
 * Imports an MLflow file store (`mlruns/`) into a Runlog store: each run becomes a journal
 * `runs/<mlflow run id>/events.jsonl` with its artifacts. A run is built in a staging folder and
 * renamed into `runs/` whole, so the store never ingests half a run, and a run the store already
 * has is skipped: importing the same folder again adds only runs that are new there.
 */
export async function importMlruns(
  source: string,
  storeDir: string,
  progress?: ImportProgress,
): Promise<ImportSummary> {
  const unreadable: string[] = [];
  const warnings: string[] = [];
  const found = await findRuns(source, unreadable);
  const staging = join(storeDir, 'mlflow-import');
  await mkdir(join(storeDir, 'runs'), { recursive: true });
  await writeFile(join(storeDir, '.gitignore'), '*\n', { flag: 'wx' }).catch(() => undefined);
  let imported = 0;
  let skipped = 0;
  let cancelled = false;
  const experiments = new Set<string>();
  for (const [index, run] of found.entries()) {
    if (progress?.isCancelled()) {
      cancelled = true;
      break;
    }
    progress?.report(index, found.length, `${run.experiment.name}/${run.folder}`);
    const target = join(storeDir, 'runs', run.folder);
    if (await exists(target)) {
      skipped++;
      continue;
    }
    const building = join(staging, run.folder);
    try {
      await rm(building, { recursive: true, force: true });
      const problem = await buildRun(run, building, warnings);
      if (problem) {
        unreadable.push(`run ${run.folder}: ${problem}`);
        continue;
      }
      await rename(building, target);
      imported++;
      experiments.add(run.experiment.experimentId);
    } catch (error) {
      unreadable.push(`run ${run.folder}: ${(error as Error).message}`);
    } finally {
      await rm(building, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  await rm(staging, { recursive: true, force: true }).catch(() => undefined);
  return { imported, experiments: experiments.size, skipped, unreadable, warnings, cancelled };
}

/** Every run folder of every readable experiment, active ones first, then the trash. */
async function findRuns(picked: string, unreadable: string[]): Promise<FoundRun[]> {
  // A project folder with an mlruns/ inside is what people pick as often as mlruns/ itself.
  const source = (await exists(join(picked, 'mlruns', TRASH_FOLDER))) ? join(picked, 'mlruns') : picked;
  if (!(await exists(join(source, TRASH_FOLDER))) && !(await subfolders(source)).some((f) => /^\d+$/.test(f))) {
    throw new Error(`${source} does not look like an MLflow store (no experiment folders, no .trash)`);
  }
  const folders = [
    ...(await subfolders(source))
      .filter((name) => name !== TRASH_FOLDER && name !== REGISTRY_FOLDER && !name.startsWith('.'))
      .map((name) => join(source, name)),
    ...(await subfolders(join(source, TRASH_FOLDER))).map((name) => join(source, TRASH_FOLDER, name)),
  ];
  const runs: FoundRun[] = [];
  for (const dir of folders) {
    const experiment = await readMeta(join(dir, META_FILE), parseExperimentMeta);
    if (typeof experiment === 'string') {
      unreadable.push(`experiment ${dir}: ${experiment}`);
      continue;
    }
    for (const folder of await subfolders(dir)) {
      if (EXPERIMENT_RESERVED.has(folder)) continue;
      runs.push({ dir: join(dir, folder), folder, experiment });
    }
  }
  return runs;
}

async function readMeta<T>(
  file: string,
  parse: (text: string) => { ok: true; value: T } | { ok: false; reason: string },
): Promise<T | string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'no meta.yaml' : `meta.yaml cannot be read (${code ?? String(error)})`;
  }
  const parsed = parse(text);
  return parsed.ok ? parsed.value : `meta.yaml: ${parsed.reason}`;
}

/** Writes one run's journal, artifacts and origin into `dir`; returns why the run cannot be imported. */
async function buildRun(run: FoundRun, dir: string, warnings: string[]): Promise<string | undefined> {
  const meta = await readMeta(join(run.dir, META_FILE), parseRunMeta);
  if (typeof meta === 'string') return meta;
  if (meta.runId !== run.folder || !isRunId(run.folder)) {
    return `meta.yaml names run "${meta.runId}", but its folder is "${run.folder}"`;
  }
  const params = await readKeyedFiles(join(run.dir, 'params'));
  const tags = await readKeyedFiles(join(run.dir, 'tags'));
  for (const path of [...params.skipped.map((p) => `params/${p}`), ...tags.skipped.map((p) => `tags/${p}`)]) {
    warnings.push(`run ${meta.runId}: ${path} is not a regular file and was left out`);
  }
  await mkdir(join(dir, 'artifacts'), { recursive: true });
  const journal = await open(join(dir, 'events.jsonl'), 'w');
  try {
    const write = (events: readonly RunEvent[]): Promise<unknown> => journal.appendFile(events.map(eventLine).join(''));
    await write(headEvents(meta, run.experiment, params.values, tags.values));
    await writeMetrics(journal, run.dir, meta, warnings);
    await write(await copyArtifacts(run.dir, dir, meta, warnings));
    await write(tailEvents(meta, run.experiment));
  } finally {
    await journal.close();
  }
  const origin: MlflowOrigin = {
    experiment_id: run.experiment.experimentId,
    experiment_creation_time: run.experiment.creationTime,
    experiment_last_update_time: run.experiment.lastUpdateTime,
    experiment_lifecycle_stage: run.experiment.lifecycleStage,
    run_lifecycle_stage: meta.lifecycleStage,
  };
  await writeFile(join(dir, ORIGIN_FILE), `${JSON.stringify(origin)}\n`);
  return undefined;
}

function startTime(meta: RunMeta, experiment: ExperimentMeta): number {
  return meta.startTime ?? meta.endTime ?? experiment.creationTime ?? 0;
}

/**
 * run_start, git, params and tags. `mlflow.runName` is the run's name and `mlflow.source.git.commit`
 * its git state (MLflow does not record whether the tree was dirty: clean, with no patch, is all
 * that is known); every other tag stays a tag, and `mlflow.parentRunId`, `mlflow.project.entryPoint`,
 * `mlflow.source.name` and `mlflow.user` also fill in the run's start.
 */
export function headEvents(
  meta: RunMeta,
  experiment: ExperimentMeta,
  params: ReadonlyMap<string, string>,
  tags: ReadonlyMap<string, string>,
): RunEvent[] {
  const ts = startTime(meta, experiment);
  const user = meta.userId || tags.get(TAG_USER);
  const source = tags.get(TAG_SOURCE_NAME);
  const parent = tags.get(TAG_PARENT_RUN);
  const entryPoint = tags.get(TAG_ENTRY_POINT);
  const events: RunEvent[] = [
    {
      t: 'run_start',
      ts,
      run_id: meta.runId,
      name: tags.get(TAG_RUN_NAME) || meta.runName || meta.runId,
      experiment: experiment.name,
      ...(user ? { user } : {}),
      ...(source ? { source } : {}),
      ...(parent && isRunId(parent) ? { parent_run_id: parent } : {}),
      ...(entryPoint ? { entry_point: entryPoint } : {}),
    },
  ];
  const commit = tags.get(TAG_GIT_COMMIT);
  if (commit) {
    const branch = tags.get(TAG_GIT_BRANCH);
    const remote = tags.get(TAG_GIT_REPO);
    events.push({
      t: 'git',
      ts,
      commit,
      ...(branch ? { branch } : {}),
      ...(remote ? { remote } : {}),
      dirty: false,
      patch: '',
      untracked: [],
    });
  }
  for (const [key, value] of params) events.push({ t: 'param', ts, key, value });
  for (const [key, value] of tags) {
    if (key !== TAG_RUN_NAME && key !== TAG_GIT_COMMIT) events.push({ t: 'tag', ts, key, value });
  }
  return events;
}

/** The run's end (or its status while not ended) and, for a deleted run or experiment, the trash. */
export function tailEvents(meta: RunMeta, experiment: ExperimentMeta): RunEvent[] {
  const ts = meta.endTime ?? startTime(meta, experiment);
  const events: RunEvent[] = [];
  if (meta.status === 'FINISHED' || meta.status === 'FAILED' || meta.status === 'KILLED') {
    events.push({ t: 'run_end', ts, status: meta.status });
  } else if (meta.status === 'QUEUED') {
    events.push({ t: 'status', ts, status: 'QUEUED' });
  }
  if (meta.lifecycleStage === 'deleted' || experiment.lifecycleStage === 'deleted') {
    events.push({ t: 'lifecycle', ts, action: 'delete' });
  }
  return events;
}

/** Every point of every metric file, NaN and infinities as written; a malformed line is left out. */
async function writeMetrics(journal: FileHandle, runDir: string, meta: RunMeta, warnings: string[]): Promise<void> {
  const { files, skipped } = await listTree(join(runDir, 'metrics'));
  for (const path of skipped)
    warnings.push(`run ${meta.runId}: metrics/${path} is not a regular file and was left out`);
  for (const file of files) {
    let lineNumber = 0;
    // Written as batched lines (journal format 4), METRIC_BATCH points a line.
    let points: WirePoint[] = [];
    for await (const lines of lineBatches(file.absolute)) {
      for (const line of lines) {
        lineNumber++;
        if (line.trim() === '') continue;
        const point = parseMetricLine(line);
        if (!point.ok) {
          warnings.push(`run ${meta.runId}: metrics/${file.path} line ${lineNumber} left out: ${point.reason}`);
          continue;
        }
        const { timestamp, value, step } = point.value;
        points.push({ key: file.path, ts: timestamp, value, step });
        if (points.length === METRIC_BATCH) {
          await journal.appendFile(metricLines(points));
          points = [];
        }
      }
    }
    await journal.appendFile(metricLines(points));
  }
}

async function copyArtifacts(runDir: string, dir: string, meta: RunMeta, warnings: string[]): Promise<RunEvent[]> {
  const { files, skipped } = await listTree(join(runDir, 'artifacts'));
  for (const path of skipped) {
    warnings.push(`run ${meta.runId}: artifacts/${path} is not a regular file (a symlink?) and was not copied`);
  }
  const ts = meta.endTime ?? meta.startTime ?? 0;
  const events: RunEvent[] = [];
  for (const file of files) {
    const { size, sha256 } = await copyWithDigest(file.absolute, join(dir, 'artifacts', ...file.path.split('/')));
    events.push({ t: 'artifact', ts, path: file.path, size, sha256 });
  }
  return events;
}
