/**
 * The fast path of `runs/log-batch`. A batch is nearly all metric points, and turning each point's
 * JSON into a double and back into journal text costs more than the append itself. So a batch body
 * in the plain shape MLflow's client sends — a top-level object whose `metrics` are objects of an
 * ASCII `key` without escapes, a JSON number (or "NaN", "Infinity", "-Infinity") `value`, and integer
 * `timestamp` and `step` — has its points copied byte for byte into journal lines, the number text as
 * the client wrote it. Every other member (`run_id`, `params`, `tags`, …) is parsed as JSON on its own.
 * Anything else (an escape in a key, a value written as a string of digits, an integer past 18 digits,
 * a field such as `model_id`) returns undefined and the body takes the general path, which writes
 * the same journal lines for what it accepts and names the problem for what it refuses.
 */

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

const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');
const LINE_START = ascii('{"t":"metric","ts":');
const KEY_PART = ascii(',"key":"');
const VALUE_PART = ascii('",' + '"value":');
const STEP_PART = ascii(',"step":');
const LINE_END = ascii('}\n');
const ZERO_STEP = ascii('0');
const WIRE_STRINGS = ['NaN', 'Infinity', '-Infinity'].map((s) => ascii(`"${s}"`));

export interface ScannedBatch {
  /** The journal lines of the batch's metrics, in order. */
  readonly lines: Buffer;
  readonly metricCount: number;
  /** Every other member of the body, each parsed as JSON. */
  readonly fields: Readonly<Record<string, unknown>>;
}

class NotPlain extends Error {}
const notPlain = new NotPlain();

/** A cursor over the body that throws `notPlain` at the first thing outside the plain shape. */
class Scanner {
  at = 0;
  constructor(readonly bytes: Buffer) {}

  space(): void {
    const b = this.bytes;
    let i = this.at;
    while (i < b.length) {
      const c = b[i];
      if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break;
      i++;
    }
    this.at = i;
  }

  expect(c: number): void {
    this.space();
    if (this.bytes[this.at] !== c) throw notPlain;
    this.at++;
  }

  /** Whether the next byte (after spaces) is `c`, consuming it if so. */
  take(c: number): boolean {
    this.space();
    if (this.bytes[this.at] !== c) return false;
    this.at++;
    return true;
  }

  /** A string of printable ASCII without escapes: its bytes [start, end) inside the quotes. */
  plainString(): [number, number] {
    this.expect(QUOTE);
    const b = this.bytes;
    const start = this.at;
    let i = start;
    for (;;) {
      const c = b[i];
      if (c === undefined || c < SPACE || c >= 0x7f || c === BACKSLASH) throw notPlain;
      if (c === QUOTE) break;
      i++;
    }
    this.at = i + 1;
    return [start, i];
  }

  name(): string {
    const [start, end] = this.plainString();
    return this.bytes.latin1Slice(start, end);
  }

  /** A JSON number token: [start, end), and whether it has a fraction or an exponent. */
  number(): [number, number, boolean] {
    this.space();
    const b = this.bytes;
    const start = this.at;
    let i = start;
    if (b[i] === MINUS) i++;
    const digits = i;
    while (b[i] >= ZERO && b[i] <= NINE) i++;
    if (i === digits || (i - digits > 1 && b[digits] === ZERO)) throw notPlain;
    let real = false;
    if (b[i] === DOT) {
      real = true;
      const fraction = ++i;
      while (b[i] >= ZERO && b[i] <= NINE) i++;
      if (i === fraction) throw notPlain;
    }
    if (b[i] === LOWER_E || b[i] === UPPER_E) {
      real = true;
      i++;
      if (b[i] === PLUS || b[i] === MINUS) i++;
      const exponent = i;
      while (b[i] >= ZERO && b[i] <= NINE) i++;
      // Exponents of three digits may overflow to Infinity (the general path writes "Infinity").
      if (i === exponent || i - exponent > 2) throw notPlain;
    }
    this.at = i;
    return [start, i, real];
  }

  /** The bytes of any JSON value, for JSON.parse to read (and judge): strings, nesting and all. */
  valueSpan(): [number, number] {
    this.space();
    const b = this.bytes;
    const start = this.at;
    let i = start;
    const skipString = (): void => {
      for (i++; i < b.length && b[i] !== QUOTE; i++) if (b[i] === BACKSLASH) i++;
      i++;
    };
    if (b[i] === QUOTE) {
      skipString();
    } else if (b[i] === OPEN_BRACE || b[i] === OPEN_BRACKET) {
      let depth = 0;
      while (i < b.length) {
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
      while (i < b.length && b[i] !== COMMA && b[i] !== CLOSE_BRACE && b[i] !== CLOSE_BRACKET) i++;
    }
    this.at = Math.min(i, b.length);
    return [start, this.at];
  }
}

/** One metric object as its journal line's parts; the scanner stands after its `}`. */
function scanMetric(s: Scanner, now: Buffer, out: Buffer[]): void {
  s.expect(OPEN_BRACE);
  let key: [number, number] | undefined;
  let value: Buffer | [number, number] | undefined;
  let ts: [number, number] | undefined;
  let step: [number, number] | undefined;
  if (!s.take(CLOSE_BRACE)) {
    do {
      const field = s.name();
      s.expect(COLON);
      if (field === 'key' && !key) {
        key = s.plainString();
        if (key[1] === key[0] || key[1] - key[0] > MAX_KEY_LENGTH) throw notPlain;
      } else if (field === 'value' && !value) {
        s.space();
        if (s.bytes[s.at] === QUOTE) {
          const [start, end] = s.plainString();
          value = WIRE_STRINGS.find((w) => w.length === end - start + 2 && w.equals(s.bytes.subarray(start - 1, end + 1)));
          if (!value) throw notPlain;
        } else {
          const [start, end] = s.number();
          // A negative zero is written -0.0 (docs/JOURNAL.md): the general path does that.
          if (s.bytes[start] === MINUS && /^-0(\.0*)?$/.test(s.bytes.latin1Slice(start, end))) throw notPlain;
          value = [start, end];
        }
      } else if ((field === 'timestamp' && !ts) || (field === 'step' && !step)) {
        const [start, end, real] = s.number();
        const digits = end - start - (s.bytes[start] === MINUS ? 1 : 0);
        if (real || digits > SAFE_INT64_DIGITS) throw notPlain;
        if (field === 'timestamp') ts = [start, end];
        else step = [start, end];
      } else {
        throw notPlain;
      }
    } while (s.take(COMMA));
    s.expect(CLOSE_BRACE);
  }
  if (!key || !value) throw notPlain;
  const b = s.bytes;
  out.push(
    LINE_START,
    ts ? b.subarray(ts[0], ts[1]) : now,
    KEY_PART,
    b.subarray(key[0], key[1]),
    VALUE_PART,
    Buffer.isBuffer(value) ? value : b.subarray(value[0], value[1]),
    STEP_PART,
    step ? b.subarray(step[0], step[1]) : ZERO_STEP,
    LINE_END,
  );
}

/** The batch's metric lines and its other members, or undefined when the body is not in the plain shape. */
export function scanLogBatch(body: Buffer, now: number): ScannedBatch | undefined {
  const s = new Scanner(body);
  const parts: Buffer[] = [];
  const fields: Record<string, unknown> = {};
  const nowText = ascii(String(now));
  let metricCount = 0;
  let sawMetrics = false;
  try {
    s.expect(OPEN_BRACE);
    if (!s.take(CLOSE_BRACE)) {
      do {
        const name = s.name();
        s.expect(COLON);
        if (name === 'metrics' && !sawMetrics) {
          sawMetrics = true;
          s.expect(OPEN_BRACKET);
          if (!s.take(CLOSE_BRACKET)) {
            do {
              scanMetric(s, nowText, parts);
              metricCount++;
            } while (s.take(COMMA));
            s.expect(CLOSE_BRACKET);
          }
        } else if (Object.hasOwn(fields, name) || name === 'metrics' || name === '__proto__') {
          throw notPlain;
        } else {
          const [start, end] = s.valueSpan();
          fields[name] = JSON.parse(quoteBigIntegers(body.toString('utf8', start, end))) as unknown;
        }
      } while (s.take(COMMA));
      s.expect(CLOSE_BRACE);
    }
    s.space();
    if (s.at !== body.length) throw notPlain;
  } catch (error) {
    if (error === notPlain || error instanceof SyntaxError) return undefined;
    throw error;
  }
  return { lines: Buffer.concat(parts), metricCount, fields };
}
