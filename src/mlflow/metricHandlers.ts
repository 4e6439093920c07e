/**
 * Reading metric series: `metrics/get-history` (one run's points, paged) and
 * `metrics/get-history-bulk-interval` (what MLflow's UI and newer clients chart from: several runs'
 * points at a sample of their steps, chosen in the store worker by `metricSample`).
 */
import { encodeWireNumber } from '../store/events';
import type { Handler, RouteSet } from './context';
import type { Fields } from './wire';
import {
  decodePageToken,
  encodePageToken,
  invalid,
  optionalExactInteger,
  optionalInteger,
  optionalString,
  requiredString,
  runIdOf,
  stringList,
} from './wire';

const getHistory: Handler = async (context, fields) => {
  const runId = runIdOf(fields);
  const key = requiredString(fields, 'metric_key');
  await context.run(runId);
  const series = await context.reads.series(runId, key);
  const offset = decodePageToken(optionalString(fields, 'page_token'));
  const limit = optionalInteger(fields, 'max_results') ?? series.values.length;
  if (limit < 1) throw invalid("Invalid value for parameter 'max_results'.");
  const end = Math.min(series.values.length, offset + limit);
  const metrics = [];
  for (let i = offset; i < end; i++) {
    const value = series.values[i] ?? Number.NaN;
    metrics.push({
      key,
      value: encodeWireNumber(value),
      timestamp: series.times[i],
      step: series.steps[i],
    });
  }
  return { metrics, ...(end < series.values.length ? { next_page_token: encodePageToken(end) } : {}) };
};

/** MLflow's limits: at most 100 runs, and 1–2500 points per run (2500 when not given). */
export const BULK_INTERVAL_LIMITS = { runs: 100, perRun: 2500 } as const;

function stepOf(fields: Fields, name: string): number | undefined {
  const value = optionalExactInteger(fields, name);
  return value === undefined ? undefined : Number(value);
}

const getHistoryBulkInterval: Handler = async (context, fields) => {
  const runIds = stringList(fields, 'run_ids');
  if (runIds.length === 0) throw invalid("Missing value for required parameter 'run_ids'.");
  if (runIds.length > BULK_INTERVAL_LIMITS.runs) {
    throw invalid(
      `GetMetricHistoryBulkInterval request must specify at most ${BULK_INTERVAL_LIMITS.runs} run_ids. Received ${runIds.length} run_ids.`,
    );
  }
  const key = requiredString(fields, 'metric_key');
  const perRun = optionalInteger(fields, 'max_results') ?? BULK_INTERVAL_LIMITS.perRun;
  if (!Number.isInteger(perRun) || perRun < 1 || perRun > BULK_INTERVAL_LIMITS.perRun) {
    throw invalid(`max_results must be between 1 and ${BULK_INTERVAL_LIMITS.perRun}.`);
  }
  const start = stepOf(fields, 'start_step');
  const end = stepOf(fields, 'end_step');
  if ((start === undefined) !== (end === undefined)) {
    throw invalid('If either start step or end step are specified, both must be specified.');
  }
  if (start !== undefined && end !== undefined && start > end) {
    throw invalid(`end_step must be greater than start_step. Found start_step=${start} and end_step=${end}.`);
  }
  for (const runId of runIds) await context.run(runId);
  const points = await context.reads.query(
    'metricSample',
    runIds,
    key,
    perRun,
    start !== undefined && end !== undefined ? { from: start, to: end } : undefined,
  );
  return {
    metrics: points.map((p) => ({
      key,
      value: encodeWireNumber(p.value),
      timestamp: p.time,
      step: p.step,
      run_id: p.runId,
    })),
  };
};

export const METRIC_ROUTES: RouteSet = {
  'metrics/get-history': { methods: ['GET'], handler: getHistory },
  'metrics/get-history-bulk-interval': { methods: ['GET'], handler: getHistoryBulkInterval },
};
