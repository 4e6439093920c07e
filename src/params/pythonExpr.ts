/**
 * Just enough of Python's expression grammar to read the arguments of `add_argument(...)` and
 * `@click.option(...)`: literals, names, calls, containers, unary and arithmetic operators.
 * Anything else (comprehensions, comparisons, subscripts, dict displays) parses as `other`, which
 * keeps its source text, so an unusual argument never hides the ones around it.
 */
import type { SourceRange } from './paramSpec';
import type { Token } from './pythonTokenizer';
import { findClosing, parseNumber } from './pythonTokenizer';

interface ExprBase {
  /** The source text of the expression. */
  readonly text: string;
  readonly first: Token;
}

type ExprShape =
  | { readonly kind: 'str'; readonly value: string | undefined }
  | { readonly kind: 'num'; readonly value: number }
  | { readonly kind: 'const'; readonly value: boolean | null }
  | { readonly kind: 'name'; readonly path: string }
  | { readonly kind: 'seq'; readonly items: readonly Expr[] }
  | { readonly kind: 'call'; readonly callee: string | undefined; readonly call: CallArgs }
  | { readonly kind: 'unary'; readonly op: string; readonly operand: Expr }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr }
  | { readonly kind: 'subscript'; readonly target: Expr; readonly index: Expr }
  | { readonly kind: 'lambda'; readonly body: string }
  | { readonly kind: 'other' };

export type Expr = ExprBase & ExprShape;

export interface CallArgs {
  readonly args: readonly Expr[];
  readonly kwargs: ReadonlyMap<string, Expr>;
  /** Whether the call has `*args` or `**kwargs`, whose contents are unknown. */
  readonly starred: boolean;
  /** Index of the closing parenthesis. */
  readonly close: number;
}

export interface PySource {
  readonly source: string;
  readonly tokens: readonly Token[];
}

const MAX_NESTING = 64;
/** How deep parseSlice has recursed (brackets inside brackets). */
let nesting = 0;
const KEYWORDS = new Set(['not', 'and', 'or', 'if', 'else', 'for', 'in', 'is', 'await', 'yield', 'lambda', 'async']);
const BINARY_PRECEDENCE: Readonly<Record<string, number>> = { '|': 1, '+': 2, '-': 2, '*': 3, '/': 3, '//': 3, '%': 3 };

/** Parses the arguments of the call whose `(` is at index `open`. */
export function parseCall(src: PySource, open: number): CallArgs {
  const close = findClosing(src.tokens, open);
  const args: Expr[] = [];
  const kwargs = new Map<string, Expr>();
  let starred = false;
  for (const [from, to] of splitCommas(src, open + 1, close, src.tokens[open].depth + 1)) {
    const first = src.tokens[from];
    const second = src.tokens[from + 1] as Token | undefined;
    if (first.kind === 'op' && (first.text === '*' || first.text === '**')) starred = true;
    else if (first.kind === 'name' && second?.kind === 'op' && second.text === '=' && from + 2 < to) {
      kwargs.set(first.text, parseSlice(src, from + 2, to));
    } else args.push(parseSlice(src, from, to));
  }
  return { args, kwargs, starred, close };
}

/** Parses tokens [from, to) as one expression; `other` when it is not in the supported subset. */
export function parseSlice(src: PySource, from: number, to: number): Expr {
  // Deeply nested input ((((…)))) would exhaust the stack; past a sane depth it is just `other`.
  if (nesting < MAX_NESTING) {
    nesting++;
    try {
      const parser = new SliceParser(src, from, to);
      const expr = parser.expression();
      if (expr && parser.done()) return expr;
    } finally {
      nesting--;
    }
  }
  return { kind: 'other', text: textOf(src, from, to), first: src.tokens[from] };
}

/** Token ranges between commas at `depth`, skipping empty ones (a trailing comma). */
export function splitCommas(src: PySource, from: number, to: number, depth: number): [number, number][] {
  const parts: [number, number][] = [];
  let start = from;
  for (let k = from; k <= to; k++) {
    const t = src.tokens[k] as Token | undefined;
    const boundary = k === to || (t?.kind === 'op' && t.text === ',' && t.depth === depth);
    if (boundary) {
      if (k > start) parts.push([start, k]);
      start = k + 1;
    }
  }
  return parts;
}

function textOf(src: PySource, from: number, to: number): string {
  if (to <= from) return '';
  return src.source.slice(src.tokens[from].start, src.tokens[to - 1].end);
}

class SliceParser {
  private unaryDepth = 0;
  constructor(
    private readonly src: PySource,
    private pos: number,
    private readonly end: number,
  ) {}

  done(): boolean {
    return this.pos === this.end;
  }

  private peek(): Token | undefined {
    return this.pos < this.end ? this.src.tokens[this.pos] : undefined;
  }

  private isOp(text: string): boolean {
    const t = this.peek();
    return t !== undefined && t.kind === 'op' && t.text === text;
  }

  private make(from: number, fields: ExprShape): Expr {
    return { ...fields, text: textOf(this.src, from, this.pos), first: this.src.tokens[from] };
  }

  expression(): Expr | undefined {
    const t = this.peek();
    if (t?.kind === 'name' && t.text === 'lambda') {
      const from = this.pos;
      let colon = this.pos;
      while (colon < this.end && !(this.src.tokens[colon].text === ':' && this.src.tokens[colon].depth === t.depth))
        colon++;
      const body = textOf(this.src, Math.min(colon + 1, this.end), this.end);
      this.pos = this.end;
      return this.make(from, { kind: 'lambda', body });
    }
    return this.binary(1);
  }

  private binary(minPrecedence: number): Expr | undefined {
    const from = this.pos;
    let left = this.unary();
    // Each operator nests the tree one deeper, which evaluate() walks recursively.
    for (let operators = 0; ; operators++) {
      const t = this.peek();
      const precedence = t?.kind === 'op' ? BINARY_PRECEDENCE[t.text] : undefined;
      if (!left || !t || precedence === undefined || precedence < minPrecedence) return left;
      if (operators >= MAX_NESTING) return undefined;
      this.pos++;
      const right = this.binary(precedence + 1);
      if (!right) return undefined;
      left = this.make(from, { kind: 'binary', op: t.text, left, right });
    }
  }

  /** `-x` and `a ** b` recurse; a chain longer than any real script's gives up instead of the stack. */
  private unary(): Expr | undefined {
    if (this.unaryDepth >= MAX_NESTING) return undefined;
    this.unaryDepth++;
    try {
      return this.unaryOrPower();
    } finally {
      this.unaryDepth--;
    }
  }

  private unaryOrPower(): Expr | undefined {
    const from = this.pos;
    if (this.isOp('-') || this.isOp('+') || this.isOp('~')) {
      const op = this.src.tokens[this.pos++].text;
      const operand = this.unary();
      return operand && this.make(from, { kind: 'unary', op, operand });
    }
    const base = this.postfix();
    if (base && this.isOp('**')) {
      this.pos++;
      const exponent = this.unary();
      return exponent && this.make(from, { kind: 'binary', op: '**', left: base, right: exponent });
    }
    return base;
  }

  private postfix(): Expr | undefined {
    const from = this.pos;
    let expr = this.primary();
    while (expr) {
      if (this.isOp('.')) {
        const name = this.src.tokens[this.pos + 1] as Token | undefined;
        if (this.pos + 1 >= this.end || name?.kind !== 'name') return undefined;
        this.pos += 2;
        expr =
          expr.kind === 'name'
            ? this.make(from, { kind: 'name', path: `${expr.path}.${name.text}` })
            : this.make(from, { kind: 'other' });
      } else if (this.isOp('(')) {
        const call = parseCall(this.src, this.pos);
        if (call.close >= this.end) return undefined;
        this.pos = call.close + 1;
        expr = this.make(from, { kind: 'call', callee: expr.kind === 'name' ? expr.path : undefined, call });
      } else if (this.isOp('[')) {
        const open = this.pos;
        const close = findClosing(this.src.tokens, open);
        if (close >= this.end) return undefined;
        this.pos = close + 1;
        const sliced = this.src.tokens
          .slice(open + 1, close)
          .some((x) => x.text === ':' && x.depth === this.src.tokens[open].depth + 1);
        expr =
          sliced || close === open + 1
            ? this.make(from, { kind: 'other' })
            : this.make(from, { kind: 'subscript', target: expr, index: parseSlice(this.src, open + 1, close) });
      } else return expr;
    }
    return undefined;
  }

  private primary(): Expr | undefined {
    const t = this.peek();
    if (!t) return undefined;
    const from = this.pos;
    if (t.kind === 'number') {
      this.pos++;
      return this.make(from, { kind: 'num', value: parseNumber(t.text) });
    }
    if (t.kind === 'string') {
      // Adjacent literals concatenate: "a" 'b' → "ab"; one f-string with fields makes it unknown.
      let value: string | undefined = '';
      while (this.peek()?.kind === 'string') {
        const part = this.src.tokens[this.pos++].value;
        value = value === undefined || part === undefined ? undefined : value + part;
      }
      return this.make(from, { kind: 'str', value });
    }
    if (t.kind === 'name') {
      if (KEYWORDS.has(t.text)) return undefined;
      this.pos++;
      if (t.text === 'True' || t.text === 'False' || t.text === 'None') {
        return this.make(from, { kind: 'const', value: t.text === 'None' ? null : t.text === 'True' });
      }
      return this.make(from, { kind: 'name', path: t.text });
    }
    if (t.kind === 'op' && (t.text === '(' || t.text === '[' || t.text === '{')) {
      const close = findClosing(this.src.tokens, this.pos);
      if (close >= this.end) return undefined;
      const parts = splitCommas(this.src, this.pos + 1, close, t.depth + 1);
      const inner = this.src.tokens.slice(this.pos + 1, close);
      const trailingComma = close > this.pos + 1 && this.src.tokens[close - 1].text === ',';
      this.pos = close + 1;
      if (t.text === '{' && inner.some((x) => x.text === ':' && x.depth === t.depth + 1)) {
        return this.make(from, { kind: 'other' }); // a dict display
      }
      const items: Expr[] = [];
      for (const [a, b] of parts) {
        const item = parseSlice(this.src, a, b);
        if (item.kind === 'other' && !isOpaque(this.src, a, b)) return undefined;
        items.push(item);
      }
      if (t.text === '(' && items.length === 1 && !trailingComma) return items[0];
      return this.make(from, { kind: 'seq', items });
    }
    if (t.kind === 'op' && t.text === '...') {
      this.pos++;
      return this.make(from, { kind: 'other' });
    }
    return undefined;
  }
}

/** A container item that parsed as `other` only because it is a dict or subscript, not a comprehension. */
function isOpaque(src: PySource, from: number, to: number): boolean {
  return !src.tokens.slice(from, to).some((t) => t.kind === 'name' && (t.text === 'for' || t.text === 'if'));
}

/** The editor range from the start of `first` to the end of `last`. */
export function rangeOf(first: Token, last: Token): SourceRange {
  return { line: first.line, column: first.column, endLine: last.endLine, endColumn: last.endColumn };
}

/** Whether a numeric literal was written as a float (`1.0`, `1e-3`), which JSON numbers forget. */
export function isFloatLiteral(expr: Expr): boolean {
  if (expr.kind === 'unary') return isFloatLiteral(expr.operand);
  return expr.kind === 'num' && !/^0[xXoObB]/.test(expr.text) && /[.eE]/.test(expr.text);
}

/**
 * The dotted name that ends just before index `end` (exclusive), walking back over `a.b.c`;
 * returns its first token index, or undefined when `end - 1` is not a name.
 */
export function dottedNameBefore(tokens: readonly Token[], end: number): { start: number; path: string } | undefined {
  let k = end - 1;
  if (tokens[k]?.kind !== 'name') return undefined;
  while (k >= 2 && tokens[k - 1].text === '.' && tokens[k - 2].kind === 'name') k -= 2;
  const path = tokens
    .slice(k, end)
    .map((t) => t.text)
    .join('');
  return { start: k, path };
}

/** For an expression starting at `start`: the `target` of `target = <expression>` at statement start. */
export function assignmentTarget(tokens: readonly Token[], start: number): string | undefined {
  const eq = tokens[start - 1] as Token | undefined;
  if (eq?.kind !== 'op' || eq.text !== '=' || eq.depth !== tokens[start].depth) return undefined;
  const target = dottedNameBefore(tokens, start - 1);
  if (!target) return undefined;
  const before = tokens[target.start - 1] as Token | undefined;
  return before === undefined || before.kind === 'newline' || before.text === ';' ? target.path : undefined;
}
