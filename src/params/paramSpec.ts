/**
 * The one description of a script parameter that argparse, click and MLproject discovery all
 * produce, and what the editor does with it: check what the user typed (`validateValue`) and turn
 * the values into the script's argv (`renderArgs`). Values are the text the user typed; an argv is
 * an array and is never joined into a shell string here.
 */

export type ParamType = 'int' | 'float' | 'str' | 'bool' | 'path' | 'uri' | 'choice';

export type ParamValue = string | number | boolean | null | readonly (string | number | boolean | null)[];

/**
 * How the parameter appears on the command line, after argparse's `action=`. Click maps onto the
 * same set: `is_flag` is `store_true` (`store_false` when the flag turns a true default off),
 * `--x/--no-x` is `boolean_optional`, `multiple=True` is `append`, `count=True` is `count`.
 */
export type ParamAction =
  | 'store'
  | 'store_true'
  | 'store_false'
  | 'store_const'
  | 'append'
  | 'append_const'
  | 'extend'
  | 'count'
  | 'boolean_optional'
  | 'custom';

export type Nargs = number | '?' | '*' | '+' | '...';

export interface SourceRange {
  /** 0-based, like VS Code positions. */
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

export interface NumberRange {
  readonly min?: number;
  readonly max?: number;
  readonly minOpen?: boolean;
  readonly maxOpen?: boolean;
  /** click's `clamp=True`: out-of-range values are clamped, not rejected. */
  readonly clamp?: boolean;
}

export interface ParamSpec {
  /** argparse's `dest`, click's parameter name, or the MLproject key. */
  readonly name: string;
  /** Option strings in declaration order (`['-l', '--lr']`); empty for positionals and MLproject parameters. */
  readonly flags: readonly string[];
  /** The strings that turn a `boolean_optional` parameter off (`--no-amp`). */
  readonly negativeFlags?: readonly string[];
  readonly kind: 'option' | 'positional';
  readonly type: ParamType;
  /** The default the script sees when the parameter is not given; null when none (or unknown). */
  readonly default: ParamValue;
  /** Source text of a default that could not be evaluated (`os.cpu_count()`). */
  readonly defaultSource?: string;
  readonly choices?: readonly (string | number)[];
  /** click's `Choice(..., case_sensitive=False)`. */
  readonly caseInsensitive?: boolean;
  readonly range?: NumberRange;
  readonly help?: string;
  readonly required: boolean;
  readonly action: ParamAction;
  /** `store_const`: the value the flag stores. */
  readonly constValue?: ParamValue;
  /**
   * Several `store_const` flags sharing a dest (`--onnx`, `--torchscript`): the flag for each
   * value, which are also the `choices`.
   */
  readonly constFlags?: Readonly<Record<string, string>>;
  readonly nargs?: Nargs;
  readonly metavar?: string;
  readonly envvar?: string;
  /** The type expression as written (`str2bool`, `click.Path(exists=True)`), for hovers. */
  readonly typeSource?: string;
  /** The argument group's title (argparse `add_argument_group`). */
  readonly group?: string;
  /** Subcommand path, words separated by spaces (`'train'`, `'db init'`); absent for the top level. */
  readonly subcommand?: string;
  /** Hidden from `--help` (`help=argparse.SUPPRESS`, click `hidden=True`). */
  readonly hidden?: boolean;
  readonly source: 'argparse' | 'click' | 'mlproject';
  /** Where it is declared: the `add_argument` call, the decorator, or the MLproject key. */
  readonly location: SourceRange;
}

/** What the user gave for a parameter: the text typed, a list for list-valued parameters, or a flag state. */
export type ParamInput = string | number | boolean | readonly string[];

export type ParamValues = Readonly<Record<string, ParamInput | undefined>>;

/** Thrown by render and expand functions for input their validate counterparts would reject. */
export class ParamError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ParamError';
  }
}

const FLAG_ACTIONS: ReadonlySet<ParamAction> = new Set([
  'store_true',
  'store_false',
  'store_const',
  'append_const',
  'boolean_optional',
]);
const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', '0', 'off']);
const INT = /^[+-]?\d(?:_?\d)*$/;
const FLOAT = /^[+-]?(?:(?:\d(?:_?\d)*)?\.?\d(?:_?\d)*(?:[eE][+-]?\d(?:_?\d)*)?|\d(?:_?\d)*\.|inf(?:inity)?|nan)$/i;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/** Whether the parameter is given as a bare flag rather than with a value. */
export function isFlag(spec: ParamSpec): boolean {
  return FLAG_ACTIONS.has(spec.action) && !spec.constFlags;
}

/**
 * A parameter's default as text, as the form shows it and a launched run records it; empty when
 * there is none or it is only known at run time.
 */
export function defaultText(spec: ParamSpec): string {
  const value = spec.default;
  if (value === null || spec.defaultSource !== undefined) return '';
  if (Array.isArray(value)) return value.map(String).join(' ');
  return String(value);
}

/** Whether the parameter takes several values (`nargs='+'`, `action='append'`, click `multiple=True`). */
export function isList(spec: ParamSpec): boolean {
  const { nargs } = spec;
  return (
    spec.action === 'append' ||
    spec.action === 'extend' ||
    nargs === '*' ||
    nargs === '+' ||
    nargs === '...' ||
    (typeof nargs === 'number' && nargs !== 1 && nargs > 0)
  );
}

/** Reads a flag's state from what the user typed; undefined when it is not a boolean word. */
export function parseBool(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : undefined;
}

/**
 * Splits a list value the way a shell would: on whitespace, with '…' and "…" grouping and
 * backslash escaping the next character.
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word = (word ?? '') + text[++i];
      else word = (word ?? '') + c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word = word ?? '';
    } else if (c === '\\' && i + 1 < text.length) word = (word ?? '') + text[++i];
    else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** Checks one value of the parameter's type; `got` is quoted as the user typed it. */
function checkItem(spec: ParamSpec, text: string): string | undefined {
  const got = `got '${text}'`;
  if (spec.choices && spec.choices.length > 0) {
    const fold = (s: string): string => (spec.caseInsensitive ? s.toLowerCase() : s);
    // Numeric choices compare as numbers, as argparse does after type=float: 0.10 is 0.1.
    const matches = (c: string | number): boolean =>
      typeof c === 'number' ? text.trim() !== '' && Number(text.replace(/_/g, '')) === c : fold(c) === fold(text);
    if (!spec.choices.some(matches)) {
      return `${spec.name}: expected one of ${spec.choices.join(', ')}, ${got}`;
    }
    return undefined;
  }
  switch (spec.type) {
    case 'int':
      if (!INT.test(text.trim())) return `${spec.name}: expected an integer, ${got}`;
      return checkRange(spec, Number(text.replace(/_/g, '')));
    case 'float':
      if (!FLOAT.test(text.trim())) return `${spec.name}: expected a number, ${got}`;
      return checkRange(
        spec,
        Number(
          text
            .trim()
            .replace(/_/g, '')
            .replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'),
        ),
      );
    case 'bool':
      return parseBool(text) === undefined ? `${spec.name}: expected true or false, ${got}` : undefined;
    case 'uri':
      return URI.test(text)
        ? undefined
        : `${spec.name}: expected a URI such as s3://bucket/data or file:///data, ${got}`;
    default:
      return undefined;
  }
}

function checkRange(spec: ParamSpec, value: number): string | undefined {
  const r = spec.range;
  if (!r || r.clamp) return undefined;
  const low = r.min === undefined || (r.minOpen ? value > r.min : value >= r.min);
  const high = r.max === undefined || (r.maxOpen ? value < r.max : value <= r.max);
  if (low && high) return undefined;
  const parts = [
    r.min === undefined ? undefined : `${r.minOpen ? 'greater than' : 'at least'} ${r.min}`,
    r.max === undefined ? undefined : `${r.maxOpen ? 'less than' : 'at most'} ${r.max}`,
  ].filter((p) => p !== undefined);
  return `${spec.name}: expected a number ${parts.join(' and ')}, got ${value}`;
}

function nargsProblem(spec: ParamSpec, count: number): string | undefined {
  const { nargs } = spec;
  if (typeof nargs === 'number' && nargs > 1 && count !== nargs)
    return `${spec.name}: expected ${nargs} values, got ${count}`;
  if (nargs === '+' && count === 0) return `${spec.name}: expected at least one value`;
  return undefined;
}

/**
 * Checks what the user typed for one parameter. Empty text means "use the default", which is
 * fine unless the parameter is required. Flags take true/false (also yes/no, 1/0, on/off); a
 * `count` parameter takes how many times to repeat it; list-valued parameters take values
 * separated by spaces, quoted like in a shell.
 */
export function validateValue(spec: ParamSpec, text: string): string | undefined {
  if (text.trim() === '') return spec.required ? `${spec.name}: a value is required` : undefined;
  if (isFlag(spec)) {
    return parseBool(text) === undefined ? `${spec.name}: expected true or false, got '${text}'` : undefined;
  }
  if (spec.action === 'count') {
    return /^\d+$/.test(text.trim())
      ? undefined
      : `${spec.name}: expected how many times to repeat the flag (0, 1, 2…), got '${text}'`;
  }
  if (!isList(spec)) return checkItem(spec, text);
  const items = splitWords(text);
  for (const item of items) {
    const problem = checkItem(spec, item);
    if (problem) return problem;
  }
  return nargsProblem(spec, items.length);
}

function inputText(input: ParamInput): string {
  return Array.isArray(input) ? input.map(quoteWord).join(' ') : String(input);
}

function quoteWord(word: string): string {
  return word === '' || /[\s'"\\]/.test(word) ? `"${word.replace(/(["\\])/g, '\\$1')}"` : word;
}

/** Every problem with `values`, including required parameters left empty. */
export function validateValues(specs: readonly ParamSpec[], values: ParamValues): string[] {
  const problems: string[] = [];
  for (const spec of specs) {
    const input = values[spec.name];
    const problem = validateValue(spec, input === undefined ? '' : inputText(input));
    if (problem) problems.push(problem);
  }
  return problems;
}

export interface RenderOptions {
  /** Which subcommand to run (see `ParamSpec.subcommand`); top-level parameters are always included. */
  readonly subcommand?: string;
}

/** `--lr` rather than `-l`: the first long option string, else the first one. */
function preferredFlag(flags: readonly string[]): string {
  return flags.find((f) => f.startsWith('--')) ?? flags[0];
}

/** One option and its value(s) as argv words. */
function renderOption(spec: ParamSpec, input: ParamInput): string[] {
  const text = inputText(input);
  const flag = preferredFlag(spec.flags);
  if (isFlag(spec)) {
    const on = parseBool(text) === true;
    if (spec.action === 'boolean_optional') return on ? [flag] : [preferredFlag(spec.negativeFlags ?? [])];
    // store_false puts False when given: the flag is passed to turn the parameter off.
    return (spec.action === 'store_false' ? !on : on) ? [flag] : [];
  }
  if (spec.constFlags) return [spec.constFlags[text] ?? flag];
  if (spec.action === 'count') return Array.from({ length: Number(text.trim()) }, () => flag);
  const items = Array.isArray(input) ? [...(input as readonly string[])] : isList(spec) ? splitWords(text) : [text];
  if (spec.action === 'append') return items.flatMap((item) => withValue(flag, item));
  if (items.length === 1) return withValue(flag, items[0]);
  return [flag, ...items];
}

/**
 * `--lr 0.01`, but `--offset=-1`: a value that starts with `-` could be read as an option, and
 * both argparse and click accept `--name=value` (and `-xVALUE` for short options).
 */
function withValue(flag: string, value: string): string[] {
  if (!value.startsWith('-')) return [flag, value];
  return flag.startsWith('--') ? [`${flag}=${value}`] : [`${flag}${value}`];
}

function renderScope(specs: readonly ParamSpec[], values: ParamValues): string[] {
  const argv: string[] = [];
  const positionals: string[] = [];
  for (const spec of specs) {
    const input = values[spec.name];
    if (input === undefined || inputText(input).trim() === '') continue;
    if (spec.kind === 'option') argv.push(...renderOption(spec, input));
    else
      positionals.push(
        ...(Array.isArray(input)
          ? (input as readonly string[])
          : isList(spec)
            ? splitWords(inputText(input))
            : [inputText(input)]),
      );
  }
  // After `--` nothing is an option, so a positional value like `-x` stays a value.
  if (positionals.some((p) => p.startsWith('-') && !FLOAT.test(p))) argv.push('--');
  return [...argv, ...positionals];
}

/**
 * The script's argv for `values` (keyed by `ParamSpec.name`): options in declaration order, then
 * positionals; parameters without a value are left out so the script uses its default. With a
 * subcommand: top-level parameters, the subcommand's words, then the subcommand's parameters.
 * Throws `ParamError` listing every invalid value.
 */
export function renderArgs(specs: readonly ParamSpec[], values: ParamValues, options: RenderOptions = {}): string[] {
  // Each word of the subcommand path opens a scope: `db init` has the top level, `db`, `db init`.
  const words = (options.subcommand ?? '').split(' ').filter((w) => w !== '');
  const scopes = [undefined, ...words.map((_, k) => words.slice(0, k + 1).join(' '))];
  const inScope = scopes.map((scope) => specs.filter((s) => s.subcommand === scope));
  const problems = validateValues(inScope.flat(), values);
  if (problems.length > 0) throw new ParamError(problems);
  return inScope.flatMap((scoped, k) => [...(k > 0 ? [words[k - 1]] : []), ...renderScope(scoped, values)]);
}
