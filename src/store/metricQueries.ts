// The store's queries about metric series: one run's points and buckets, where its metrics peaked,
// what runs used of their GPUs, and charts of many runs on one grid (chartData.ts). `metricQueries` lists them; storeQueries.ts
// makes every one a StoreApi method.
import type { GpuUsage } from '../../shared/systemMetrics';
import { gpuMetric } from '../../shared/systemMetrics';
import { chartExtent, chartSeries } from './chartData';
import type { PointColumns } from './chunkCodec';
import type { Buckets } from './bucketGrid';
import { bucketStoredSeries } from './metricBuckets';
import type { Range, XAxis } from './metrics';
import { nanFromNull, readSeries } from './metrics';
import type { Db } from './sqlite';

/** The full-resolution points of one series, optionally within an x range. */
function series(db: Db, runId: string, key: string, x: XAxis = 'step', range?: Range): PointColumns {
  return readSeries(db, runId, key, x, range);
}

/** A downsampled series: min, max and last per bucket, `buckets` (≤ 4000) across the range. */
function buckets(db: Db, runId: string, key: string, buckets: number, x: XAxis = 'step', range?: Range): Buckets {
  return bucketStoredSeries(db, runId, key, buckets, x, range);
}

/**
 * Where each of a run's metrics reached its minimum and maximum (the first step that did), from
 * every point: for the Runs view's Metrics rows, so it decodes one run's series only when asked.
 */
function extremeSteps(db: Db, runId: string): [string, { minStep: number | null; maxStep: number | null }][] {
  const keys = db
    .all<{ key: string }>('SELECT key FROM metric_series WHERE run_id = ? ORDER BY key', [runId])
    .map((row) => row.key);
  return keys.map((key) => {
    const { steps, values } = readSeries(db, runId, key);
    let min = -1;
    let max = -1;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (Number.isNaN(v)) continue;
      if (min === -1 || v < values[min]) min = i;
      if (max === -1 || v > values[max]) max = i;
    }
    return [key, { minStep: min === -1 ? null : steps[min], maxStep: max === -1 ? null : steps[max] }];
  });
}

/** One point of a run's series (what MLflow's `MetricWithRunId` carries). */
export interface SampledPoint {
  readonly runId: string;
  readonly step: number;
  readonly time: number;
  readonly value: number;
}

/**
 * Every point of the runs' series of `key` at a sample of their steps, as MLflow's
 * `get-history-bulk-interval` answers: the steps of all the runs within `range` (all when none),
 * `maxPerRun` of them evenly spaced by rank when there are more, plus each run's first and last step
 * there, so every run's line keeps its ends. Points come per run in the order asked, by step.
 */
function metricSample(
  db: Db,
  runIds: readonly string[],
  key: string,
  maxPerRun: number,
  range?: Range,
): SampledPoint[] {
  const series = runIds.map((runId) => ({ runId, points: readSeries(db, runId, key, 'step', range) }));
  const all = new Set<number>();
  const ends = new Set<number>();
  for (const { points } of series) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const step of points.steps) {
      all.add(step);
      lo = Math.min(lo, step);
      hi = Math.max(hi, step);
    }
    if (points.steps.length > 0) ends.add(lo).add(hi);
  }
  const steps = [...all].sort((a, b) => a - b);
  let chosen: Set<number>;
  if (steps.length <= maxPerRun) {
    chosen = all;
  } else {
    chosen = new Set(ends);
    const interval = steps.length / maxPerRun;
    for (let i = 0; i < maxPerRun; i++) chosen.add(steps[Math.floor(i * interval)] ?? 0);
    chosen.add(steps[steps.length - 1] ?? 0);
  }
  const sampled: SampledPoint[] = [];
  for (const { runId, points } of series) {
    const order = Array.from(points.steps.keys()).filter((i) => chosen.has(points.steps[i] ?? NaN));
    order.sort(
      (a, b) => (points.steps[a] ?? 0) - (points.steps[b] ?? 0) || (points.times[a] ?? 0) - (points.times[b] ?? 0),
    );
    for (const i of order) {
      sampled.push({ runId, step: points.steps[i] ?? 0, time: points.times[i] ?? 0, value: points.values[i] ?? NaN });
    }
  }
  return sampled;
}

type GpuDraft = { -readonly [K in keyof GpuUsage]: GpuUsage[K] };

/**
 * What each of these runs used of its GPUs, from the system metrics the Python client sampled
 * (`system/gpu_<i>_…`): the peak memory from the series' summaries, the mean utilization from
 * every point of its series (summaries keep no sum: only the utilization series are decoded, a
 * point per 10 s of a run). Runs without GPU metrics are left out.
 */
function gpuUsage(db: Db, runIds: readonly string[]): [string, GpuUsage[]][] {
  if (runIds.length === 0) return [];
  const rows = db.all<{ run_id: string; key: string; max: number | null }>(
    `SELECT run_id, key, max FROM metric_series
     WHERE key GLOB 'system/gpu_*' AND run_id IN (${runIds.map(() => '?').join(', ')}) ORDER BY run_id, key`,
    [...runIds],
  );
  const byRun = new Map<string, Map<number, GpuDraft>>();
  for (const row of rows) {
    const metric = gpuMetric(row.key);
    if (!metric) continue;
    const gpus = byRun.get(row.run_id) ?? new Map<number, GpuDraft>();
    byRun.set(row.run_id, gpus);
    const gpu = gpus.get(metric.index) ?? {
      index: metric.index,
      peakMemoryMegabytes: null,
      peakMemoryPercentage: null,
      meanUtilizationPercentage: null,
    };
    gpus.set(metric.index, gpu);
    const peak = Number.isFinite(nanFromNull(row.max)) ? row.max : null;
    if (metric.reading === 'memory') gpu.peakMemoryMegabytes = peak;
    else if (metric.reading === 'memoryPercentage') gpu.peakMemoryPercentage = peak;
    else gpu.meanUtilizationPercentage = mean(readSeries(db, row.run_id, row.key).values);
  }
  return [...byRun].map(([runId, gpus]) => [runId, [...gpus.values()].sort((a, b) => a.index - b.index)]);
}

/** The mean of the finite values (a NaN the sampler could not read does not count); null without one. */
function mean(values: Float64Array): number | null {
  let sum = 0;
  let n = 0;
  for (const value of values) {
    if (!Number.isFinite(value)) continue;
    sum += value;
    n++;
  }
  return n === 0 ? null : sum / n;
}

export const metricQueries = {
  series,
  buckets,
  extremeSteps,
  metricSample,
  gpuUsage,
  /** The x range a chart of `key` over these runs needs. */
  chartExtent,
  /** The runs' series of `key` on one shared bucket grid (see chartData.ts). */
  chartSeries,
};
