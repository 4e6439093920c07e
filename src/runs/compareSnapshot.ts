import type { CompareEnvironment, CompareRun, CompareSnapshot } from '../../shared/compareProtocol';
import type { MetricGoal } from '../../shared/metricGoal';
import { nanToNull } from '../../shared/nullableNumber';
import type { GpuUsage } from '../../shared/systemMetrics';
import { NOTE_TAG } from '../store/ingest';
import type { RunDetails, RunEnvironment } from '../store/types';
import { REMOTE_TAG } from '../sync/syncTags';

/** "NVIDIA A100 × 2 · CUDA 12.2": the GPUs of an environment, alike ones counted; null without any. */
function gpusText(gpu: RunEnvironment['gpu']): string | null {
  if (!gpu || gpu.devices.length === 0) return null;
  const counts = new Map<string, number>();
  for (const device of gpu.devices) counts.set(device.name, (counts.get(device.name) ?? 0) + 1);
  const devices = [...counts].map(([name, n]) => (n === 1 ? name : `${name} × ${n}`)).join(', ');
  return gpu.cudaVersion ? `${devices} · CUDA ${gpu.cudaVersion}` : devices;
}

function toCompareEnvironment(env: RunEnvironment | null): CompareEnvironment | null {
  if (!env) return null;
  return {
    python: env.pythonImplementation ? `${env.pythonVersion} (${env.pythonImplementation})` : env.pythonVersion,
    platform: env.platform,
    gpus: gpusText(env.gpu),
    packages: { ...env.packages },
  };
}

/**
 * What the Compare panel shows of a run; a run still going lasts until `now`. `gpus` is what it
 * used of its GPUs (the store's `gpuUsage`).
 */
export function toCompareRun(run: RunDetails, now: number, gpus: readonly GpuUsage[] = []): CompareRun {
  const going = run.status === 'RUNNING';
  const end = run.endTime ?? (going ? now : null);
  return {
    id: run.id,
    name: run.name,
    experiment: run.experiment,
    status: run.status,
    startTime: run.startTime,
    durationMs: end === null ? null : Math.max(0, end - run.startTime),
    params: { ...run.params },
    metrics: run.metrics.map((m) => ({
      key: m.key,
      last: nanToNull(m.last),
      min: nanToNull(m.min),
      max: nanToNull(m.max),
      count: m.count,
    })),
    git: run.git ? { commit: run.git.commit, branch: run.git.branch, dirty: run.git.dirty } : null,
    environment: toCompareEnvironment(run.environment),
    gpus: [...gpus],
    ...(run.tags[REMOTE_TAG] ? { remote: run.tags[REMOTE_TAG] } : {}),
    ...(run.tags[NOTE_TAG] ? { note: run.tags[NOTE_TAG] } : {}),
  };
}

/** The `runlog.metricGoals` setting as read: anything but "min"/"max" is ignored. */
export function readGoals(setting: unknown): Record<string, MetricGoal> {
  const goals: Record<string, MetricGoal> = {};
  if (typeof setting !== 'object' || setting === null) return goals;
  for (const [key, goal] of Object.entries(setting as Record<string, unknown>)) {
    if (goal === 'min' || goal === 'max') goals[key] = goal;
  }
  return goals;
}

/** The runs found (with what they used of their GPUs), in the order asked, and the ids no store had. */
export function compareSnapshot(
  runIds: readonly string[],
  found: ReadonlyMap<string, RunDetails>,
  goals: Record<string, MetricGoal>,
  now: number,
  gpus: ReadonlyMap<string, readonly GpuUsage[]> = new Map(),
): CompareSnapshot {
  const runs: CompareRun[] = [];
  const missing: string[] = [];
  for (const id of runIds) {
    const run = found.get(id);
    if (run) runs.push(toCompareRun(run, now, gpus.get(id)));
    else missing.push(id);
  }
  return { runs, missing, goals };
}

/**
 * A run's code as one text: the commit it ran on, then its uncommitted changes (`git diff HEAD`)
 * and its untracked source files. Two of these side by side in a diff editor show how two runs'
 * code differed beyond their commits.
 */
export function runCodeText(run: RunDetails): string {
  if (!run.git) return `# ${run.name} (${run.id}) recorded no git state.\n`;
  const { git } = run;
  const lines = [
    `# run ${run.name} (${run.id})`,
    `# commit ${git.commit}${git.branch ? ` on ${git.branch}` : ''}${git.dirty ? ', with uncommitted changes' : ''}`,
    '',
    git.patch === '' ? '# no uncommitted changes to tracked files' : git.patch.replace(/\n$/, ''),
  ];
  for (const file of git.untracked) {
    lines.push('', `# untracked file ${file.path}`);
    lines.push(file.content === undefined ? '# (content not kept)' : file.content.replace(/\n$/, ''));
  }
  return `${lines.join('\n')}\n`;
}
