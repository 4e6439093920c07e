/**
 * Sweeps: a parameter value that stands for several values, expanded into one run per
 * combination (a grid).
 *
 *   0.1, 0.01, 0.001     a comma list; spaces around items are ignored
 *   1..5                 an inclusive range: 1, 2, 3, 4, 5 (5..1 counts down); integer bounds step by 1
 *   1..10..3             with a step: 1, 4, 7, 10 (the end is included only when a step lands on it)
 *   0..1..0.25           bounds that are not integers need a step: 0, 0.25, 0.5, 0.75, 1
 *   1e-4..1e-1..*10      a geometric range multiplies: 0.0001, 0.001, 0.01, 0.1
 *   1..3, 10             items combine: 1, 2, 3, 10
 *   "a,b", c             quotes make an item literal: the values a,b and c
 *
 * Ranges apply to int and float parameters only; elsewhere `..` is ordinary text. An item wholly
 * in single or double quotes is taken literally (a backslash escapes the next character inside
 * it); quotes inside a longer item stay as written, so list values like `"a b" c` pass through.
 * A value without a comma outside quotes and without a range is a single value, kept as typed.
 */
import type { ParamSpec } from './paramSpec';
import { ParamError, validateValue } from './paramSpec';

export const MAX_COMBINATIONS = 1000;

export interface SweepOptions {
  /** The most runs a grid may have (default `MAX_COMBINATIONS`). */
  readonly maxCombinations?: number;
}

export type SweepParse = { readonly values: readonly string[] } | { readonly error: string };

const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;
const RANGE = new RegExp(`^(${NUMBER})\\.\\.(${NUMBER})(?:\\.\\.(\\*?)(${NUMBER}))?$`);

/** Splits on commas outside quotes; the items keep their quotes. */
function splitItems(text: string): string[] {
  const items: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && i + 1 < text.length) current += c + text[++i];
      else {
        if (c === quote) quote = undefined;
        current += c;
      }
    } else if (c === ',') {
      items.push(current);
      current = '';
    } else {
      if (c === '"' || c === "'") quote = c;
      current += c;
    }
  }
  items.push(current);
  return items;
}

/** The literal text of an item wholly in quotes, else undefined. */
function unquote(item: string): string | undefined {
  const m = /^(["'])((?:\\[\s\S]|(?!\1)[^\\])*)\1$/.exec(item);
  return m ? m[2].replace(/\\([\s\S])/g, '$1') : undefined;
}

/** Rounds away float noise (0.30000000000000004) and prints the shortest form. */
function formatNumber(value: number): string {
  return String(Number(value.toPrecision(12)));
}

function expandRange(match: RegExpExecArray, integer: boolean, limit: number): SweepParse {
  const [start, end] = [Number(match[1]), Number(match[2])];
  const geometric = match[3] === '*';
  const given = match[4] === undefined ? undefined : Number(match[4]);
  const description = match[0];
  if (given === undefined && !(Number.isInteger(start) && Number.isInteger(end))) {
    return { error: `${description}: a range of non-integers needs a step, e.g. 0..1..0.25` };
  }
  const step = given ?? 1;
  if (integer && !(Number.isInteger(start) && Number.isInteger(end) && (geometric || Number.isInteger(step)))) {
    return { error: `${description}: an integer parameter needs integer bounds and step` };
  }
  let count: number;
  if (geometric) {
    if (!(step > 1)) return { error: `${description}: a geometric step must be greater than 1, e.g. 1e-4..1e-1..*10` };
    if (!(start > 0 && end > 0) && !(start < 0 && end < 0)) {
      return { error: `${description}: a geometric range needs bounds of the same sign, neither zero` };
    }
    count = Math.floor(Math.abs(Math.log(end / start) / Math.log(step)) + 1e-9) + 1;
  } else {
    if (!(step > 0))
      return { error: `${description}: the step must be positive (the range counts down when start > end)` };
    count = Math.floor(Math.abs(end - start) / step + 1e-9) + 1;
  }
  if (count > limit) return { error: `${description} has ${count} values, more than the limit of ${limit}` };
  const down = end < start;
  const values = Array.from({ length: count }, (_, k) => {
    const v = geometric ? start * (down ? step ** -k : step ** k) : start + (down ? -k : k) * step;
    return integer ? String(Math.round(v)) : formatNumber(v);
  });
  return { values };
}

/**
 * The values one parameter's text stands for. `spec` decides whether ranges apply (int and float
 * parameters); without one only comma lists and quotes do.
 */
export function parseSweep(spec: ParamSpec | undefined, text: string, limit = MAX_COMBINATIONS): SweepParse {
  const items = splitItems(text);
  const numeric = spec?.type === 'int' || spec?.type === 'float';
  if (items.length === 1) {
    const literal = unquote(text.trim());
    const range = numeric ? RANGE.exec(text.trim()) : null;
    if (literal !== undefined) return { values: [literal] };
    if (!range) return { values: [text] };
  }
  const values: string[] = [];
  for (const raw of items) {
    const item = raw.trim();
    if (item === '')
      return { error: `empty value in '${text}': remove the extra comma, or quote an empty string ("")` };
    const literal = unquote(item);
    const range = numeric && literal === undefined ? RANGE.exec(item) : null;
    if (range) {
      const expanded = expandRange(range, spec?.type === 'int', limit);
      if ('error' in expanded) return expanded;
      values.push(...expanded.values);
    } else values.push(literal ?? item);
    if (values.length > limit) return { error: `'${text}' has more than ${limit} values` };
  }
  return { values };
}

/** A problem with a sweep value: its syntax, or any of its values (via `validateValue`). */
export function validateSweep(spec: ParamSpec, text: string): string | undefined {
  const parsed = parseSweep(spec, text);
  if ('error' in parsed) return `${spec.name}: ${parsed.error}`;
  for (const value of parsed.values) {
    const problem = validateValue(spec, value);
    if (problem) return problem;
  }
  return undefined;
}

export interface GridAxis {
  readonly name: string;
  readonly values: readonly string[];
}

export interface GridPlan {
  /** One axis per parameter with a value, in spec order, then values for names no spec has. */
  readonly axes: readonly GridAxis[];
  /** How many runs the grid makes (the product of the axes' lengths). */
  readonly count: number;
  readonly problems: readonly string[];
}

/** The grid `values` describe, without expanding it: for a live "12 runs" in the editor. */
export function planGrid(
  specs: readonly ParamSpec[],
  values: Readonly<Record<string, string | undefined>>,
  options: SweepOptions = {},
): GridPlan {
  const limit = options.maxCombinations ?? MAX_COMBINATIONS;
  const axes: GridAxis[] = [];
  const problems: string[] = [];
  const known = new Set(specs.map((s) => s.name));
  const entries: [string, ParamSpec | undefined][] = [
    ...specs.map((s): [string, ParamSpec] => [s.name, s]),
    ...Object.keys(values)
      .filter((name) => !known.has(name))
      .map((name): [string, undefined] => [name, undefined]),
  ];
  for (const [name, spec] of entries) {
    const text = values[name];
    if (text === undefined || text.trim() === '') continue;
    const parsed = parseSweep(spec, text, limit);
    if ('error' in parsed) {
      problems.push(`${name}: ${parsed.error}`);
      continue;
    }
    const invalid = spec ? parsed.values.map((v) => validateValue(spec, v)).find((p) => p !== undefined) : undefined;
    if (invalid) problems.push(invalid);
    axes.push({ name, values: parsed.values });
  }
  const count = axes.reduce((n, axis) => n * axis.values.length, 1);
  if (count > limit) {
    const swept = axes.filter((a) => a.values.length > 1).map((a) => `${a.name}: ${a.values.length}`);
    problems.push(`The sweep makes ${count} runs (${swept.join(' × ')}), more than the limit of ${limit}`);
  }
  return { axes, count, problems };
}

/**
 * Every combination of the values, one map per run, the first parameter varying slowest.
 * Parameters without a value are left out of every map. Throws `ParamError` for a malformed
 * sweep, an invalid value or a grid over the limit.
 */
export function expandGrid(
  specs: readonly ParamSpec[],
  values: Readonly<Record<string, string | undefined>>,
  options: SweepOptions = {},
): Record<string, string>[] {
  const plan = planGrid(specs, values, options);
  if (plan.problems.length > 0) throw new ParamError(plan.problems);
  let runs: Record<string, string>[] = [{}];
  for (const axis of plan.axes)
    runs = runs.flatMap((run) => axis.values.map((value) => ({ ...run, [axis.name]: value })));
  return runs;
}
