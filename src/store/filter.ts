/**
 * The run filter language: the query box of the Runs view. It is MLflow's run search syntax
 * (`metrics.loss < 0.5 AND params.model = 'resnet'`) plus OR, NOT and parentheses, with precedence
 * NOT > AND > OR. This file turns text into a checked syntax tree (tokens, then recursive descent);
 * `filterGrammar.ts` declares the tree and the type rules, and `filterCompile.ts` turns the tree into
 * SQL.
 *
 * Decisions worth knowing:
 * - Identifiers are `<prefix>.<key>`. Prefixes (case-insensitive) follow MLflow's aliases: metric(s),
 *   param(s)/parameter(s), tag(s), attribute(s)/attr/run, and input(s)/dataset(s). A bare name is an
 *   error that says which prefix to write.
 * - An unquoted key is a run of letters, digits and `_ - . / :`, so `metrics.val/loss` and
 *   `params.train.lr` need no quotes; it stops at whitespace or an operator. Any other key is quoted
 *   with backticks or double quotes: ``metrics.`val loss` ``, `params."a b"`.
 * - Strings use single or double quotes; a quote is doubled (`'it''s'`) or backslash-escaped. The
 *   only backslash escapes are `\\`, `\'`, `\"` and `` \` ``: any other backslash is kept, so Windows
 *   paths and LIKE escapes (`'50\%'`) read as written.
 * - Metrics and numeric attributes take numbers; tags, inputs and string attributes take strings;
 *   params take either (a number literal compares the param numerically). `NaN` only works as
 *   `metrics.x = NaN` / `!= NaN`. Times (`start_time`, `end_time`, `duration`) are milliseconds.
 * - Error positions are 0-based offsets into the text, as an editor's `positionAt` expects.
 */
import type {
  AttributeName,
  FilterComparison,
  FilterField,
  FilterNode,
  FilterOperator,
  FilterValue,
} from './filterGrammar';
import {
  ATTRIBUTES,
  ATTRIBUTE_ALIASES,
  INPUT_FIELDS,
  PREFIXES,
  fieldName,
  operatorProblem,
  valueProblem,
} from './filterGrammar';

export const MAX_FILTER_LENGTH = 10_000;
export const MAX_FILTER_DEPTH = 100;

export class FilterError extends Error {
  /** The message without the position. */
  readonly reason: string;
  constructor(
    reason: string,
    readonly position: number,
    readonly length: number = 1,
  ) {
    // Reasons that already name the position ("unclosed parenthesis opened at 3") get no suffix.
    super(reason.endsWith(`at ${position}`) ? reason : `${reason} (at ${position})`);
    this.name = 'FilterError';
    this.reason = reason;
  }
}

type Span = { readonly position: number; readonly length: number };
const errorAt = (span: Span, reason: string): FilterError => new FilterError(reason, span.position, span.length);

// ---------------------------------------------------------------------------------------------
// Tokens

type Token = { readonly position: number; readonly length: number; readonly text: string } & (
  | { readonly kind: 'identifier'; readonly prefix: string; readonly key: string; readonly keyPosition: number }
  | { readonly kind: 'word' }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'operator'; readonly operator: '=' | '!=' | '<' | '<=' | '>' | '>=' }
  | { readonly kind: '(' | ')' | ',' | 'end' }
);

const WORD = /[\p{L}_][\p{L}\p{N}_]*/uy;
const KEY = /[\p{L}\p{N}_\-./:]+/uy;
const NUMBER = /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const NUMBER_TAIL = /[\p{L}\p{N}_.]+/uy;
const SPECIAL_NUMBERS: Readonly<Record<string, number>> = {
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
};
const OPERATORS = ['!=', '<>', '<=', '>=', '<', '>', '='] as const;
const CHARACTER_HINTS: Readonly<Record<string, string>> = {
  '&': ' (write AND)',
  '|': ' (write OR)',
  '!': ' (write != or NOT)',
  "'": ' (quote keys with backticks or double quotes)',
};

/** A record lookup that ignores inherited names such as "constructor". */
function lookup<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function matchAt(pattern: RegExp, text: string, at: number): string | undefined {
  pattern.lastIndex = at;
  return pattern.exec(text)?.[0];
}

/** Shows a character so that invisible ones can be seen in a message. */
function showCharacter(char: string): string {
  if (char === ' ') return 'a space';
  return /^[\p{L}\p{N}\p{P}\p{S}]$/u.test(char)
    ? `"${char}"`
    : `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Reads a quoted string or key starting at `start` (the opening quote); returns its value and end. */
function readQuoted(text: string, start: number, what: string): { value: string; end: number } {
  const quote = text[start];
  let value = '';
  let i = start + 1;
  while (i < text.length) {
    const char = text[i];
    const next = text[i + 1];
    if (char === '\\' && next !== undefined && `\\'"\``.includes(next)) {
      value += next;
      i += 2;
    } else if (char === quote && next === quote) {
      value += quote;
      i += 2;
    } else if (char === quote) {
      return { value, end: i + 1 };
    } else {
      value += char;
      i += 1;
    }
  }
  throw new FilterError(`unterminated ${what} starting at ${start}`, start, text.length - start);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (end: number, token: Record<string, unknown> & Pick<Token, 'kind'>): void => {
    tokens.push({ ...token, position: i, length: end - i, text: text.slice(i, end) } as Token);
    i = end;
  };
  while (i < text.length) {
    const char = text[i];
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === '(' || char === ')' || char === ',') {
      push(i + 1, { kind: char });
    } else if (char === "'" || char === '"') {
      const { value, end } = readQuoted(text, i, 'string');
      push(end, { kind: 'string', value });
    } else if (char === '`') {
      throw new FilterError("backticks quote keys, as in metrics.`val loss`; quote values with '…'", i);
    } else if (/[\d.-]/.test(char)) {
      const number = matchAt(NUMBER, text, i);
      const infinity = char === '-' ? matchAt(WORD, text, i + 1)?.toLowerCase() : undefined;
      if (infinity !== undefined && lookup(SPECIAL_NUMBERS, infinity) === Number.POSITIVE_INFINITY) {
        push(i + 1 + infinity.length, { kind: 'number', value: Number.NEGATIVE_INFINITY });
      } else if (number === undefined) {
        throw new FilterError(`unexpected character ${showCharacter(char)}`, i);
      } else {
        const tail = matchAt(NUMBER_TAIL, text, i + number.length) ?? '';
        if (tail !== '') {
          const bad = text.slice(i, i + number.length + tail.length);
          throw new FilterError(`invalid number "${bad}"`, i, bad.length);
        }
        push(i + number.length, { kind: 'number', value: Number(number) });
      }
    } else if (matchAt(WORD, text, i) !== undefined) {
      const word = matchAt(WORD, text, i) as string;
      const dot = i + word.length;
      if (text[dot] !== '.') {
        const special = lookup(SPECIAL_NUMBERS, word.toLowerCase());
        push(dot, special === undefined ? { kind: 'word' } : { kind: 'number', value: special });
        continue;
      }
      const keyStart = dot + 1;
      const quote = text[keyStart];
      if (quote === '`' || quote === '"') {
        const { value, end } = readQuoted(text, keyStart, 'quoted key');
        if (value === '') throw new FilterError(`${word}: the quoted key is empty`, keyStart, end - keyStart);
        push(end, { kind: 'identifier', prefix: word, key: value, keyPosition: keyStart });
      } else {
        const key = matchAt(KEY, text, keyStart);
        if (key === undefined) {
          const found = quote === undefined ? 'end of input' : showCharacter(quote);
          const hint = lookup(CHARACTER_HINTS, quote ?? '') ?? '';
          throw new FilterError(`expected a key after "${word}.", found ${found}${hint}`, keyStart);
        }
        push(keyStart + key.length, { kind: 'identifier', prefix: word, key, keyPosition: keyStart });
      }
    } else {
      const operator = OPERATORS.find((op) => text.startsWith(op, i));
      if (text.startsWith('==', i)) throw new FilterError('write "=" rather than "=="', i, 2);
      if (operator === undefined) {
        const whole = String.fromCodePoint(text.codePointAt(i) ?? 0);
        const hint = lookup(CHARACTER_HINTS, char) ?? '';
        throw new FilterError(`unexpected character ${showCharacter(whole)}${hint}`, i, whole.length);
      }
      push(i + operator.length, { kind: 'operator', operator: operator === '<>' ? '!=' : operator });
    }
  }
  tokens.push({ kind: 'end', position: text.length, length: 0, text: '' });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser: recursive descent, one function per precedence level. AND and OR chains are flat lists,
// so only parentheses and NOT nest, and their depth is capped.

function describe(token: Token): string {
  if (token.kind === 'end') return 'end of input';
  return `"${token.text.length > 30 ? `${token.text.slice(0, 30)}…` : token.text}"`;
}

const isWord = (token: Token, word: string): boolean => token.kind === 'word' && token.text.toUpperCase() === word;
const KEYWORDS = ['AND', 'OR', 'NOT', 'IN', 'LIKE', 'ILIKE', 'IS', 'NULL'];

class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): FilterNode {
    const node = this.parseOr();
    const token = this.peek();
    if (token.kind === ')') throw errorAt(token, 'unmatched ")"');
    if (token.kind !== 'end') throw errorAt(token, `expected AND, OR or end of input, found ${describe(token)}`);
    return node;
  }

  private peek(): Token {
    return this.tokens[this.index];
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index += 1;
    return token;
  }

  private parseOr(): FilterNode {
    const operands = [this.parseAnd()];
    while (isWord(this.peek(), 'OR') && this.next()) operands.push(this.parseAnd());
    return operands.length === 1 ? operands[0] : { kind: 'or', operands };
  }

  private parseAnd(): FilterNode {
    const operands = [this.parseNot()];
    while (isWord(this.peek(), 'AND') && this.next()) operands.push(this.parseNot());
    return operands.length === 1 ? operands[0] : { kind: 'and', operands };
  }

  /** NOT and parentheses: the only nesting, so the only place that counts depth. */
  private parseNot(): FilterNode {
    const token = this.peek();
    if (!isWord(token, 'NOT') && token.kind !== '(') return this.parseComparison();
    this.next();
    if (++this.depth > MAX_FILTER_DEPTH) {
      throw errorAt(token, `the filter nests too deeply: at most ${MAX_FILTER_DEPTH} levels of parentheses and NOT`);
    }
    let node: FilterNode;
    if (token.kind === '(') {
      node = this.parseOr();
      const close = this.next();
      if (close.kind === 'end') throw errorAt(token, `unclosed parenthesis opened at ${token.position}`);
      if (close.kind !== ')') throw errorAt(close, `expected AND, OR or ")", found ${describe(close)}`);
    } else {
      node = { kind: 'not', operand: this.parseNot() };
    }
    this.depth -= 1;
    return node;
  }

  private parseComparison(): FilterComparison {
    const start = this.next();
    if (start.kind !== 'identifier') throw notAnIdentifier(start);
    const field = resolveField(start);
    const operator = this.parseOperator(fieldName(field));
    const problem = operatorProblem(field, operator.operator);
    if (problem !== undefined) throw errorAt(operator, problem);
    const value = this.parseValue(field, operator.operator);
    const end = this.tokens[this.index - 1];
    const length = end.position + end.length - start.position;
    return { kind: 'comparison', field, operator: operator.operator, value, position: start.position, length };
  }

  private parseOperator(name: string): Span & { operator: FilterOperator } {
    const token = this.next();
    const span = (operator: FilterOperator, last: Token) => ({
      operator,
      position: token.position,
      length: last.position + last.length - token.position,
    });
    if (token.kind === 'operator') return span(token.operator, token);
    const word = token.text.toUpperCase();
    if (token.kind === 'word' && ['IN', 'LIKE', 'ILIKE'].includes(word)) return span(word as FilterOperator, token);
    if (isWord(token, 'NOT')) {
      const after = this.next();
      const negated = `NOT ${after.text.toUpperCase()}`;
      if (after.kind === 'word' && ['NOT IN', 'NOT LIKE', 'NOT ILIKE'].includes(negated)) {
        return span(negated as FilterOperator, after);
      }
      throw errorAt(after, `${name}: expected IN, LIKE or ILIKE after NOT, found ${describe(after)}`);
    }
    if (isWord(token, 'IS')) {
      const not = isWord(this.peek(), 'NOT') ? this.next() : undefined;
      const last = this.next();
      if (!isWord(last, 'NULL')) {
        throw errorAt(last, `${name}: expected ${not ? '' : 'NOT or '}NULL after IS, found ${describe(last)}`);
      }
      return span(not ? 'IS NOT NULL' : 'IS NULL', last);
    }
    throw errorAt(token, `expected a comparison operator after ${name}, found ${describe(token)}`);
  }

  private parseValue(field: FilterField, operator: FilterOperator): FilterValue {
    if (operator === 'IS NULL' || operator === 'IS NOT NULL') return { type: 'none' };
    const name = fieldName(field);
    if (operator !== 'IN' && operator !== 'NOT IN') {
      const token = this.next();
      if (token.kind !== 'string' && token.kind !== 'number') {
        throw errorAt(token, `${name}: expected a value after "${operator}", found ${describe(token)}`);
      }
      checkValue(field, operator, token);
      return token.kind === 'string' ? { type: 'string', value: token.value } : { type: 'number', value: token.value };
    }
    const open = this.next();
    if (open.kind !== '(') {
      throw errorAt(open, `${name}: expected "(" and a list of values after ${operator}, found ${describe(open)}`);
    }
    const values: (string | number)[] = [];
    let listType: 'string' | 'number' | undefined;
    for (;;) {
      const token = this.next();
      if (token.kind === ')' && values.length === 0) throw errorAt(open, `${name}: the ${operator} list is empty`);
      if (token.kind !== 'string' && token.kind !== 'number') {
        throw errorAt(token, `${name}: expected a value in the ${operator} list, found ${describe(token)}`);
      }
      checkValue(field, operator, token, listType);
      listType ??= token.kind;
      values.push(token.value);
      const separator = this.next();
      if (separator.kind === ')') break;
      if (separator.kind === 'end') throw errorAt(open, `unclosed parenthesis opened at ${open.position}`);
      if (separator.kind !== ',') {
        throw errorAt(separator, `${name}: expected "," or ")" in the ${operator} list, found ${describe(separator)}`);
      }
    }
    return listType === 'number'
      ? { type: 'numbers', values: values as number[] }
      : { type: 'strings', values: values as string[] };
  }
}

function checkValue(
  field: FilterField,
  operator: FilterOperator,
  token: Token & { kind: 'string' | 'number' },
  listType?: 'string' | 'number',
): void {
  const problem = valueProblem(field, operator, token.value, describe(token), listType);
  if (problem !== undefined) throw errorAt(token, problem);
}

/** The error for a comparison that does not start with an identifier, with a hint for bare names. */
function notAnIdentifier(token: Token): FilterError {
  if (token.kind !== 'word' || KEYWORDS.includes(token.text.toUpperCase())) {
    return errorAt(token, `expected a comparison such as metrics.loss < 0.5, found ${describe(token)}`);
  }
  const word = token.text;
  const lower = word.toLowerCase();
  if (Object.hasOwn(ATTRIBUTES, lower) || Object.hasOwn(ATTRIBUTE_ALIASES, lower)) {
    return errorAt(token, `"${word}" needs a prefix: write attributes.${word}`);
  }
  return errorAt(
    token,
    `"${word}" needs a prefix: write metrics.${word}, params.${word}, tags.${word} or attributes.…`,
  );
}

function resolveField(token: Token & { kind: 'identifier' }): FilterField {
  const entity = lookup(PREFIXES, token.prefix.toLowerCase());
  if (entity === undefined) {
    const span = { position: token.position, length: token.prefix.length };
    throw errorAt(span, `unknown prefix "${token.prefix}": expected metrics., params., tags., attributes. or inputs.`);
  }
  const keySpan = { position: token.keyPosition, length: token.position + token.length - token.keyPosition };
  const lower = token.key.toLowerCase();
  if (entity === 'attribute') {
    const name = Object.hasOwn(ATTRIBUTES, lower) ? (lower as AttributeName) : lookup(ATTRIBUTE_ALIASES, lower);
    if (name !== undefined) return { entity, name };
    const expected = Object.keys(ATTRIBUTES).join(', ');
    throw errorAt(keySpan, `unknown attribute "${token.key}": expected one of ${expected}`);
  }
  if (entity === 'input') {
    const name = INPUT_FIELDS.find((field) => field === lower);
    if (name !== undefined) return { entity, name };
    throw errorAt(keySpan, `unknown input field "${token.key}": expected name, digest or path`);
  }
  return { entity, key: token.key };
}

/** Parses a filter; undefined when it is empty. Throws a FilterError that points at the problem. */
export function parseFilter(text: string): FilterNode | undefined {
  if (text.length > MAX_FILTER_LENGTH) {
    const span = { position: MAX_FILTER_LENGTH, length: text.length - MAX_FILTER_LENGTH };
    throw errorAt(span, `the filter is too long: ${text.length} characters, at most ${MAX_FILTER_LENGTH}`);
  }
  const tokens = tokenize(text);
  if (tokens.length === 1) return undefined;
  return new Parser(tokens).parse();
}
