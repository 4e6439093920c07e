/**
 * click discovery: the `@click.option(...)` and `@click.argument(...)` decorators of each command
 * function, read with click's own rules for names (`'--learning-rate'` is `learning_rate`), flags
 * (`is_flag`, `'--amp/--no-amp'`) and types (guessed from the default when `type=` is absent).
 * `import click as ck` and `from click import option` are followed; `@cli.command()` under an
 * `@click.group()` gives the subcommand.
 */
import type { ParamAction, ParamSpec, ParamType, ParamValue, Nargs, NumberRange } from './paramSpec';
import type { Literal, ModuleConstants } from './pythonEval';
import { evaluate, toParamValue } from './pythonEval';
import type { CallArgs, Expr, PySource } from './pythonExpr';
import { isFloatLiteral, parseSlice, rangeOf } from './pythonExpr';
import type { SkippedCall } from './argparseParams';
import type { Token } from './pythonTokenizer';

export interface ClickResult {
  readonly specs: ParamSpec[];
  readonly subcommands: string[];
  readonly skipped: SkippedCall[];
}

interface Decorator {
  /** The callee with click aliases resolved: `click.option`, `cli.command`. */
  readonly name: string;
  readonly call: CallArgs | undefined;
  readonly at: Token;
  readonly last: Token;
}

type Lookup = (name: string) => Literal | undefined;

/** Local names that mean click: modules (`click`, `ck`) and imported members (`option` → `click.option`). */
function clickAliases(tokens: readonly Token[]): (path: string) => string {
  const modules = new Set<string>();
  const members = new Map<string, string>();
  for (let k = 0; k < tokens.length; k++) {
    const atStart = k === 0 || tokens[k - 1].kind === 'newline';
    if (!atStart || tokens[k].kind !== 'name') continue;
    let end = k;
    while (end < tokens.length && tokens[end].kind !== 'newline') end++;
    const words = tokens.slice(k, end).filter((t) => t.text !== '(' && t.text !== ')');
    if (words[0].text === 'import') {
      // import click, rich_click as click, click as ck
      for (let i = 1; i < words.length; i++) {
        if (words[i].text === 'click' || words[i].text === 'rich_click') {
          modules.add(words[i + 1]?.text === 'as' ? (words[i + 2]?.text ?? 'click') : 'click');
        }
      }
    } else if (
      words[0].text === 'from' &&
      (words[1]?.text === 'click' || words[1]?.text === 'rich_click') &&
      words[2]?.text === 'import'
    ) {
      for (let i = 3; i < words.length; i++) {
        if (words[i].kind !== 'name' || words[i].text === 'as') continue;
        if (words[i - 1].text === 'as') continue;
        const local = words[i + 1]?.text === 'as' ? (words[i + 2]?.text ?? words[i].text) : words[i].text;
        members.set(local, words[i].text);
      }
    }
  }
  return (path) => {
    const [head, ...rest] = path.split('.');
    if (modules.has(head) && rest.length > 0) return ['click', ...rest].join('.');
    const member = members.get(head);
    return member !== undefined ? ['click', member, ...rest].join('.') : path;
  };
}

export function discoverClick(src: PySource, constants: ModuleConstants): ClickResult {
  const { tokens } = src;
  const resolve = clickAliases(tokens);
  const specs: ParamSpec[] = [];
  const subcommands: string[] = [];
  const skipped: SkippedCall[] = [];
  const groupPaths = new Map<string, string>(); // group function → its subcommand path ('' at the top)
  let pending: Decorator[] = [];

  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    const atStart = k === 0 || tokens[k - 1].kind === 'newline';
    if (!atStart) continue;
    if (t.text === '@') {
      let end = k + 1;
      while (end < tokens.length && tokens[end].kind !== 'newline') end++;
      const expr = parseSlice(src, k + 1, end);
      const callee = expr.kind === 'call' ? expr.callee : expr.kind === 'name' ? expr.path : undefined;
      if (callee !== undefined) {
        pending.push({
          name: resolve(callee),
          call: expr.kind === 'call' ? expr.call : undefined,
          at: t,
          last: tokens[end - 1],
        });
      }
      continue;
    }
    const defAt = t.text === 'def' ? k : t.text === 'async' && tokens[k + 1]?.text === 'def' ? k + 1 : -1;
    if (defAt >= 0 && pending.length > 0) {
      const fn = tokens[defAt + 1]?.text ?? '';
      const lookup: Lookup = (name) => constants.at(name, t.start);
      const path = commandPath(pending, fn, groupPaths, lookup);
      // `@app.command()` is also typer's and others': count it once click is evidently involved.
      const isClick = pending.some((d) => d.name.startsWith('click.') || groupPaths.has(splitLast(d.name)[0]));
      if (path !== undefined && path !== '' && isClick) subcommands.push(path);
      for (const d of pending) {
        const built =
          d.name === 'click.option'
            ? optionSpec(d, lookup)
            : d.name === 'click.argument'
              ? argumentSpec(d, lookup)
              : undefined;
        if (typeof built === 'string') skipped.push({ line: d.at.line, column: d.at.column, reason: built });
        else if (built) specs.push(path ? { ...built, subcommand: path } : built);
      }
    }
    if (t.kind !== 'newline') pending = [];
  }
  return { specs, subcommands, skipped };
}

/**
 * The subcommand path of a decorated function: undefined for a plain function, '' for a
 * top-level `@click.command()`/`@click.group()`, `'db init'` for `@db.command()` under `@cli.group()`.
 */
function commandPath(
  decorators: readonly Decorator[],
  fn: string,
  groups: Map<string, string>,
  lookup: Lookup,
): string | undefined {
  for (const d of decorators) {
    const [owner, method] = splitLast(d.name);
    if (method !== 'command' && method !== 'group') continue;
    let path = '';
    if (owner !== 'click') {
      const given = d.call?.args[0] ?? d.call?.kwargs.get('name');
      const name = given ? evaluate(given, lookup) : undefined;
      // click derives the name from the function: `train_cmd` is `train` (click 8.2), `_` becomes `-`.
      const derived = fn.replace(/_(?:command|cmd|group|grp)$/, '').replace(/_/g, '-');
      const parent = groups.get(owner) ?? '';
      path = [parent, typeof name === 'string' ? name : derived].filter((w) => w !== '').join(' ');
    }
    if (method === 'group') groups.set(fn, path);
    return path;
  }
  return undefined;
}

function splitLast(path: string): [string, string] {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? ['', path] : [path.slice(0, dot), path.slice(dot + 1)];
}

interface TypeInfo {
  readonly type: ParamType;
  readonly choices?: readonly (string | number)[];
  readonly caseInsensitive?: boolean;
  readonly range?: NumberRange;
  readonly tuple?: number;
}

/** A click type expression (`float`, `click.Choice([...])`, `click.IntRange(0, 10)`, `(str, int)`). */
function clickType(expr: Expr, lookup: Lookup): TypeInfo {
  if (expr.kind === 'seq') return { ...clickType(expr.items[0] ?? expr, lookup), tuple: expr.items.length };
  const name = expr.kind === 'name' ? expr.path : expr.kind === 'call' ? (expr.callee ?? '') : '';
  const last = name.split('.').pop() ?? '';
  const simple: Readonly<Record<string, ParamType>> = {
    int: 'int',
    INT: 'int',
    float: 'float',
    FLOAT: 'float',
    bool: 'bool',
    BOOL: 'bool',
  };
  if (expr.kind === 'name') return { type: simple[last] ?? (last === 'Path' ? 'path' : 'str') };
  if (expr.kind !== 'call') return { type: 'str' };
  const arg = (index: number, key: string): Literal | undefined => {
    const e = expr.call.args[index] ?? expr.call.kwargs.get(key);
    return e ? evaluate(e, lookup) : undefined;
  };
  switch (last) {
    case 'Choice': {
      const choices = arg(0, 'choices');
      const list = Array.isArray(choices)
        ? (choices as Literal[]).filter((c): c is string | number => typeof c === 'string' || typeof c === 'number')
        : [];
      if (list.length === 0) return { type: 'str' };
      return {
        type: 'choice',
        choices: list,
        ...(arg(1, 'case_sensitive') === false ? { caseInsensitive: true } : {}),
      };
    }
    case 'IntRange':
    case 'FloatRange': {
      const bound = (i: number, key: string): number | undefined => {
        const v = arg(i, key);
        return typeof v === 'number' ? v : undefined;
      };
      const [min, max] = [bound(0, 'min'), bound(1, 'max')];
      const flags = {
        minOpen: arg(2, 'min_open') === true,
        maxOpen: arg(3, 'max_open') === true,
        clamp: arg(4, 'clamp') === true,
      };
      const range: NumberRange = {
        ...(min !== undefined ? { min } : {}),
        ...(max !== undefined ? { max } : {}),
        ...(flags.minOpen ? { minOpen: true } : {}),
        ...(flags.maxOpen ? { maxOpen: true } : {}),
        ...(flags.clamp ? { clamp: true } : {}),
      };
      return { type: last === 'IntRange' ? 'int' : 'float', range };
    }
    case 'Path':
    case 'File':
      return { type: 'path' };
    default:
      return { type: 'str' };
  }
}

/** click guesses the type from the default when `type=` is absent. */
function typeFromDefault(expr: Expr | undefined, value: Literal | undefined): ParamType {
  const sample = Array.isArray(value) ? (value as Literal[])[0] : value;
  const sampleExpr = expr?.kind === 'seq' ? expr.items[0] : expr;
  if (typeof sample === 'boolean') return 'bool';
  if (typeof sample === 'number')
    return (sampleExpr && isFloatLiteral(sampleExpr)) || !Number.isInteger(sample) ? 'float' : 'int';
  return 'str';
}

function common(d: Decorator, lookup: Lookup) {
  const kw = (key: string): Expr | undefined => d.call?.kwargs.get(key);
  const value = (key: string): Literal | undefined => {
    const e = kw(key);
    return e ? evaluate(e, lookup) : undefined;
  };
  const decls = (d.call?.args ?? []).map((a) => evaluate(a, lookup));
  const literal = decls.length > 0 && decls.every((x): x is string => typeof x === 'string');
  const defaultExpr = kw('default');
  const defaultValue = defaultExpr ? evaluate(defaultExpr, lookup) : undefined;
  const typeExpr = kw('type');
  const info: TypeInfo = typeExpr ? clickType(typeExpr, lookup) : { type: typeFromDefault(defaultExpr, defaultValue) };
  const help = value('help');
  const envvar = value('envvar');
  const nargs = value('nargs');
  return {
    kw,
    value,
    decls: literal ? decls : undefined,
    defaultExpr,
    defaultValue,
    info,
    rest: {
      ...(info.choices ? { choices: info.choices } : {}),
      ...(info.caseInsensitive ? { caseInsensitive: true } : {}),
      ...(info.range ? { range: info.range } : {}),
      ...(typeof help === 'string' ? { help } : {}),
      ...(typeof envvar === 'string' ? { envvar } : {}),
      ...(typeExpr ? { typeSource: typeExpr.text } : {}),
      ...(value('hidden') === true ? { hidden: true } : {}),
      ...(defaultExpr && defaultValue === undefined ? { defaultSource: defaultExpr.text } : {}),
    },
    nargs: (nargs === -1
      ? '*'
      : typeof nargs === 'number' && nargs > 1
        ? nargs
        : info.tuple && info.tuple > 1
          ? info.tuple
          : undefined) as Nargs | undefined,
    location: rangeOf(d.at, d.last),
  };
}

function optionSpec(d: Decorator, lookup: Lookup): ParamSpec | string {
  const c = common(d, lookup);
  if (!c.decls) return 'the option names are computed at run time';
  // click's _parse_decls: a bare identifier names the parameter; 'a/b' declares an on/off pair.
  let name: string | undefined;
  const flags: string[] = [];
  const negative: string[] = [];
  for (const decl of c.decls) {
    if (/^[A-Za-z_]\w*$/.test(decl)) name = decl;
    else if (decl.includes('/')) {
      const [on, off] = [decl.slice(0, decl.indexOf('/')).trim(), decl.slice(decl.indexOf('/') + 1).trim()];
      if (on) flags.push(on);
      if (off) negative.push(off);
    } else flags.push(decl);
  }
  if (flags.length === 0 && negative.length === 0) return 'the option has no option strings';
  if (name === undefined) {
    const longest = [...flags].sort((a, b) => prefixLength(b) - prefixLength(a))[0] ?? negative[0];
    name = longest.replace(/^-+/, '').replace(/-/g, '_').toLowerCase();
  }
  const isFlag = c.value('is_flag');
  const flagValueExpr = c.kw('flag_value');
  const flagValue = flagValueExpr ? evaluate(flagValueExpr, lookup) : undefined;
  let action: ParamAction = 'store';
  let type = c.info.type;
  let def: ParamValue = c.defaultValue !== undefined ? toParamValue(c.defaultValue) : null;
  let constValue: ParamValue | undefined;
  if (negative.length > 0) {
    action = 'boolean_optional';
    type = 'bool';
    if (!c.defaultExpr) def = false;
  } else if (isFlag === true || flagValueExpr) {
    if (flagValue !== undefined && typeof flagValue !== 'boolean') {
      action = 'store_const';
      constValue = toParamValue(flagValue);
    } else {
      // Without flag_value the flag flips the default: is_flag with default=True turns it off.
      const on = typeof flagValue === 'boolean' ? flagValue : def !== true;
      action = on ? 'store_true' : 'store_false';
      if (!c.defaultExpr) def = !on;
    }
    type = 'bool';
  } else if (c.value('count') === true) {
    action = 'count';
    type = 'int';
    if (!c.defaultExpr) def = 0;
  } else if (c.value('multiple') === true) action = 'append';
  return {
    name,
    flags,
    ...(negative.length > 0 ? { negativeFlags: negative } : {}),
    kind: 'option',
    type,
    default: def,
    ...c.rest,
    required: c.value('required') === true,
    action,
    ...(constValue !== undefined ? { constValue } : {}),
    ...(c.nargs !== undefined ? { nargs: c.nargs } : {}),
    ...(typeof c.value('metavar') === 'string' ? { metavar: c.value('metavar') as string } : {}),
    source: 'click',
    location: c.location,
  };
}

function prefixLength(flag: string): number {
  return /^[^A-Za-z0-9]*/.exec(flag)?.[0].length ?? 0;
}

function argumentSpec(d: Decorator, lookup: Lookup): ParamSpec | string {
  const c = common(d, lookup);
  if (!c.decls) return 'the argument name is computed at run time';
  const required = c.value('required');
  const metavar = c.value('metavar');
  return {
    name: c.decls[0].replace(/-/g, '_').toLowerCase(),
    flags: [],
    kind: 'positional',
    type: c.info.type,
    default: c.defaultValue !== undefined ? toParamValue(c.defaultValue) : null,
    ...c.rest,
    // click: an argument is required unless it has a default or takes any number of values.
    required: typeof required === 'boolean' ? required : !c.defaultExpr && c.nargs !== '*',
    action: 'store',
    ...(c.nargs !== undefined ? { nargs: c.nargs } : {}),
    ...(typeof metavar === 'string' ? { metavar } : {}),
    source: 'click',
    location: c.location,
  };
}
