/**
 * Whether a metric is better low or high. Nothing in a journal says so, so Runlog guesses from the
 * key the way people name metrics (`val_loss`, `rmse`, `error_rate` go down; `accuracy`, `f1`, `r2`
 * go up) and lets the user override it per key (`runlog.metricGoals`). Used by the Runs view's
 * "best" sort, the compare panel's best marks, and the hovers. No `vscode`, no DOM, no Node.
 */
export type MetricGoal = 'min' | 'max';

/** Whole words (split on `_`, `-`, `.`, `/`, spaces, camelCase) that mean "lower is better". */
const LOWER_IS_BETTER = new Set([
  'loss',
  'error',
  'err',
  'mae',
  'mse',
  'rmse',
  'mape',
  'smape',
  'rmsle',
  'msle',
  'perplexity',
  'ppl',
  'nll',
  'cer',
  'wer',
  'fpr',
  'fnr',
  'latency',
  'time',
  'duration',
  'seconds',
  'ms',
  'cost',
  'regret',
  'distance',
  'divergence',
  'kl',
  'bpb',
  'bpc',
  'eer',
  'fid',
]);

/** Words that mean "higher is better" even next to a lower-is-better word (`error_reduction`). */
const HIGHER_WINS = new Set(['reduction', 'improvement', 'gain', 'accuracy', 'acc', 'score', 'auc', 'throughput']);

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** The goal of a metric key: an explicit override wins, then the naming convention; default `max`. */
export function metricGoal(key: string, overrides?: Readonly<Record<string, MetricGoal>>): MetricGoal {
  const explicit = overrides?.[key];
  if (explicit === 'min' || explicit === 'max') return explicit;
  const parts = words(key);
  if (parts.some((w) => HIGHER_WINS.has(w))) return 'max';
  return parts.some((w) => LOWER_IS_BETTER.has(w)) ? 'min' : 'max';
}

/** The best of a series' extremes for its goal; NaN when the series has no comparable value. */
export function bestValue(summary: { readonly min: number; readonly max: number }, goal: MetricGoal): number {
  return goal === 'min' ? summary.min : summary.max;
}

/** Whether `a` beats `b` for the goal; NaN never beats anything and anything beats NaN. */
export function isBetter(a: number, b: number, goal: MetricGoal): boolean {
  if (Number.isNaN(a)) return false;
  if (Number.isNaN(b)) return true;
  return goal === 'min' ? a < b : a > b;
}

/** The index of the best value (first on ties), or -1 when every value is NaN. */
export function bestIndex(values: readonly number[], goal: MetricGoal): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) {
    if (isBetter(values[i], best === -1 ? Number.NaN : values[best], goal)) best = i;
  }
  return best;
}
