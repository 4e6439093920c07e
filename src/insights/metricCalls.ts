/**
 * Finds the metric-logging calls of a Python file and the keys they log, with their ranges, so the
 * editor can hang hovers and inline values on them: `runlog.log_metric("val_loss", …)`,
 * `log_metric("k", …)` (an imported name), `run.log_metric(…)`, `mlflow.log_metric(…)`, and
 * `log_metrics({"a": …, "b": …})` / `log_metrics(dict(a=…))` with each key separately; and the image
 * series of `log_image(img, key="…", step=…)`. The source is tokenized, never run: a key computed at
 * run time (`f"loss_{i}"`, a variable) is not a key here.
 */
import type { SourceRange } from '../params/paramSpec';
import type { Token } from '../params/pythonTokenizer';
import { findClosing, tokenize } from '../params/pythonTokenizer';

export interface MetricKeyRef {
  readonly key: string;
  /** The key's string literal (quotes included), or the keyword of `dict(key=…)`. */
  readonly range: SourceRange;
}

export interface MetricCall {
  /** The callee as written, without spaces: `runlog.log_metric`, `log_metrics`, `self.run.log_metric`. */
  readonly callee: string;
  /** `log_metrics` (a mapping of keys) rather than `log_metric` (one key). */
  readonly many: boolean;
  /** The keys the call logs that are known from the source, in source order. */
  readonly keys: readonly MetricKeyRef[];
  /** From the callee to the closing parenthesis. */
  readonly range: SourceRange;
}

const METHODS = new Set(['log_metric', 'log_metrics']);
const IMAGE_METHOD = 'log_image';

const rangeOf = (from: Token, to: Token = from): SourceRange => ({
  line: from.line,
  column: from.column,
  endLine: to.endLine,
  endColumn: to.endColumn,
});

const isOp = (token: Token | undefined, text: string): boolean => token?.kind === 'op' && token.text === text;

/** A plain (not bytes, not formatted-with-fields) string literal standing alone: its value. */
function literalKey(tokens: readonly Token[]): string | undefined {
  if (tokens.length !== 1) return undefined;
  const [token] = tokens;
  if (token.kind !== 'string' || token.error || token.value === undefined) return undefined;
  if (token.prefix?.includes('b')) return undefined;
  return token.value;
}

/** Splits the tokens strictly inside the bracket at `open` at its top-level commas. */
function splitItems(tokens: readonly Token[], open: number, close: number): Token[][] {
  const depth = tokens[open].depth + 1;
  const items: Token[][] = [];
  let current: Token[] = [];
  for (let k = open + 1; k < close; k++) {
    const token = tokens[k];
    if (token.depth === depth && isOp(token, ',')) {
      items.push(current);
      current = [];
    } else if (token.kind !== 'newline' && token.kind !== 'comment') current.push(token);
  }
  if (current.length > 0) items.push(current);
  return items.filter((item) => item.length > 0);
}

interface Argument {
  /** The keyword of `name=value`; undefined for a positional argument. */
  readonly keyword?: Token;
  readonly tokens: readonly Token[];
}

function argumentsOf(tokens: readonly Token[], open: number, close: number): Argument[] {
  const depth = tokens[open].depth + 1;
  return splitItems(tokens, open, close).map((item) =>
    item.length >= 2 && item[0].kind === 'name' && isOp(item[1], '=') && item[1].depth === depth
      ? { keyword: item[0], tokens: item.slice(2) }
      : { tokens: item },
  );
}

/** The keys of a dict display `{"a": …, "b": …}` or of `dict(a=…, b=…)`; `**rest` and computed keys are skipped. */
function mappingKeys(all: readonly Token[], arg: readonly Token[]): MetricKeyRef[] {
  if (arg.length === 0) return [];
  const first = arg[0];
  const open = all.indexOf(first);
  if (isOp(first, '{')) {
    const close = findClosing(all, open);
    if (all[close] !== arg[arg.length - 1]) return [];
    const keys: MetricKeyRef[] = [];
    for (const entry of splitItems(all, open, close)) {
      const colon = entry.findIndex((t) => isOp(t, ':') && t.depth === first.depth + 1);
      if (colon <= 0) continue;
      const key = literalKey(entry.slice(0, colon));
      if (key !== undefined) keys.push({ key, range: rangeOf(entry[0]) });
    }
    return keys;
  }
  if (first.kind === 'name' && first.text === 'dict' && isOp(arg[1], '(')) {
    const close = findClosing(all, open + 1);
    if (all[close] !== arg[arg.length - 1]) return [];
    return argumentsOf(all, open + 1, close).flatMap((a) =>
      a.keyword ? [{ key: a.keyword.text, range: rangeOf(a.keyword) }] : [],
    );
  }
  return [];
}

/** Every metric-logging call in `source`, in source order. */
export function findMetricCalls(source: string): MetricCall[] {
  const tokens = tokenize(source);
  const calls: MetricCall[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const name = tokens[i];
    if (name.kind !== 'name' || !METHODS.has(name.text) || !isOp(tokens[i + 1], '(')) continue;
    if (tokens[i - 1]?.kind === 'name' && tokens[i - 1].text === 'def') continue;
    // The receiver chain, `a.b.log_metric`: names joined by dots, read backwards.
    let start = i;
    while (isOp(tokens[start - 1], '.') && tokens[start - 2]?.kind === 'name') start -= 2;
    if (isOp(tokens[start - 1], '.')) start = i; // `x[0].log_metric`, `f().log_metric`: callee as the method alone
    const open = i + 1;
    const close = findClosing(tokens, open);
    const args = argumentsOf(tokens, open, close);
    const many = name.text === 'log_metrics';
    const target =
      args.find((a) => a.keyword?.text === (many ? 'metrics' : 'key')) ?? (args[0]?.keyword ? undefined : args[0]);
    let keys: MetricKeyRef[] = [];
    if (target) {
      if (many) keys = mappingKeys(tokens, target.tokens);
      else {
        const key = literalKey(target.tokens);
        if (key !== undefined) keys = [{ key, range: rangeOf(target.tokens[0]) }];
      }
    }
    calls.push({
      callee: tokens
        .slice(start, i + 1)
        .map((t) => t.text)
        .join(''),
      many,
      keys,
      range: rangeOf(tokens[start], tokens[close]),
    });
  }
  return calls;
}

/**
 * The `key=` of every `log_image` call (runlog's and MLflow's take it by keyword; MLflow's second
 * positional argument is a file name, not a key), as keys with their ranges.
 */
export function findImageKeys(source: string): MetricKeyRef[] {
  const tokens = tokenize(source);
  const keys: MetricKeyRef[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const name = tokens[i];
    if (name.kind !== 'name' || name.text !== IMAGE_METHOD || !isOp(tokens[i + 1], '(')) continue;
    if (tokens[i - 1]?.kind === 'name' && tokens[i - 1].text === 'def') continue;
    const close = findClosing(tokens, i + 1);
    const arg = argumentsOf(tokens, i + 1, close).find((a) => a.keyword?.text === 'key');
    const key = arg ? literalKey(arg.tokens) : undefined;
    if (arg && key !== undefined) keys.push({ key, range: rangeOf(arg.tokens[0]) });
  }
  return keys;
}

const contains = (range: SourceRange, line: number, column: number): boolean =>
  (line > range.line || (line === range.line && column >= range.column)) &&
  (line < range.endLine || (line === range.endLine && column <= range.endColumn));

/** The metric key under a position (0-based line and column), with its call. */
export function metricKeyAt(
  calls: readonly MetricCall[],
  line: number,
  column: number,
): { readonly call: MetricCall; readonly key: MetricKeyRef } | undefined {
  for (const call of calls) {
    if (!contains(call.range, line, column)) continue;
    const key = call.keys.find((k) => contains(k.range, line, column));
    if (key) return { call, key };
  }
  return undefined;
}

/** The image key under a position (0-based line and column). */
export function imageKeyAt(keys: readonly MetricKeyRef[], line: number, column: number): MetricKeyRef | undefined {
  return keys.find((k) => contains(k.range, line, column));
}
