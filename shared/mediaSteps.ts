/**
 * The Media panel's step slider: one slider per key over every step any shown run logged, and each
 * run's image at the step nearest the chosen one (runs log images at different steps, or stop
 * early). Plain functions of sorted step columns, shared by the webview and its tests.
 */

/** Every step of the columns, ascending, once. */
export function unionSteps(columns: readonly Float64Array[]): Float64Array {
  const all = new Float64Array(columns.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const column of columns) {
    all.set(column, at);
    at += column.length;
  }
  all.sort();
  let kept = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[kept - 1]) all[kept++] = all[i];
  return all.slice(0, kept);
}

/**
 * The index of the step in `steps` (ascending) nearest `step`; the earlier one on a tie, -1 when
 * there is none.
 */
export function nearestIndex(steps: Float64Array, step: number): number {
  if (steps.length === 0) return -1;
  let lo = 0;
  let hi = steps.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (steps[mid] < step) lo = mid + 1;
    else hi = mid;
  }
  // steps[lo] is the first step ≥ `step` (or the last step): the one before may be nearer.
  if (lo > 0 && step - steps[lo - 1] <= Math.abs(steps[lo] - step)) return lo - 1;
  return lo;
}
