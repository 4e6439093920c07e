/**
 * Points files (journal format 5, docs/JOURNAL.md "Points files"): a compacted journal keeps a
 * sealed series' points in `runs/<run id>/points.<generation>.bin`, each chunk's points encoded as
 * the store's chunks are (chunkCodec.ts: the doubles as they are, steps and times as varint
 * differences; ~10 bytes a point), and names each chunk by a `metrics` line of its own:
 *
 *   {"t":"metrics","key":"loss","file":"points.5f0c2a9e1b7d4c3a.bin","at":0,"bytes":20496,"count":2048,"sha256":"…"}
 *
 * `at` and `bytes` are where the chunk is in the file, `count` its points, `sha256` the hash of
 * those bytes: a reader checks it before it takes a point, so a damaged or replaced file is reported
 * with the line, never read as other points. A format-4 reader refuses the line (it has no `value`),
 * so it reports the points it cannot read instead of dropping them silently.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { decodeChunkInto } from './chunkCodec';
import type { BatchParse, MetricBatchPoints } from './metricBatchLine';
import { parseMetricBatch } from './metricBatchLine';

/** The only names a points file may have: a line can never make a reader open another file. */
const POINTS_FILE = /^points\.[0-9a-f]{16}\.bin$/;
const SHA256 = /^[0-9a-f]{64}$/;
/** A chunk's encoding takes at most 5 + 24 bytes a point; a line naming more is refused unread. */
const MAX_POINTS = 1 << 20;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** The points file a compaction of this generation writes. */
export function pointsFileName(generation: string): string {
  return `points.${generation}.bin`;
}

/** Whether a name is a points file's (`points.<16 hex digits>.bin`). */
export function isPointsFile(name: string): boolean {
  return POINTS_FILE.test(name);
}

/** Whether a batched line's points are in a points file (format 5) rather than in the line. */
export function inPointsFile(fields: Readonly<Record<string, unknown>>): boolean {
  return fields['file'] !== undefined;
}

/** The `metrics` line (with its `\n`) naming a chunk of a points file: `bytes` at `at`. */
export function pointsLine(key: string, file: string, at: number, bytes: Uint8Array, count: number): string {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return `{"t":"metrics","key":${JSON.stringify(key)},"file":"${file}","at":${at},"bytes":${bytes.length},"count":${count},"sha256":"${sha256}"}\n`;
}

/** Where a points-file line says its chunk is; a reason when the line breaks a rule. */
export function pointsPlace(
  fields: Readonly<Record<string, unknown>>,
): { key: string; file: string; at: number; bytes: number; count: number; sha256: string } | string {
  const { key, file, at, bytes, count, sha256 } = fields;
  if (typeof key !== 'string' || key === '') return 'metrics: "key" must be a non-empty string';
  if (typeof file !== 'string' || !POINTS_FILE.test(file)) {
    return 'metrics: "file" must name a points file (points.<16 hex digits>.bin)';
  }
  const integer = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!integer(count) || count === 0 || count > MAX_POINTS) {
    return `metrics: "count" must be an integer from 1 to ${MAX_POINTS}`;
  }
  if (!integer(at) || !integer(bytes) || bytes < 5 + 8 * count || bytes > 5 + 24 * count) {
    return `metrics: "at" and "bytes" must place ${count} encoded points in the file`;
  }
  if (typeof sha256 !== 'string' || !SHA256.test(sha256)) return 'metrics: "sha256" must be 64 hex digits';
  return { key, file, at, bytes, count, sha256 };
}

// Scratch for reads with `reuse`, as parseMetricBatch keeps: a rebuild reads thousands of chunks.
let scratchBlob = new Uint8Array(0);
let scratchColumns = new Float64Array(0);

/**
 * Reads the points a batched line holds: in the line (format 4) or in the points file it names in
 * `folder`, the run's folder (format 5). Never throws: a line whose file is missing, short, or does
 * not hash to its `sha256` is refused whole with the reason, as a malformed batched line is. With
 * `reuse`, the columns are views of buffers that the next such call overwrites.
 */
export function readBatchedLine(
  fields: Readonly<Record<string, unknown>>,
  folder: string | undefined,
  reuse = false,
): BatchParse {
  if (!inPointsFile(fields)) return parseMetricBatch(fields, reuse);
  const place = pointsPlace(fields);
  if (typeof place === 'string') return { ok: false, reason: place };
  if (folder === undefined)
    return { ok: false, reason: `metrics: points in ${place.file}, which this reader cannot open` };
  let blob: Uint8Array;
  if (reuse) {
    if (scratchBlob.length < place.bytes) scratchBlob = new Uint8Array(Math.max(place.bytes, scratchBlob.length * 2));
    blob = scratchBlob.subarray(0, place.bytes);
  } else {
    blob = new Uint8Array(place.bytes);
  }
  const problem = readExactly(join(folder, place.file), place.at, blob);
  if (problem) return { ok: false, reason: `metrics: ${place.file} ${problem}` };
  if (createHash('sha256').update(blob).digest('hex') !== place.sha256) {
    return { ok: false, reason: `metrics: the points at ${place.at} of ${place.file} do not match the line's sha256` };
  }
  const n = place.count;
  const stepsLength = blob[1] | (blob[2] << 8) | (blob[3] << 16) | (blob[4] * 0x1000000);
  if (blob[0] > 3 || 5 + 8 * n + stepsLength > blob.length) {
    return { ok: false, reason: `metrics: the points at ${place.at} of ${place.file} are not ${n} encoded points` };
  }
  if (reuse && scratchColumns.length < 3 * n)
    scratchColumns = new Float64Array(Math.max(3 * n, scratchColumns.length * 2));
  const points: MetricBatchPoints = {
    key: place.key,
    steps: reuse ? scratchColumns.subarray(0, n) : new Float64Array(n),
    times: reuse ? scratchColumns.subarray(n, 2 * n) : new Float64Array(n),
    values: reuse ? scratchColumns.subarray(2 * n, 3 * n) : new Float64Array(n),
  };
  decodeChunkInto(blob, n, points, 0);
  return { ok: true, points };
}

/** Fills `into` from `file` at `at`; a reason when it cannot (no file, a link, too short). */
function readExactly(file: string, at: number, into: Uint8Array): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | O_NOFOLLOW);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'is missing'
      : `cannot be read (${(error as Error).message})`;
  }
  try {
    let done = 0;
    while (done < into.length) {
      const n = readSync(fd, into, done, into.length - done, at + done);
      if (n === 0) return `ends before the ${into.length} bytes at ${at} that the line names`;
      done += n;
    }
    return undefined;
  } catch (error) {
    return `cannot be read (${(error as Error).message})`;
  } finally {
    closeSync(fd);
  }
}
