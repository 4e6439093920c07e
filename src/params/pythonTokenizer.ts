/**
 * A Python tokenizer good enough to find parameter declarations in real training scripts. It is
 * not a validator: it never throws, and input Python would reject (an unterminated string, a stray
 * `$`, unbalanced brackets) becomes a token carrying an `error`, after which tokenizing goes on.
 *
 * Positions are 0-based lines and UTF-16 columns, which is what VS Code's `Position` uses, so a
 * tab counts as one column. Offsets and columns ignore a leading byte order mark, as editors do.
 */

export type TokenKind = 'name' | 'number' | 'string' | 'op' | 'newline' | 'comment' | 'error';

export interface Token {
  readonly kind: TokenKind;
  /** The token exactly as written in the source. */
  readonly text: string;
  /** Offsets into the source, end exclusive. */
  readonly start: number;
  readonly end: number;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  /**
   * Bracket nesting depth at the token; an opening bracket and its closing bracket share the
   * depth of their surroundings, so the tokens between them are one deeper.
   */
  readonly depth: number;
  /** Strings: the prefix letters, lower-cased (`''`, `'r'`, `'rb'`, `'f'`, …). */
  readonly prefix?: string;
  /**
   * Strings: the decoded contents. Undefined for an f-string with replacement fields, whose value
   * is only known at run time.
   */
  readonly value?: string;
  /** Why the token is malformed (`'unterminated string'`, `'unexpected character'`, …). */
  readonly error?: string;
}

export interface TokenizeOptions {
  /** Keep comments as tokens (they are dropped by default). */
  readonly comments?: boolean;
}

const STRING_PREFIXES = new Set(['r', 'u', 'b', 'br', 'rb', 'f', 'fr', 'rf', 't', 'tr', 'rt']);
const NAME = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const NUMBER =
  /0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?[jJ]?/y;
/** Longest first, so `**=` wins over `**` and `*`. */
const OPERATORS = [
  ['**=', '//=', '>>=', '<<=', '...'],
  ['**', '//', '<<', '>>', '<=', '>=', '==', '!=', '->', ':=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '@='],
  ['+', '-', '*', '/', '%', '@', '&', '|', '^', '~', '<', '>', '(', ')', '[', ']', '{', '}', ',', ':', '.', ';', '='],
].flat();
const OPENERS = new Set(['(', '[', '{']);
const CLOSERS = new Set([')', ']', '}']);
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** Maps offsets to 0-based line and column. */
class LineMap {
  private readonly starts: number[] = [0];
  constructor(source: string) {
    for (let i = 0; i < source.length; i++) {
      const c = source[i];
      if (c === '\n' || (c === '\r' && source[i + 1] !== '\n')) this.starts.push(i + 1);
    }
  }
  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: offset - this.starts[lo] };
  }
}

export function tokenize(text: string, options: TokenizeOptions = {}): Token[] {
  // Editors do not show a byte order mark, so offsets and columns count from after it.
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const tokens: Token[] = [];
  const lines = new LineMap(source);
  let depth = 0;
  let i = 0;

  const push = (kind: TokenKind, start: number, end: number, extra: Partial<Token> = {}, at = depth): void => {
    const from = lines.at(start);
    const to = lines.at(end);
    const text = source.slice(start, end);
    tokens.push({
      kind,
      text,
      start,
      end,
      line: from.line,
      column: from.column,
      endLine: to.line,
      endColumn: to.column,
      depth: at,
      // A fixed shape keeps token objects cheap; absent fields stay undefined.
      prefix: extra.prefix,
      value: extra.value,
      error: extra.error,
    });
  };

  while (i < source.length) {
    const c = source[i];
    if (c === '\n' || c === '\r') {
      const end = c === '\r' && source[i + 1] === '\n' ? i + 2 : i + 1;
      // A logical line ends at a newline outside brackets; blank lines add nothing.
      const last = lastCode(tokens);
      if (depth === 0 && last && last.kind !== 'newline') push('newline', i, end);
      i = end;
    } else if (c === ' ' || c === '\t' || c === '\f' || (c > '\x7f' && /\s/u.test(c))) {
      i++;
    } else if (c === '#') {
      let end = i;
      while (end < source.length && source[end] !== '\n' && source[end] !== '\r') end++;
      if (options.comments) push('comment', i, end);
      i = end;
    } else if (c === '\\' && (source[i + 1] === '\n' || source[i + 1] === '\r')) {
      // Explicit line continuation.
      i += source[i + 1] === '\r' && source[i + 2] === '\n' ? 3 : 2;
    } else if (isStringStart(source, i)) {
      let prefixEnd = i;
      while (source[prefixEnd] !== '"' && source[prefixEnd] !== "'") prefixEnd++;
      const prefix = source.slice(i, prefixEnd).toLowerCase();
      const scanned = scanString(source, prefixEnd, prefix);
      push('string', i, scanned.end, {
        prefix,
        value: scanned.value,
        ...(scanned.error ? { error: scanned.error } : {}),
      });
      i = scanned.end;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(source);
      const end = match ? i + match[0].length : i + 1;
      push('number', i, end);
      i = end;
    } else {
      NAME.lastIndex = i;
      const name = NAME.exec(source);
      if (name) {
        push('name', i, i + name[0].length);
        i += name[0].length;
        continue;
      }
      const op = OPERATORS.find((o) => source.startsWith(o, i));
      if (op) {
        if (OPENERS.has(op)) push('op', i, i + 1, {}, depth++);
        else if (CLOSERS.has(op)) {
          depth = Math.max(0, depth - 1);
          push('op', i, i + 1);
        } else push('op', i, i + op.length);
        i += op.length;
      } else {
        const width = (source.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
        push('error', i, i + width, { error: 'unexpected character' });
        i += width;
      }
    }
  }
  const last = lastCode(tokens);
  if (last && last.kind !== 'newline') push('newline', source.length, source.length);
  return tokens;
}

function lastCode(tokens: readonly Token[]): Token | undefined {
  for (let k = tokens.length - 1; k >= 0; k--) if (tokens[k].kind !== 'comment') return tokens[k];
  return undefined;
}

function isStringStart(source: string, i: number): boolean {
  const c = source[i];
  if (c === '"' || c === "'") return true;
  const match = /^([A-Za-z]{1,2})['"]/.exec(source.slice(i, i + 3));
  // `rb'…'` is a string; `xrb'…'` is the name `xrb` followed by a string.
  const before = i > 0 ? source[i - 1] : '';
  return match !== null && STRING_PREFIXES.has(match[1].toLowerCase()) && !/[\p{L}\p{N}_]/u.test(before);
}

interface ScannedString {
  readonly end: number;
  readonly value: string | undefined;
  readonly error?: string;
}

/** Scans the string whose opening quote is at `open`. */
function scanString(source: string, open: number, prefix: string): ScannedString {
  const quote = source[open];
  const triple = source.startsWith(quote.repeat(3), open);
  const bodyStart = open + (triple ? 3 : 1);
  const formatted = prefix.includes('f') || prefix.includes('t');
  let braces = 0; // depth inside an f-string replacement field
  let fields = false;
  let j = bodyStart;
  while (j < source.length) {
    const c = source[j];
    if (c === '\\') {
      // A backslash hides the next character from the scan, except a brace in an f-string.
      const next = source[j + 1];
      j += formatted && (next === '{' || next === '}') ? 1 : next === '\r' && source[j + 2] === '\n' ? 3 : 2;
      continue;
    }
    if (!triple && (c === '\n' || c === '\r')) {
      return { end: j, value: decodeBody(source.slice(bodyStart, j), prefix, fields), error: 'unterminated string' };
    }
    if (formatted) {
      if (c === '{') {
        if (braces === 0 && source[j + 1] === '{') j += 2;
        else {
          braces++;
          fields = true;
          j++;
        }
        continue;
      }
      if (c === '}') {
        if (braces === 0) j += source[j + 1] === '}' ? 2 : 1;
        else {
          braces--;
          j++;
        }
        continue;
      }
      if (braces > 0 && (c === '"' || c === "'")) {
        // A string nested in a replacement field (Python 3.12 allows the same quote).
        let k = j + 1;
        while (k < source.length && source[k] !== c && source[k] !== '\n') k += source[k] === '\\' ? 2 : 1;
        j = k + 1;
        continue;
      }
    }
    if (c === quote && braces === 0 && (!triple || source.startsWith(quote.repeat(3), j))) {
      const end = j + (triple ? 3 : 1);
      return { end, value: decodeBody(source.slice(bodyStart, j), prefix, fields) };
    }
    j++;
  }
  const end = Math.min(j, source.length);
  return { end, value: decodeBody(source.slice(bodyStart, end), prefix, fields), error: 'unterminated string' };
}

function decodeBody(body: string, prefix: string, fields: boolean): string | undefined {
  if (fields) return undefined;
  const formatted = prefix.includes('f') || prefix.includes('t');
  const text = formatted ? body.replace(/\{\{/g, '{').replace(/\}\}/g, '}') : body;
  if (prefix.includes('r')) return text;
  return decodeEscapes(text, prefix.includes('b'));
}

/** Applies Python's backslash escapes; unknown escapes keep their backslash, as Python does. */
export function decodeEscapes(text: string, bytes = false): string {
  return text.replace(
    /\\(\r\n|\n|\r|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|N\{[^}]*\}|[\s\S])?/g,
    (whole, esc: string | undefined) => {
      if (esc === undefined) return whole;
      if (esc === '\n' || esc === '\r' || esc === '\r\n') return '';
      if (esc in SIMPLE_ESCAPES) return SIMPLE_ESCAPES[esc];
      if (/^[0-7]/.test(esc)) return String.fromCharCode(parseInt(esc, 8) & 0xff);
      if (esc[0] === 'x' && esc.length === 3) return String.fromCharCode(parseInt(esc.slice(1), 16));
      if (!bytes && (esc[0] === 'u' || esc[0] === 'U') && esc.length > 1) {
        const code = parseInt(esc.slice(1), 16);
        return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
      return whole;
    },
  );
}

/**
 * The index of the bracket that closes the one at `open`, or the last token's index when the
 * input ends first (unbalanced input still gives a usable range).
 */
export function findClosing(tokens: readonly Token[], open: number): number {
  const depth = tokens[open].depth;
  for (let k = open + 1; k < tokens.length; k++) {
    const t = tokens[k];
    if (t.kind === 'op' && t.depth === depth && CLOSERS.has(t.text)) return k;
    if (t.depth < depth) return k;
  }
  return tokens.length - 1;
}

/** Parses a Python number literal; NaN for an imaginary or malformed one. */
export function parseNumber(text: string): number {
  const clean = text.replace(/_/g, '');
  if (/[jJ]$/.test(clean)) return Number.NaN;
  if (/^0[xX]/.test(clean)) return parseInt(clean.slice(2), 16);
  if (/^0[oO]/.test(clean)) return parseInt(clean.slice(2), 8);
  if (/^0[bB]/.test(clean)) return parseInt(clean.slice(2), 2);
  return Number(clean);
}
