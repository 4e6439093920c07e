/**
 * The batched metric line of journal format 4 (docs/JOURNAL.md): one line carries many points of
 * one key, `{"t":"metrics","key":"loss","ts":[t0,dt1,…],"step":[s0,ds1,…],"value":"<base64>"}`.
 * `ts` and `step` hold the first point's value and then differences (small numbers for a training
 * loop); `value` is the points' IEEE 754 doubles, little-endian, in base64 — exact to the bit (-0,
 * NaN and ±Infinity need no strings) in 10.7 bytes a point, where decimal text takes 17–19.
 */

/** The points of one batched line, as the reader returns them. */
export interface MetricBatchPoints {
  readonly key: string;
  readonly steps: Float64Array;
  readonly times: Float64Array;
  readonly values: Float64Array;
}

export type BatchParse =
  { readonly ok: true; readonly points: MetricBatchPoints } | { readonly ok: false; readonly reason: string };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function fail(reason: string): BatchParse {
  return { ok: false, reason: `metrics: ${reason}` };
}

/**
 * Undoes the difference coding of `ts` or `step` into `into`; false when an entry or a sum is not an
 * integer within ±(2^53 − 1), where doubles stop being exact.
 */
function undelta(list: unknown, into: Float64Array): boolean {
  if (!Array.isArray(list) || list.length !== into.length) return false;
  let sum = 0;
  for (let i = 0; i < list.length; i++) {
    const d: unknown = list[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d)) return false;
    sum = i === 0 ? d : sum + d;
    if (!Number.isSafeInteger(sum)) return false;
    into[i] = sum;
  }
  return true;
}

// Scratch for `parseMetricBatch(…, true)`: a journal's ingest reads ~100k such lines a gigabyte, and
// fresh buffers for each would be dead memory the garbage collector frees only in large steps.
let scratchBytes = Buffer.alloc(0);
let scratchColumns = new Float64Array(0);

/**
 * Reads a parsed batched line (`fields.t` is "metrics"). Never throws: a line that breaks a rule
 * is refused whole with the reason, so a reader reports it rather than keep part of it. With
 * `reuse`, the points' columns are views of buffers that the next such call overwrites: for a
 * reader that copies them at once.
 */
export function parseMetricBatch(fields: Readonly<Record<string, unknown>>, reuse = false): BatchParse {
  const key = fields['key'];
  if (typeof key !== 'string' || key === '') return fail('"key" must be a non-empty string');
  const value = fields['value'];
  if (typeof value !== 'string' || !BASE64.test(value)) return fail('"value" must be base64 text');
  let bytes: Buffer;
  if (reuse) {
    const size = Math.ceil(value.length / 4) * 3;
    if (scratchBytes.length < size) scratchBytes = Buffer.alloc(Math.max(size, scratchBytes.length * 2));
    bytes = scratchBytes.subarray(0, scratchBytes.write(value, 'base64'));
  } else {
    bytes = Buffer.from(value, 'base64');
  }
  const ts = fields['ts'];
  const n = Array.isArray(ts) ? ts.length : 0;
  if (n === 0) return fail('"ts" must be a non-empty list of integers');
  if (bytes.length !== n * 8) {
    return fail(`"value" holds ${bytes.length / 8} doubles, but "ts" lists ${n} points`);
  }
  if (reuse && scratchColumns.length < 3 * n)
    scratchColumns = new Float64Array(Math.max(3 * n, scratchColumns.length * 2));
  const times = reuse ? scratchColumns.subarray(0, n) : new Float64Array(n);
  const steps = reuse ? scratchColumns.subarray(n, 2 * n) : new Float64Array(n);
  if (!undelta(ts, times)) {
    return fail('"ts" must list integers (the first time, then differences) within ±(2^53 - 1)');
  }
  if (!undelta(fields['step'], steps)) {
    return fail(`"step" must list ${n} integers (the first step, then differences) within ±(2^53 - 1)`);
  }
  const values = reuse ? scratchColumns.subarray(2 * n, 3 * n) : new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = bytes.readDoubleLE(i * 8);
  return { ok: true, points: { key, steps, times, values } };
}

/**
 * Whether points with these steps and times can share a batched line: every one a safe integer, and
 * the spread of each list too, so that every difference is exact. Others take `metric` lines.
 */
export function batchable(steps: ArrayLike<number | bigint>, times: ArrayLike<number | bigint>): boolean {
  const exact = (list: ArrayLike<number | bigint>): boolean => {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < list.length; i++) {
      const x = list[i];
      if (typeof x !== 'number' || !Number.isSafeInteger(x)) return false;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    return list.length > 0 && Number.isSafeInteger(max - min);
  };
  return exact(steps) && exact(times);
}

function deltas(list: ArrayLike<number>): string {
  let out = String(list[0]);
  for (let i = 1; i < list.length; i++) out += `,${list[i] - list[i - 1]}`;
  return out;
}

/**
 * One batched line (with its `\n`) for points of one key, in order: at least one point, and steps
 * and times that are `batchable`.
 */
export function metricBatchLine(
  key: string,
  steps: ArrayLike<number>,
  times: ArrayLike<number>,
  values: ArrayLike<number>,
): string {
  const bytes = Buffer.alloc(values.length * 8);
  for (let i = 0; i < values.length; i++) bytes.writeDoubleLE(values[i], i * 8);
  return `{"t":"metrics","key":${JSON.stringify(key)},"ts":[${deltas(times)}],"step":[${deltas(steps)}],"value":"${bytes.toString('base64')}"}\n`;
}
