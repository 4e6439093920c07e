/**
 * The fast path of `runs/log-batch`. A batch is nearly all metric points, and turning each point's
 * JSON into a double and back into journal text costs more than the append itself. So a batch body
 * in the plain shape MLflow's client sends — a top-level object whose `metrics` are objects of an
 * ASCII `key` without escapes, a JSON number (or "NaN", "Infinity", "-Infinity") `value`, and integer
 * `timestamp` and `step` — has its points read straight from the bytes into each key's columns
 * (steps, times, doubles), which become the key's batched line (journal format 4) with no point
 * object made and no second parse. A key whose points a batched line cannot hold exactly (a step or
 * time past 2^53) keeps metric lines copied byte for byte, the number text as the client wrote it.
 * Every other member (`run_id`, `params`, `tags`, …) is parsed as JSON on its own. Anything else (an
 * escape in a key, a value written as a string of digits, an integer past 18 digits, a field such as
 * `model_id`) returns undefined and the body takes the general path, which writes the same journal
 * text for what it accepts and names the problem for what it refuses.
 *
 * Like the journal's own scanner (store/metricScan.ts) it reads a plain Uint8Array with module-level
 * cursors, so scanning a point allocates nothing.
 */
import { metricLine } from '../runs/runJournal';
import { batchable, metricBatchLine } from '../store/metricBatchLine';
import { MetricBatch, jsonNumberAt } from '../store/metricScan';
import { quoteBigIntegers } from './wire';

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/** At most this many digits, an integer is inside int64 whatever they are. */
const SAFE_INT64_DIGITS = 18;
const MAX_KEY_LENGTH = 250;

const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));
const LINE_START = ascii('{"t":"metric","ts":');
const KEY_PART = ascii(',"key":"');
const VALUE_PART = ascii('","value":');
const STEP_PART = ascii(',"step":');
const LINE_END = ascii('}\n');
const ZERO_STEP = ascii('0');
const WIRE_STRINGS = ['NaN', 'Infinity', '-Infinity'].map((s) => ascii(`"${s}"`));
const FIELD_NAMES = ['key', 'value', 'timestamp', 'step'].map(ascii);
const KEY = 0;
const VALUE = 1;
const TIMESTAMP = 2;
const STEP = 3;

export interface ScannedBatch {
  /** The journal text of the batch's metrics (journalText). */
  readonly lines: string;
  readonly metricCount: number;
  /** Every other member of the body, each parsed as JSON. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Thrown (made once, so throwing costs no stack) at the first thing outside the plain shape. */
class NotPlain extends Error {}
const NOT_PLAIN = new NotPlain('not a plain log-batch body');

// The last token's bounds and the output: module state, so scanning allocates nothing. The bytes
// and the cursor are passed along, so the hot loops keep them in registers.
let tokenStart = 0;
let tokenEnd = 0;
/** Whether the last number had a fraction or an exponent. */
let tokenReal = false;
let out = new Uint8Array(0);
let outLength = 0;

function space(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i];
    if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break;
    i++;
  }
  return i;
}

/** The index after `c` (spaces before it skipped); throws when `c` is not next. */
function expect(b: Uint8Array, i: number, n: number, c: number): number {
  i = space(b, i, n);
  if (i >= n || b[i] !== c) throw NOT_PLAIN;
  return i + 1;
}

/** The index after `c` when it is next (after spaces), else -1. */
function take(b: Uint8Array, i: number, n: number, c: number): number {
  i = space(b, i, n);
  return i < n && b[i] === c ? i + 1 : -1;
}

/** A string of printable ASCII without escapes: its bytes inside the quotes become the token. */
function plainString(b: Uint8Array, i: number, n: number): number {
  i = expect(b, i, n, QUOTE);
  const start = i;
  for (;;) {
    if (i >= n) throw NOT_PLAIN;
    const c = b[i];
    if (c === QUOTE) break;
    if (c < SPACE || c >= 0x7f || c === BACKSLASH) throw NOT_PLAIN;
    i++;
  }
  tokenStart = start;
  tokenEnd = i;
  return i + 1;
}

function digitsFrom(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i];
    if (c < ZERO || c > NINE) break;
    i++;
  }
  return i;
}

/** A JSON number token. */
function number(b: Uint8Array, i: number, n: number): number {
  i = space(b, i, n);
  const start = i;
  if (i < n && b[i] === MINUS) i++;
  const digits = i;
  i = digitsFrom(b, i, n);
  if (i === digits || (i - digits > 1 && b[digits] === ZERO)) throw NOT_PLAIN;
  tokenReal = false;
  if (i < n && b[i] === DOT) {
    tokenReal = true;
    const fraction = ++i;
    i = digitsFrom(b, i, n);
    if (i === fraction) throw NOT_PLAIN;
  }
  if (i < n && (b[i] === LOWER_E || b[i] === UPPER_E)) {
    tokenReal = true;
    i++;
    if (i < n && (b[i] === PLUS || b[i] === MINUS)) i++;
    const exponent = i;
    i = digitsFrom(b, i, n);
    // Exponents of three digits may overflow to Infinity (the general path writes "Infinity").
    if (i === exponent || i - exponent > 2) throw NOT_PLAIN;
  }
  tokenStart = start;
  tokenEnd = i;
  return i;
}

/** The bytes of any JSON value become the token, for JSON.parse to read (and judge). */
function valueSpan(b: Uint8Array, i: number, n: number): number {
  i = space(b, i, n);
  const start = i;
  const skipString = (): void => {
    for (i++; i < n && b[i] !== QUOTE; i++) if (b[i] === BACKSLASH) i++;
    i++;
  };
  if (b[i] === QUOTE) {
    skipString();
  } else if (b[i] === OPEN_BRACE || b[i] === OPEN_BRACKET) {
    let depth = 0;
    while (i < n) {
      const c = b[i];
      if (c === QUOTE) {
        skipString();
        continue;
      }
      i++;
      if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) break;
    }
  } else {
    while (i < n && b[i] !== COMMA && b[i] !== CLOSE_BRACE && b[i] !== CLOSE_BRACKET) i++;
  }
  tokenStart = start;
  tokenEnd = Math.min(i, n);
  return tokenEnd;
}

/** Whether bytes [from, to) are `literal`. */
function bytesAre(b: Uint8Array, from: number, to: number, literal: Uint8Array): boolean {
  if (to - from !== literal.length) return false;
  for (let i = 0; i < literal.length; i++) if (b[from + i] !== literal[i]) return false;
  return true;
}

/** Room for `n` more bytes of output. */
function reserve(n: number): void {
  if (outLength + n <= out.length) return;
  const bigger = new Uint8Array(Math.max(out.length * 2, outLength + n));
  bigger.set(out.subarray(0, outLength));
  out = bigger;
}

/** Copies bytes [start, end) of `source` to the output (room reserved); short, so a loop beats a subarray. */
function put(source: Uint8Array, start: number, end: number): void {
  const o = out;
  const base = outLength - start;
  for (let i = start; i < end; i++) o[base + i] = source[i];
  outLength += end - start;
}

function putAll(constant: Uint8Array): void {
  out.set(constant, outLength);
  outLength += constant.length;
}

function fieldOf(b: Uint8Array): number {
  for (let f = 0; f < FIELD_NAMES.length; f++) {
    if (bytesAre(b, tokenStart, tokenEnd, FIELD_NAMES[f])) return f;
  }
  return -1;
}

// The last metric object's parts: byte bounds in the body (start -1 when absent), module state too.
let keyStart = -1;
let keyEnd = -1;
let wireString: Uint8Array | undefined;
let valueStart = -1;
let valueEnd = -1;
let tsStart = -1;
let tsEnd = -1;
let stepStart = -1;
let stepEnd = -1;

/** One metric object into the parts above; returns the index after its `}`. */
function scanMetric(b: Uint8Array, i: number, n: number): number {
  i = expect(b, i, n, OPEN_BRACE);
  keyStart = keyEnd = valueStart = valueEnd = tsStart = tsEnd = stepStart = stepEnd = -1;
  wireString = undefined;
  let next = take(b, i, n, CLOSE_BRACE);
  if (next === -1) {
    do {
      i = plainString(b, i, n);
      const field = fieldOf(b);
      i = expect(b, i, n, COLON);
      if (field === KEY && keyStart < 0) {
        i = plainString(b, i, n);
        if (tokenEnd === tokenStart || tokenEnd - tokenStart > MAX_KEY_LENGTH) throw NOT_PLAIN;
        keyStart = tokenStart;
        keyEnd = tokenEnd;
      } else if (field === VALUE && valueStart < 0) {
        i = space(b, i, n);
        if (b[i] === QUOTE) {
          i = plainString(b, i, n);
          wireString = WIRE_STRINGS.find((w) => bytesAre(b, tokenStart - 1, tokenEnd + 1, w));
          if (!wireString) throw NOT_PLAIN;
          valueStart = tokenStart;
        } else {
          i = number(b, i, n);
          // A negative zero is written -0.0 (docs/JOURNAL.md): the general path does that.
          if (b[tokenStart] === MINUS && b[tokenStart + 1] === ZERO) {
            let zero = true;
            for (let z = tokenStart + 1; z < tokenEnd; z++) zero &&= b[z] === ZERO || b[z] === DOT;
            if (zero) throw NOT_PLAIN;
          }
          valueStart = tokenStart;
          valueEnd = tokenEnd;
        }
      } else if ((field === TIMESTAMP && tsStart < 0) || (field === STEP && stepStart < 0)) {
        i = number(b, i, n);
        const digits = tokenEnd - tokenStart - (b[tokenStart] === MINUS ? 1 : 0);
        if (tokenReal || digits > SAFE_INT64_DIGITS) throw NOT_PLAIN;
        if (field === TIMESTAMP) {
          tsStart = tokenStart;
          tsEnd = tokenEnd;
        } else {
          stepStart = tokenStart;
          stepEnd = tokenEnd;
        }
      } else {
        throw NOT_PLAIN;
      }
      next = take(b, i, n, COMMA);
      if (next !== -1) i = next;
    } while (next !== -1);
    next = expect(b, i, n, CLOSE_BRACE);
  }
  if (keyStart < 0 || valueStart < 0) throw NOT_PLAIN;
  return next;
}

/** The last metric object as its journal line, its numbers' text as the client wrote it. */
function writeLine(b: Uint8Array, now: Uint8Array): void {
  reserve(
    LINE_START.length +
      (tsStart < 0 ? now.length : tsEnd - tsStart) +
      KEY_PART.length +
      (keyEnd - keyStart) +
      VALUE_PART.length +
      (wireString ? wireString.length : valueEnd - valueStart) +
      STEP_PART.length +
      (stepStart < 0 ? 1 : stepEnd - stepStart) +
      LINE_END.length,
  );
  putAll(LINE_START);
  if (tsStart < 0) putAll(now);
  else put(b, tsStart, tsEnd);
  putAll(KEY_PART);
  put(b, keyStart, keyEnd);
  putAll(VALUE_PART);
  if (wireString) putAll(wireString);
  else put(b, valueStart, valueEnd);
  putAll(STEP_PART);
  if (stepStart < 0) putAll(ZERO_STEP);
  else put(b, stepStart, stepEnd);
  putAll(LINE_END);
}

/** An integer token (checked: at most 18 digits) as a double; NaN past 2^53, where doubles lose digits. */
function safeInteger(b: Uint8Array, from: number, to: number): number {
  let i = b[from] === MINUS ? from + 1 : from;
  let value = 0;
  for (; i < to; i++) value = value * 10 + (b[i] - ZERO);
  if (value > Number.MAX_SAFE_INTEGER) return Number.NaN;
  return b[from] === MINUS ? -value : value;
}

/** The last metric object's value as a double. */
function valueOf(b: Uint8Array): number {
  if (wireString === WIRE_STRINGS[0]) return Number.NaN;
  if (wireString === WIRE_STRINGS[1]) return Number.POSITIVE_INFINITY;
  if (wireString === WIRE_STRINGS[2]) return Number.NEGATIVE_INFINITY;
  return jsonNumberAt(b, valueStart, valueEnd);
}

/**
 * The last metric object into its key's columns. A key with a step or time past 2^53 is marked
 * exact: its points keep metric lines, with the digits the client sent.
 */
function collect(b: Uint8Array, now: number, batch: MetricBatch, exact: Set<string>): void {
  const key = batch.keyAt(b, keyStart, keyEnd);
  const ts = tsStart < 0 ? now : safeInteger(b, tsStart, tsEnd);
  const step = stepStart < 0 ? 0 : safeInteger(b, stepStart, stepEnd);
  if (Number.isNaN(ts) || Number.isNaN(step)) exact.add(key);
  batch.add(key, step, ts, valueOf(b));
}

/** The metric lines of the keys in `keys`, in order, as the client wrote their points. */
function exactLines(b: Uint8Array, from: number, n: number, now: Uint8Array, keys: Set<string>): Buffer {
  out = new Uint8Array(1024);
  outLength = 0;
  const batch = new MetricBatch();
  let i = from;
  for (;;) {
    i = scanMetric(b, i, n);
    if (keys.has(batch.keyAt(b, keyStart, keyEnd))) writeLine(b, now);
    const comma = take(b, i, n, COMMA);
    if (comma === -1) break;
    i = comma;
  }
  const lines = Buffer.from(out.buffer, 0, outLength);
  out = new Uint8Array(0);
  return lines;
}

/**
 * The journal text of a batch's points, key by key: a batched line (journal format 4) for a key's
 * points when there are several and their steps and times fit one, one metric line for a single
 * point, and the client's own metric lines for a key with an int64 past 2^53 or a spread a batched
 * line cannot hold.
 */
function journalText(b: Uint8Array, metricsAt: number, now: number, batch: MetricBatch, exact: Set<string>): string {
  let text = '';
  for (const [key, columns] of batch.series) {
    if (exact.has(key)) continue;
    const { steps, times, values } = columns.view();
    if (values.length === 1) text += metricLine(times[0] ?? 0, key, values[0] ?? Number.NaN, steps[0] ?? 0);
    else if (batchable(steps, times)) text += metricBatchLine(key, steps, times, values);
    else exact.add(key);
  }
  if (exact.size === 0) return text;
  return text + exactLines(b, metricsAt, b.length, ascii(String(now)), exact).toString('latin1');
}

/** The batch's journal text and its other members, or undefined when the body is not in the plain shape. */
export function scanLogBatch(body: Buffer, now: number): ScannedBatch | undefined {
  const b = new Uint8Array(body.buffer, body.byteOffset, body.length);
  const n = b.length;
  const fields: Record<string, unknown> = {};
  const batch = new MetricBatch();
  const exact = new Set<string>();
  let metricsAt = -1;
  let metricCount = 0;
  try {
    let i = expect(b, 0, n, OPEN_BRACE);
    let next = take(b, i, n, CLOSE_BRACE);
    if (next === -1) {
      do {
        i = plainString(b, i, n);
        const name = body.toString('latin1', tokenStart, tokenEnd);
        i = expect(b, i, n, COLON);
        if (name === 'metrics' && metricsAt < 0) {
          i = expect(b, i, n, OPEN_BRACKET);
          metricsAt = i;
          const empty = take(b, i, n, CLOSE_BRACKET);
          if (empty !== -1) {
            i = empty;
          } else {
            for (;;) {
              i = scanMetric(b, i, n);
              collect(b, now, batch, exact);
              metricCount++;
              const comma = take(b, i, n, COMMA);
              if (comma === -1) break;
              i = comma;
            }
            i = expect(b, i, n, CLOSE_BRACKET);
          }
        } else if (name === 'metrics' || name === '__proto__' || Object.hasOwn(fields, name)) {
          throw NOT_PLAIN;
        } else {
          i = valueSpan(b, i, n);
          fields[name] = JSON.parse(quoteBigIntegers(body.toString('utf8', tokenStart, tokenEnd))) as unknown;
        }
        next = take(b, i, n, COMMA);
        if (next !== -1) i = next;
      } while (next !== -1);
      next = expect(b, i, n, CLOSE_BRACE);
    }
    if (space(b, next, n) !== n) throw NOT_PLAIN;
  } catch (error) {
    if (error === NOT_PLAIN || error instanceof SyntaxError) return undefined;
    throw error;
  }
  const lines = metricCount === 0 ? '' : journalText(b, metricsAt, now, batch, exact);
  return { lines, metricCount, fields };
}
