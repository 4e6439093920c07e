/**
 * TensorBoard's smoothing: an exponential moving average whose start is debiased, so the first
 * points are not dragged toward zero. NaN and infinities pass through unsmoothed and do not disturb
 * the average. `weight` 0 is the raw series; it is clamped to [0, 0.999].
 * Shared by the store (which smooths full-resolution series before bucketing) and the charts webview.
 */
export function smoothEma(
  values: ArrayLike<number>,
  weight: number,
  out = new Float64Array(values.length),
): Float64Array {
  const w = Math.min(0.999, Math.max(0, Number.isFinite(weight) ? weight : 0));
  let average = 0;
  let seen = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    average = average * w + (1 - w) * v;
    seen++;
    out[i] = w === 0 ? v : average / (1 - w ** seen);
  }
  return out;
}
