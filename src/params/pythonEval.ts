/**
 * What Python expressions evaluate to when that is known without running the script: literals,
 * module-level constants, `range(...)`, simple arithmetic. Everything else is undefined, never a
 * guess.
 */
import type { ParamValue } from './paramSpec';
import type { CallArgs, Expr, PySource } from './pythonExpr';
import { parseSlice } from './pythonExpr';

/** A value known without running the script; JSON-friendly. */
export type Literal = string | number | boolean | null | readonly Literal[];

const KEYWORDS = new Set([
  'not',
  'and',
  'or',
  'if',
  'else',
  'for',
  'in',
  'is',
  'await',
  'yield',
  'lambda',
  'async',
  'def',
  'class',
  'import',
  'from',
  'return',
]);

/** What a name means where it is used: a module-level constant, or undefined when unknown. */
export type Lookup = (name: string) => Literal | undefined;

const MAX_RANGE = 10_000;

/** The value of `expr` when it is known without running the script. */
export function evaluate(expr: Expr, lookup: Lookup): Literal | undefined {
  switch (expr.kind) {
    case 'str':
    case 'const':
      return expr.value;
    case 'num':
      return Number.isNaN(expr.value) ? undefined : expr.value;
    case 'name':
      return lookup(expr.path);
    case 'seq': {
      const items = expr.items.map((item) => evaluate(item, lookup));
      return items.every((item) => item !== undefined) ? items : undefined;
    }
    case 'unary': {
      const value = evaluate(expr.operand, lookup);
      if (typeof value !== 'number') return undefined;
      return expr.op === '-' ? -value : expr.op === '+' ? value : ~value;
    }
    case 'binary':
      return binaryValue(expr.op, evaluate(expr.left, lookup), evaluate(expr.right, lookup));
    case 'call':
      return callValue(expr.callee, expr.call, lookup);
    case 'subscript': {
      // MODELS[0], DEFAULTS[-1]
      const target = evaluate(expr.target, lookup);
      const index = evaluate(expr.index, lookup);
      if (!Array.isArray(target) || !Number.isInteger(index)) return undefined;
      const list = target as readonly Literal[];
      const at = (index as number) < 0 ? list.length + (index as number) : (index as number);
      return at >= 0 && at < list.length ? list[at] : undefined;
    }
    default:
      return undefined;
  }
}

function binaryValue(op: string, left: Literal | undefined, right: Literal | undefined): Literal | undefined {
  if (typeof left === 'number' && typeof right === 'number') {
    switch (op) {
      case '+':
        return left + right;
      case '-':
        return left - right;
      case '*':
        return left * right;
      case '/':
        return right === 0 ? undefined : left / right;
      case '//':
        return right === 0 ? undefined : Math.floor(left / right);
      case '%':
        return right === 0 ? undefined : left - right * Math.floor(left / right);
      case '**':
        return left ** right;
      default:
        return undefined;
    }
  }
  if (op === '+' && typeof left === 'string' && typeof right === 'string') return left + right;
  if (op === '+' && Array.isArray(left) && Array.isArray(right))
    return [...(left as Literal[]), ...(right as Literal[])];
  return undefined;
}

function callValue(callee: string | undefined, call: CallArgs, lookup: Lookup): Literal | undefined {
  if (call.starred) return undefined;
  const args = call.args.map((a) => evaluate(a, lookup));
  switch (callee) {
    case 'range': {
      if (args.length < 1 || args.length > 3 || !args.every((a) => Number.isInteger(a))) return undefined;
      const [start, stop, step] = (args.length === 1 ? [0, args[0], 1] : [args[0], args[1], args[2] ?? 1]) as number[];
      if (step === 0 || (stop - start) / step > MAX_RANGE) return undefined;
      const out: number[] = [];
      for (let v = start; step > 0 ? v < stop : v > stop; v += step) out.push(v);
      return out;
    }
    case 'list':
    case 'tuple':
    case 'sorted':
      return Array.isArray(args[0]) && args.length === 1
        ? callee === 'sorted'
          ? [...(args[0] as Literal[])].sort()
          : args[0]
        : undefined;
    case 'int':
    case 'float':
      return typeof args[0] === 'number' ? (callee === 'int' ? Math.trunc(args[0]) : args[0]) : undefined;
    case 'str':
    case 'Path':
    case 'pathlib.Path':
      return typeof args[0] === 'string' && args.length === 1 ? args[0] : undefined;
    case 'os.environ.get':
    case 'os.getenv':
      // The script sees the fallback unless the variable is set; the editor shows the fallback.
      return call.kwargs.has('default') ? evaluate(call.kwargs.get('default') as Expr, lookup) : (args[1] ?? null);
    default:
      return undefined;
  }
}

interface Assignment {
  readonly offset: number;
  readonly value: Literal | undefined;
}

/**
 * Module-level `NAME = <literal>` (or `NAME: type = <literal>`) assignments, in source order. A
 * later non-literal assignment to the same name makes it unknown from there on.
 */
export class ModuleConstants {
  private readonly assignments = new Map<string, Assignment[]>();

  constructor(src: PySource) {
    const { tokens } = src;
    for (let k = 0; k < tokens.length; k++) {
      const t = tokens[k];
      const atStatementStart = k === 0 || tokens[k - 1].kind === 'newline';
      if (!atStatementStart || t.kind !== 'name' || t.column !== 0 || KEYWORDS.has(t.text)) continue;
      let end = k;
      while (
        end < tokens.length &&
        tokens[end].kind !== 'newline' &&
        !(tokens[end].text === ';' && tokens[end].depth === 0)
      )
        end++;
      let eq = k + 1;
      if (tokens[eq]?.text === ':') while (eq < end && !(tokens[eq].text === '=' && tokens[eq].depth === 0)) eq++;
      if (tokens[eq]?.kind !== 'op' || tokens[eq].text !== '=' || eq + 1 >= end) continue;
      const value = evaluate(parseSlice(src, eq + 1, end), (name) => this.at(name, t.start));
      const list = this.assignments.get(t.text) ?? [];
      list.push({ offset: t.start, value });
      this.assignments.set(t.text, list);
    }
  }

  /** The value `name` has for code at `offset`: the last assignment before it, else the last one. */
  at(name: string, offset: number): Literal | undefined {
    const list = this.assignments.get(name);
    if (!list) return undefined;
    const before = list.filter((a) => a.offset < offset);
    return (before.length > 0 ? before[before.length - 1] : list[list.length - 1]).value;
  }
}

/** `str(value)` as Python prints it, for `%(default)s` in help texts and MLflow command lines. */
export function pythonStr(value: Literal): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pythonFloat(value);
  if (typeof value === 'string') return value;
  return `[${value.map((v) => (typeof v === 'string' ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : pythonStr(v))).join(', ')}]`;
}

/** `repr(float)`: shortest round-trip digits, positional between 1e-4 and 1e16, else `1e-05` style. */
export function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const [mantissa, exp] = value.toExponential().split('e');
  const exponent = Number(exp);
  if (exponent >= -4 && exponent < 16) {
    const text = String(value);
    return /[.e]/.test(text) ? text : `${text}.0`;
  }
  const sign = exponent < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
}

/** A literal as a JSON-friendly parameter value; nested lists become their Python text. */
export function toParamValue(value: Literal): ParamValue {
  if (!Array.isArray(value)) return value as ParamValue;
  return (value as readonly Literal[]).map((v) =>
    Array.isArray(v) ? pythonStr(v) : (v as string | number | boolean | null),
  );
}
