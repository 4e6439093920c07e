// The store's queries about metric series: one run's points and buckets, where its metrics peaked,
// and charts of many runs on one grid (chartData.ts). `metricQueries` lists them; storeQueries.ts
// makes every one a StoreApi method.
import { chartExtent, chartSeries } from './chartData';
import type { PointColumns } from './chunkCodec';
import type { Buckets } from './metricBuckets';
import { bucketStoredSeries } from './metricBuckets';
import type { Range, XAxis } from './metrics';
import { readSeries } from './metrics';
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

export const metricQueries = {
  series,
  buckets,
  extremeSteps,
  /** The x range a chart of `key` over these runs needs. */
  chartExtent,
  /** The runs' series of `key` on one shared bucket grid (see chartData.ts). */
  chartSeries,
};
