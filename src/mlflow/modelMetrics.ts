/**
 * MLflow 3's metrics of a logged model: a point with a `model_id` (what `Model.log` logs again for
 * the model it made, and `log_metric(model_id=…)`) belongs to the model and to the run.
 */
import type { LoggedModelEvent, LoggedModelMetric } from '../store/events';
import { decodeWireNumber } from '../store/events';
import { MODEL_ID } from '../store/eventParse';
import type { EndpointContext } from './context';
import type { Fields } from './wire';
import { invalid, missing, optionalExactInteger, optionalString, requiredString } from './wire';

/** A point's value as MLflow sends it (a number, or "NaN"/"Infinity" text), or INVALID_PARAMETER_VALUE. */
function pointValue(fields: Fields): number {
  const value = decodeWireNumber(fields['value']);
  if (value === undefined) throw invalid(`Invalid value for metric '${String(fields['key'])}'.`);
  return value;
}

/**
 * MLflow 3's metrics with a `model_id` (what `log_model` logs again for the model, and
 * `log_metric(model_id=…)`): each model must exist; its points go to the models journal, and to the
 * run's unless the run already holds that exact point. Returns the run's points and the models' events.
 */
export async function splitModelMetrics(
  context: EndpointContext,
  runId: string,
  metrics: readonly Fields[],
  now: number,
): Promise<{ runMetrics: Fields[]; modelEvents: LoggedModelEvent[] }> {
  if (!metrics.some((m) => typeof m['model_id'] === 'string' && m['model_id'] !== '')) {
    return { runMetrics: [...metrics], modelEvents: [] };
  }
  const byModel = new Map<string, LoggedModelMetric[]>();
  const runMetrics: Fields[] = [];
  const held = new Map<string, Set<string>>();
  for (const m of metrics) {
    const modelId = optionalString(m, 'model_id');
    if (!modelId) {
      runMetrics.push(m);
      continue;
    }
    if (!byModel.has(modelId)) {
      if (!MODEL_ID.test(modelId)) throw missing(`Logged model with ID '${modelId.slice(0, 200)}' not found.`);
      await context.loggedModel(modelId);
      byModel.set(modelId, []);
    }
    const key = requiredString(m, 'key');
    const value = pointValue(m);
    const step = Number(optionalExactInteger(m, 'step') ?? 0);
    const ts = Number(optionalExactInteger(m, 'timestamp') ?? now);
    const datasetName = optionalString(m, 'dataset_name');
    const datasetDigest = optionalString(m, 'dataset_digest');
    byModel.get(modelId)?.push({
      key,
      value,
      step,
      ts,
      run_id: runId,
      ...(datasetName ? { dataset_name: datasetName } : {}),
      ...(datasetDigest ? { dataset_digest: datasetDigest } : {}),
    });
    let points = held.get(key);
    if (!points) {
      const series = await context.reads.series(runId, key);
      points = new Set(Array.from(series.steps, (s, i) => `${s}/${series.times[i]}/${series.values[i]}`));
      held.set(key, points);
    }
    const point = `${step}/${ts}/${value}`;
    if (!points.has(point)) {
      runMetrics.push(m);
      points.add(point);
    }
  }
  const modelEvents: LoggedModelEvent[] = [...byModel].map(([modelId, points]) => ({
    t: 'logged_model',
    ts: now,
    action: 'log_metrics',
    model_id: modelId,
    metrics: points,
  }));
  return { runMetrics, modelEvents };
}
