/**
 * A run's journal read for pushing: every complete line in order with the byte offset just past
 * it (what the push state confirms), in slices so a run of millions of points is never one buffer.
 * Metric lines in the writers' exact shape (metricScan.ts) become MLflow's wire form straight from
 * the text, keeping the digits of steps and timestamps and the spelling of NaN and the infinities;
 * every other line is parsed by the store's own rules (events.ts).
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readGenerationOf } from '../store/journalRewrite';
import type { RunEvent } from '../store/events';
import { parseEventLine } from '../store/eventParse';
import { findLineEnd } from '../store/journal';
import { readBatchedLine } from '../store/pointsFile';

/** A metric point as MLflow's `Metric` JSON, with what identifies it on the server. */
export interface WireMetric {
  /** The key as a JSON string literal, and decoded. */
  readonly keyJson: string;
  readonly key: string;
  /** `{"key":…,"value":…,"timestamp":…,"step":…}` */
  readonly json: string;
  /** The value, timestamp and step as the journal spells them (metricId() makes the point's identity of them). */
  readonly valueText: string;
  readonly ts: string;
  readonly step: string;
}

export type JournalLine =
  | { readonly kind: 'metric'; readonly metric: WireMetric; readonly end: number }
  /** A batched metric line (journal format 4): its points, in order. */
  | { readonly kind: 'metrics'; readonly metrics: readonly WireMetric[]; readonly end: number }
  | { readonly kind: 'event'; readonly event: RunEvent; readonly end: number }
  | { readonly kind: 'skipped'; readonly reason: string; readonly end: number };

const SLICE = 512 << 10;
/** The longest line read whole (the store's own limit); longer ones are skipped. */
const MAX_LINE = 32 << 20;
const METRIC =
  /^\{"t":"metric","ts":(-?\d+),"key":("(?:[^"\\]|\\.)*"),"value":(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"NaN"|"Infinity"|"-Infinity"),"step":(-?\d+)\}$/;

/** A double's one spelling, for comparing the journal's points with the server's. */
function valueId(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

/**
 * An int64 as the nearest double's digits, whether it came as a number or a string: a server (or
 * a store) may read steps past 2^53 as doubles, so points are told apart at that precision.
 */
function intId(value: number | string | undefined): string {
  if (value === undefined) return '0';
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? BigInt(Math.trunc(n)).toString() : String(value);
}

/** The identity of a point: key, step, timestamp and value. */
export function pointId(
  key: string,
  step: number | string | undefined,
  ts: number | string | undefined,
  value: number,
): string {
  return `${key}\u0000${intId(step)}\u0000${intId(ts)}\u0000${valueId(value)}`;
}

/** A wire value (a number, or "NaN", "Infinity", "-Infinity", or a number's digits) as a number. */
export function wireValue(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
}

function wireMetric(keyJson: string, key: string, valueText: string, ts: string, step: string): WireMetric {
  return {
    keyJson,
    key,
    json: `{"key":${keyJson},"value":${valueText},"timestamp":${ts},"step":${step}}`,
    valueText,
    ts,
    step,
  };
}

/**
 * A journal point's identity, as pointId() makes it of a server's point: made only when the server
 * is asked what it has (a BigInt per step and timestamp is too dear for every point pushed).
 */
export function metricId(metric: WireMetric): string {
  const text = metric.valueText;
  const value = text.startsWith('"') ? wireValue(text.slice(1, -1)) : Number(text);
  return pointId(metric.key, metric.step, metric.ts, value);
}

function valueText(value: number): string {
  if (Number.isNaN(value)) return '"NaN"';
  if (value === Number.POSITIVE_INFINITY) return '"Infinity"';
  if (value === Number.NEGATIVE_INFINITY) return '"-Infinity"';
  return Object.is(value, -0) ? '-0.0' : String(value);
}

/**
 * One complete line (without its `\n`); `folder` is the run's folder, where a compacted journal's
 * lines find their points file (journal format 5).
 */
export function readLine(text: string, end: number, folder?: string): JournalLine {
  const match = METRIC.exec(text);
  if (match) {
    const [, ts = '0', keyJson = '""', value = '0', step = '0'] = match;
    const key = keyJson.includes('\\') ? (JSON.parse(keyJson) as string) : keyJson.slice(1, -1);
    return { kind: 'metric', metric: wireMetric(keyJson, key, value, ts, step), end };
  }
  if (text.trim() === '') return { kind: 'skipped', reason: '', end };
  const parsed = parseEventLine(text);
  if (!parsed.ok && parsed.batched) {
    const batch = readBatchedLine(parsed.batched, folder);
    if (!batch.ok) return { kind: 'skipped', reason: batch.reason, end };
    const { key, steps, times, values } = batch.points;
    const keyJson = JSON.stringify(key);
    const metrics = [...values].map((value, i) =>
      wireMetric(keyJson, key, valueText(value), String(times[i]), String(steps[i])),
    );
    return { kind: 'metrics', metrics, end };
  }
  if (!parsed.ok) return { kind: 'skipped', reason: parsed.reason, end };
  const event = parsed.event;
  if (event.t === 'metric') {
    const keyJson = JSON.stringify(event.key);
    return {
      kind: 'metric',
      metric: wireMetric(keyJson, event.key, valueText(event.value), String(event.ts), String(event.step)),
      end,
    };
  }
  return { kind: 'event', event, end };
}

/**
 * Calls `each` for every complete line of `file` from byte `from` on; stops early when `each`
 * returns false. Returns the offset after the last line read. A line longer than 32 MB is passed on
 * as skipped, as the store skips it.
 */
export async function forEachLine(
  file: string,
  from: number,
  each: (line: JournalLine) => boolean | Promise<boolean>,
  /** The generation the caller's offsets count in: another one (compacted since) is not read. */
  generation?: string,
): Promise<number> {
  const handle = await open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    if (generation !== undefined && (await readGenerationOf(handle)) !== generation) {
      throw new Error('its journal was compacted while it was being pushed; push it again');
    }
    const folder = dirname(file);
    let offset = from;
    let size = SLICE;
    for (;;) {
      const buffer = Buffer.alloc(size);
      const { bytesRead } = await handle.read(buffer, 0, size, offset);
      if (bytesRead === 0) return offset;
      const data = buffer.subarray(0, bytesRead);
      const last = data.lastIndexOf(0x0a);
      if (last === -1) {
        if (bytesRead < size) return offset; // a line still being written
        if (size < MAX_LINE) {
          size = Math.min(MAX_LINE, size * 4);
          continue;
        }
        const end = await findLineEnd(file, offset);
        if (end === -1) return offset;
        offset = end + 1;
        if ((await each({ kind: 'skipped', reason: `a line longer than ${MAX_LINE >> 20} MB`, end: offset })) === false)
          return offset;
        continue;
      }
      size = SLICE;
      for (let pos = 0; pos <= last;) {
        const newline = data.indexOf(0x0a, pos);
        const line = readLine(data.toString('utf8', pos, newline), offset + newline + 1, folder);
        pos = newline + 1;
        const go = each(line);
        if (go === false || (go !== true && (await go) === false)) return line.end;
      }
      offset += last + 1;
    }
  } finally {
    await handle.close();
  }
}
