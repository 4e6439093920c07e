import { formatDuration, formatMetricValue, formatRelativeTime } from '../../shared/formatValue';
import type { MetricGoal } from '../../shared/metricGoal';
import { bestValue, metricGoal } from '../../shared/metricGoal';
import type { GpuUsage } from '../../shared/systemMetrics';
import { formatMegabytes, gpuUsageText, isSystemMetric } from '../../shared/systemMetrics';
import type { LineageChange, MetricSummary, RunRecord } from '../store/types';

/** Runs per page under an experiment or group in the Runs view; the rest come through "Load more". */
export const RUNS_PAGE = 200;

/**
 * How a run reads in the Runs view, the status bar and notifications, as plain data: the view turns
 * it into a TreeItem, and the benchmark builds it in Node without VS Code.
 */
export interface RunItemModel {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  /** `runlog.run.<status>[.pinned][.deleted]`: menus pick their runs with `viewItem` regexes. */
  readonly contextValue: string;
  /** Tooltip lines, user text as it is: the view escapes them. */
  readonly tooltip: readonly string[];
}

export interface PresentationSettings {
  /** `runlog.keyMetric`: "" means the run's first metric. */
  readonly keyMetric: string;
  /** `runlog.metricGoals`. */
  readonly goals: Readonly<Record<string, MetricGoal>>;
}

/**
 * The metric a run is summed up by: the configured key when the run logged it, else its first
 * that is not a system metric (CPU, memory and GPU use say nothing of how training went).
 */
export function keyMetricOf(metrics: readonly MetricSummary[], keyMetric: string): MetricSummary | undefined {
  return (
    (keyMetric ? metrics.find((m) => m.key === keyMetric) : undefined) ?? metrics.find((m) => !isSystemMetric(m.key))
  );
}

export function runContextValue(run: Pick<RunRecord, 'status' | 'pinned' | 'deleted'>): string {
  return `runlog.run.${run.status.toLowerCase()}${run.pinned && !run.deleted ? '.pinned' : ''}${run.deleted ? '.deleted' : ''}`;
}

export function runItemModel(
  run: RunRecord,
  metrics: readonly MetricSummary[],
  settings: PresentationSettings,
  now: number,
  tags: Readonly<Record<string, string>> = {},
  params: Readonly<Record<string, string>> = {},
  lineage?: LineageChange,
  gpus: readonly GpuUsage[] = [],
): RunItemModel {
  const key = keyMetricOf(metrics, settings.keyMetric);
  const description = [
    ...(lineage ? [`⚠ ${lineage.inputs.length === 1 ? 'input' : 'inputs'} changed`] : []),
    key ? `${key.key} ${formatMetricValue(key.last)}` : run.status.toLowerCase(),
    formatRelativeTime(run.startTime, now),
  ].join(' · ');
  const tooltip = [
    `${run.status.toLowerCase()}${run.pinned ? ' · pinned' : ''}${run.deleted ? ' · in the trash' : ''} · ${run.experiment} · run ${run.id}`,
  ];
  if (run.endTime !== null) tooltip.push(`took ${formatDuration(run.endTime - run.startTime)}`);
  if (run.command) tooltip.push(run.command);
  if (run.git) {
    const branch = run.git.branch ? ` on ${run.git.branch}` : '';
    tooltip.push(`git ${run.git.commit.slice(0, 12)}${branch}${run.git.dirty ? ' with uncommitted changes' : ''}`);
  }
  const paramList = Object.entries(params);
  if (paramList.length > 0) {
    const shown = paramList.slice(0, 20).map(([k, v]) => `${k}=${v.length > 60 ? `${v.slice(0, 59)}…` : v}`);
    tooltip.push(`params: ${shown.join(', ')}${paramList.length > 20 ? `, … (${paramList.length} in all)` : ''}`);
  }
  for (const metric of metrics) {
    if (isSystemMetric(metric.key)) continue;
    const goal = metricGoal(metric.key, settings.goals);
    tooltip.push(
      `${metric.key}: ${formatMetricValue(metric.last)} (best ${formatMetricValue(bestValue(metric, goal))}, min ${formatMetricValue(metric.min)}, max ${formatMetricValue(metric.max)})`,
    );
  }
  tooltip.push(...systemLines(metrics, gpus));
  const userTags = Object.entries(tags).filter(([k]) => !k.startsWith('runlog.'));
  if (userTags.length > 0) tooltip.push(`tags: ${userTags.map(([k, v]) => (v ? `${k}=${v}` : k)).join(', ')}`);
  if (run.error) tooltip.push(run.error.split('\n').slice(-3).join(' / '));
  for (const input of lineage?.inputs ?? []) {
    tooltip.push(
      `⚠ input ${input.name} (${input.path}) is not what run ${lineage?.original} read: digest ${input.now.slice(0, 12)}, was ${input.was.slice(0, 12)}`,
    );
  }
  return { id: `run:${run.id}`, label: run.name, description, contextValue: runContextValue(run), tooltip };
}

/**
 * What the run's system metrics say in a tooltip: each GPU's peak memory and mean utilization, the
 * process's peak memory, and where the rest are (the Charts panel) — not a line per series.
 */
function systemLines(metrics: readonly MetricSummary[], gpus: readonly GpuUsage[]): string[] {
  const system = metrics.filter((m) => isSystemMetric(m.key));
  if (system.length === 0 && gpus.length === 0) return [];
  const lines = gpus.map(gpuUsageText);
  const rss = system.find((m) => m.key === 'system/process_memory_rss_megabytes');
  if (rss && Number.isFinite(rss.max)) lines.push(`process memory: peak ${formatMegabytes(rss.max)}`);
  if (system.length > 0) {
    const count = `${system.length} system metric${system.length === 1 ? '' : 's'}`;
    lines.push(`${count} (CPU, memory, disk, network, GPUs) in the Charts panel's System section`);
  }
  return lines;
}

/**
 * The line of a run's error worth showing: the exception line of a Python traceback (its last
 * `SomethingError: …`), else the first line. The stored error is the tail of stderr, which
 * usually ends with the traceback.
 */
export function errorHeadline(error: string | null): string | undefined {
  const lines = (error ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const exception = lines.filter((l) => /^[\w.]*(Error|Exception|Interrupt|Exit)\b:?/.test(l)).pop();
  return exception ?? lines[0];
}

/** "bright-owl finished · val_loss 0.213", "bright-owl failed: ValueError: …". */
export function endNotice(run: RunRecord, metrics: readonly MetricSummary[], keyMetric: string): string {
  if (run.status === 'FAILED') {
    const headline = errorHeadline(run.error);
    return `${run.name} failed${headline ? `: ${headline}` : run.exitCode !== null ? ` (exit code ${run.exitCode})` : ''}`;
  }
  const key = keyMetricOf(metrics, keyMetric);
  return `${run.name} ${run.status.toLowerCase()}${key ? ` · ${key.key} ${formatMetricValue(key.last)}` : ''}`;
}
