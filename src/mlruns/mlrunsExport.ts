import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readJournal } from '../store/journal';
import type { RunFacts } from './journalFacts';
import { applyEvent, emptyFacts } from './journalFacts';
import type { ExperimentMeta } from './mlrunsLayout';
import {
  DEFAULT_EXPERIMENT_ID,
  DEFAULT_EXPERIMENT_NAME,
  META_FILE,
  REGISTRY_FOLDER,
  TAG_GIT_BRANCH,
  TAG_GIT_COMMIT,
  TAG_GIT_REPO,
  TAG_RUN_NAME,
  TAG_SOURCE_NAME,
  TAG_USER,
  TRASH_FOLDER,
  experimentMetaYaml,
  isRunId,
  isSafeKey,
  metricLine,
  parseExperimentMeta,
  runMetaYaml,
} from './mlrunsLayout';
import { copyWithDigest, exists, listTree, subfolders } from './mlrunsFiles';
import type { MlflowOrigin } from './mlrunsOrigin';
import { readOrigin } from './mlrunsOrigin';

export interface ExportProgress {
  report(done: number, total: number, current: string): void;
  isCancelled(): boolean;
}

export interface ExportSummary {
  readonly exported: number;
  readonly experiments: number;
  /** Runs the target already holds (a run folder with its meta.yaml): never written twice. */
  readonly skipped: number;
  readonly failed: readonly string[];
  readonly warnings: readonly string[];
  readonly cancelled: boolean;
}

/**
 * The journal is read in slices of this many bytes (about 8,000 points), so a run of millions of
 * points is never one buffer and the extension host gets a turn between slices.
 */
const JOURNAL_SLICE = 512 << 10;

interface TargetExperiment {
  readonly dir: string;
  readonly meta: ExperimentMeta;
  written: boolean;
}

/**
 * Writes runs of a Runlog store as an MLflow file store under `target` (created when missing),
 * the layout MLflow writes: experiments found by name in the target are reused, others are created
 * (with the id they had in MLflow for imported runs; `0` is Default).
 */
export async function exportMlruns(
  storeDir: string,
  runIds: readonly string[],
  targetDir: string,
  progress?: ExportProgress,
  now = Date.now(),
): Promise<ExportSummary> {
  const target = resolve(targetDir);
  const failed: string[] = [];
  const warnings: string[] = [];
  await mkdir(join(target, TRASH_FOLDER), { recursive: true });
  const experiments = await targetExperiments(target, warnings);
  const used = new Set<string>();
  let exported = 0;
  let skipped = 0;
  let cancelled = false;
  for (const [index, runId] of runIds.entries()) {
    if (progress?.isCancelled()) {
      cancelled = true;
      break;
    }
    progress?.report(index, runIds.length, runId);
    if (!isRunId(runId)) {
      failed.push(`run ${runId}: MLflow run ids are letters, digits, "_" and "-"`);
      continue;
    }
    const runDir = join(storeDir, 'runs', runId);
    let dir: string | undefined;
    try {
      const origin = await readOrigin(runDir);
      const facts = await scanJournal(join(runDir, 'events.jsonl'), runId);
      const experiment = experimentFor(experiments, facts, origin, target, now);
      dir = join(experiment.dir, runId);
      if (await exists(join(dir, META_FILE))) {
        skipped++;
        dir = undefined;
        continue;
      }
      await rm(dir, { recursive: true, force: true });
      await writeRun(runDir, dir, facts, warnings);
      if (!experiment.written) {
        await writeFile(join(experiment.dir, META_FILE), experimentMetaYaml(experiment.meta));
        experiment.written = true;
      }
      // meta.yaml last: a run folder without it is one this export did not finish.
      await writeFile(join(dir, META_FILE), runMeta(facts, experiment, origin));
      dir = undefined;
      used.add(experiment.meta.experimentId);
      exported++;
    } catch (error) {
      failed.push(`run ${runId}: ${(error as Error).message}`);
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
  await ensureDefault(experiments, target, now);
  return { exported, experiments: used.size, skipped, failed, warnings, cancelled };
}

/** Where to write: the picked folder when it is an MLflow store, else its `mlruns/` (MLflow's default). */
export async function exportTarget(folder: string): Promise<string> {
  return basename(folder) === 'mlruns' || (await exists(join(folder, TRASH_FOLDER))) ? folder : join(folder, 'mlruns');
}

/** The experiments already in the target, by name (active and in the trash). */
async function targetExperiments(target: string, warnings: string[]): Promise<Map<string, TargetExperiment>> {
  const found = new Map<string, TargetExperiment>();
  const dirs = [
    ...(await subfolders(target))
      .filter((name) => name !== TRASH_FOLDER && name !== REGISTRY_FOLDER)
      .map((name) => join(target, name)),
    ...(await subfolders(join(target, TRASH_FOLDER))).map((name) => join(target, TRASH_FOLDER, name)),
  ];
  for (const dir of dirs) {
    let text: string;
    try {
      text = await readFile(join(dir, META_FILE), 'utf8');
    } catch {
      continue;
    }
    const parsed = parseExperimentMeta(text);
    if (parsed.ok) found.set(parsed.value.name, { dir, meta: parsed.value, written: true });
    else warnings.push(`${join(dir, META_FILE)} in the target: ${parsed.reason}`);
  }
  return found;
}

function experimentFor(
  experiments: Map<string, TargetExperiment>,
  facts: RunFacts,
  origin: MlflowOrigin | undefined,
  target: string,
  now: number,
): TargetExperiment {
  const existing = experiments.get(facts.experiment);
  if (existing) return existing;
  const taken = new Set([...experiments.values()].map((e) => e.meta.experimentId));
  let id: string;
  if (origin && !taken.has(origin.experiment_id)) id = origin.experiment_id;
  else if (facts.experiment === DEFAULT_EXPERIMENT_NAME && !taken.has(DEFAULT_EXPERIMENT_ID))
    id = DEFAULT_EXPERIMENT_ID;
  else id = newExperimentId(facts.experiment, taken);
  const deleted = origin?.experiment_lifecycle_stage === 'deleted' && facts.deleted;
  const created = origin?.experiment_creation_time ?? facts.start ?? now;
  const experiment: TargetExperiment = {
    dir: deleted ? join(target, TRASH_FOLDER, id) : join(target, id),
    meta: {
      experimentId: id,
      name: facts.experiment,
      artifactLocation: pathToFileURL(join(target, id)).href,
      lifecycleStage: deleted ? 'deleted' : 'active',
      creationTime: created,
      lastUpdateTime: origin ? origin.experiment_last_update_time : created,
    },
    written: false,
  };
  experiments.set(facts.experiment, experiment);
  return experiment;
}

/**
 * An id for an experiment MLflow has not seen: a large integer like MLflow's own, derived from the
 * name so that exporting into two fresh folders gives the same ids.
 */
function newExperimentId(name: string, taken: ReadonlySet<string>): string {
  let id = BigInt(`0x${createHash('sha256').update(name).digest('hex').slice(0, 15)}`);
  while (taken.has(id.toString())) id++;
  return id.toString();
}

/** MLflow's store always has the Default experiment 0. */
async function ensureDefault(experiments: Map<string, TargetExperiment>, target: string, now: number): Promise<void> {
  if ([...experiments.values()].some((e) => e.meta.experimentId === DEFAULT_EXPERIMENT_ID)) return;
  if (await exists(join(target, DEFAULT_EXPERIMENT_ID))) return;
  await mkdir(join(target, DEFAULT_EXPERIMENT_ID), { recursive: true });
  await writeFile(
    join(target, DEFAULT_EXPERIMENT_ID, META_FILE),
    experimentMetaYaml({
      experimentId: DEFAULT_EXPERIMENT_ID,
      name: DEFAULT_EXPERIMENT_NAME,
      artifactLocation: pathToFileURL(join(target, DEFAULT_EXPERIMENT_ID)).href,
      lifecycleStage: 'active',
      creationTime: now,
      lastUpdateTime: now,
    }),
  );
}

/** Reads a journal slice by slice: the run's facts, without holding its metric points. */
async function scanJournal(
  file: string,
  runId: string,
  onPoints?: (chunk: Awaited<ReturnType<typeof readJournal>>) => Promise<void>,
): Promise<RunFacts> {
  const facts = emptyFacts(runId);
  const { size } = await stat(file);
  let offset = 0;
  let line = 1;
  let slice = JOURNAL_SLICE;
  while (offset < size) {
    const chunk = await readJournal(file, offset, line, slice);
    if (chunk.nextOffset === offset) {
      // No whole line in the slice: a line longer than it (a big git patch), or a last line still
      // being written, which is left out like every reader of journals does.
      if (offset + slice >= size) break;
      slice *= 2;
      continue;
    }
    for (const event of chunk.events) applyEvent(facts, event);
    for (const columns of chunk.metrics.series.values()) {
      if (columns.length > 0) facts.start ??= columns.times[0];
    }
    await onPoints?.(chunk);
    offset = chunk.nextOffset;
    line = chunk.nextLine;
    slice = JOURNAL_SLICE;
  }
  return facts;
}

async function writeRun(runDir: string, dir: string, facts: RunFacts, warnings: string[]): Promise<void> {
  await mkdir(join(dir, 'artifacts'), { recursive: true });
  const refused = new Set<string>();
  const safe = (kind: string, key: string): boolean => {
    if (isSafeKey(key)) return true;
    if (!refused.has(`${kind}/${key}`))
      warnings.push(`run ${facts.id}: ${kind} "${key}" cannot be a file name in MLflow's layout and was left out`);
    refused.add(`${kind}/${key}`);
    return false;
  };
  await mkdir(join(dir, 'metrics'), { recursive: true });
  await scanJournal(join(runDir, 'events.jsonl'), facts.id, async (chunk) => {
    for (const [key, columns] of chunk.metrics.series) {
      if (!safe('metric', key)) continue;
      const { steps, times, values } = columns.view();
      let out = '';
      for (let i = 0; i < values.length; i++) {
        out += metricLine({ timestamp: times[i] ?? 0, value: values[i] ?? Number.NaN, step: steps[i] ?? 0 });
      }
      const file = join(dir, 'metrics', ...key.split('/'));
      await mkdir(dirname(file), { recursive: true });
      await appendFile(file, out);
    }
  });
  await writeKeyed(join(dir, 'params'), facts.params, (key) => safe('param', key));
  await writeKeyed(join(dir, 'tags'), mlflowTags(facts), (key) => safe('tag', key));
  const { files, skipped } = await listTree(join(runDir, 'artifacts'));
  for (const path of skipped)
    warnings.push(`run ${facts.id}: artifacts/${path} is not a regular file and was not copied`);
  for (const file of files) await copyWithDigest(file.absolute, join(dir, 'artifacts', ...file.path.split('/')));
}

async function writeKeyed(
  folder: string,
  values: ReadonlyMap<string, string>,
  safe: (key: string) => boolean,
): Promise<void> {
  await mkdir(folder, { recursive: true });
  for (const [key, value] of values) {
    if (!safe(key)) continue;
    const file = join(folder, ...key.split('/'));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, value);
  }
}

/** The run's tags as MLflow has them: its name, git state, user and source as `mlflow.*` tags. */
export function mlflowTags(facts: RunFacts): Map<string, string> {
  const tags = new Map(facts.tags);
  tags.set(TAG_RUN_NAME, facts.name);
  if (facts.git) {
    tags.set(TAG_GIT_COMMIT, facts.git.commit);
    if (facts.git.branch) tags.set(TAG_GIT_BRANCH, facts.git.branch);
    if (facts.git.remote) tags.set(TAG_GIT_REPO, facts.git.remote);
  }
  if (facts.user && !tags.has(TAG_USER)) tags.set(TAG_USER, facts.user);
  if (facts.source && !tags.has(TAG_SOURCE_NAME)) {
    tags.set(TAG_SOURCE_NAME, facts.source);
    if (!tags.has('mlflow.source.type')) tags.set('mlflow.source.type', 'LOCAL');
  }
  return tags;
}

function runMeta(facts: RunFacts, experiment: TargetExperiment, origin: MlflowOrigin | undefined): string {
  // In a deleted experiment MLflow leaves its runs' own stage as it was.
  const stage =
    facts.deleted && !(experiment.meta.lifecycleStage === 'deleted' && origin?.run_lifecycle_stage === 'active')
      ? 'deleted'
      : 'active';
  return runMetaYaml({
    runId: facts.id,
    experimentId: experiment.meta.experimentId,
    runName: facts.name,
    userId: facts.user ?? '',
    status: facts.status,
    startTime: facts.start ?? null,
    endTime: facts.end,
    lifecycleStage: stage,
    artifactUri: `${experiment.meta.artifactLocation}/${facts.id}/artifacts`,
  });
}
