/**
 * argparse discovery: every `<receiver>.add_argument(...)` in the file, with the receiver traced
 * back to its parser through `add_argument_group`, `add_mutually_exclusive_group`,
 * `add_subparsers` and `add_parser` assignments, so arguments know their group and subcommand.
 * A receiver the file never assigns (`def add_args(parser): ...`) counts as the main parser.
 */
import type { ParamAction, ParamSpec, ParamType, ParamValue, Nargs } from './paramSpec';
import type { Literal, ModuleConstants } from './pythonEval';
import { evaluate, pythonStr, toParamValue } from './pythonEval';
import type { CallArgs, Expr, PySource } from './pythonExpr';
import { assignmentTarget, dottedNameBefore, parseCall, rangeOf } from './pythonExpr';

export interface SkippedCall {
  readonly line: number;
  readonly column: number;
  readonly reason: string;
}

export interface ArgparseResult {
  readonly specs: ParamSpec[];
  readonly subcommands: string[];
  readonly skipped: SkippedCall[];
}

/** What a receiver variable refers to. */
interface Scope {
  readonly parser: number;
  readonly group?: string;
}

interface Parser {
  readonly subcommand: string | undefined;
  /** add_parser with a computed name: its arguments cannot be placed. */
  readonly dynamic: boolean;
  readonly parents: number[];
  readonly specs: ParamSpec[];
  readonly defaults: Map<string, ParamValue>;
}

const ACTIONS: ReadonlySet<string> = new Set([
  'store',
  'store_const',
  'store_true',
  'store_false',
  'append',
  'append_const',
  'extend',
  'count',
]);
const NARGS_NAMES: Readonly<Record<string, Nargs>> = {
  OPTIONAL: '?',
  ZERO_OR_MORE: '*',
  ONE_OR_MORE: '+',
  REMAINDER: '...',
};

export function discoverArgparse(src: PySource, constants: ModuleConstants): ArgparseResult {
  const { tokens } = src;
  // Parser 0 is the main parser, also for receivers the file never assigns.
  const parsers: Parser[] = [{ subcommand: undefined, dynamic: false, parents: [], specs: [], defaults: new Map() }];
  const scopes = new Map<string, Scope>();
  const subparserOwners = new Map<string, number>();
  const subcommands: string[] = [];
  const skipped: SkippedCall[] = [];
  const usedAsParent = new Set<number>();
  const scopeOf = (name: string | undefined): Scope =>
    (name !== undefined ? scopes.get(name) : undefined) ?? { parser: 0 };

  for (let m = 0; m < tokens.length; m++) {
    const t = tokens[m];
    if (t.kind !== 'name' || tokens[m + 1]?.text !== '(') continue;
    const hasReceiver = tokens[m - 1]?.text === '.';
    const receiver = hasReceiver ? dottedNameBefore(tokens, m - 1) : undefined;
    const start = receiver?.start ?? (hasReceiver ? m - 1 : m);
    const lookup = (name: string): Literal | undefined => constants.at(name, t.start);

    if (t.text === 'ArgumentParser' && (!hasReceiver || receiver?.path === 'argparse')) {
      const call = parseCall(src, m + 1);
      const target = assignmentTarget(tokens, start);
      const parents = parentIds(call, scopes);
      parents.forEach((p) => usedAsParent.add(p));
      if (target === undefined) continue;
      const id = parsers.push({ subcommand: undefined, dynamic: false, parents, specs: [], defaults: new Map() }) - 1;
      scopes.set(target, { parser: id });
      continue;
    }
    if (!hasReceiver) continue;
    const scope = scopeOf(receiver?.path);
    switch (t.text) {
      case 'add_argument_group':
      case 'add_mutually_exclusive_group': {
        const call = parseCall(src, m + 1);
        const target = assignmentTarget(tokens, start);
        const titleExpr = call.args[0] ?? call.kwargs.get('title');
        const title = titleExpr ? evaluate(titleExpr, lookup) : undefined;
        const group = t.text === 'add_argument_group' && typeof title === 'string' ? title : scope.group;
        if (target !== undefined)
          scopes.set(target, { parser: scope.parser, ...(group !== undefined ? { group } : {}) });
        break;
      }
      case 'add_subparsers': {
        const target = assignmentTarget(tokens, start);
        if (target !== undefined) subparserOwners.set(target, scope.parser);
        break;
      }
      case 'add_parser': {
        const call = parseCall(src, m + 1);
        const owner = parsers[(receiver && subparserOwners.get(receiver.path)) ?? 0];
        const name = call.args[0] ? evaluate(call.args[0], lookup) : undefined;
        const dynamic = typeof name !== 'string' || owner.dynamic;
        const subcommand = dynamic ? undefined : owner.subcommand ? `${owner.subcommand} ${name}` : name;
        if (subcommand !== undefined) subcommands.push(subcommand);
        const parents = parentIds(call, scopes);
        parents.forEach((p) => usedAsParent.add(p));
        const id = parsers.push({ subcommand, dynamic, parents, specs: [], defaults: new Map() }) - 1;
        const target = assignmentTarget(tokens, start);
        if (target !== undefined) scopes.set(target, { parser: id });
        break;
      }
      case 'set_defaults': {
        const call = parseCall(src, m + 1);
        for (const [key, expr] of call.kwargs) {
          const value = evaluate(expr, lookup);
          if (value !== undefined) parsers[scope.parser].defaults.set(key, toParamValue(value));
        }
        break;
      }
      case 'add_argument': {
        const call = parseCall(src, m + 1);
        const location = rangeOf(tokens[start], tokens[call.close]);
        const parser = parsers[scope.parser];
        if (parser.dynamic) {
          const reason = 'the subcommand name is computed at run time';
          skipped.push({ line: location.line, column: location.column, reason });
          break;
        }
        const built = buildSpec(call, lookup);
        if (typeof built === 'string') skipped.push({ line: location.line, column: location.column, reason: built });
        else if (built) {
          parser.specs.push({ ...built, location, ...(scope.group !== undefined ? { group: scope.group } : {}) });
        }
        break;
      }
      default:
        break;
    }
  }
  return { specs: collect(parsers, usedAsParent), subcommands, skipped };
}

function parentIds(call: CallArgs, scopes: ReadonlyMap<string, Scope>): number[] {
  const parents = call.kwargs.get('parents');
  if (parents?.kind !== 'seq') return [];
  return parents.items.flatMap((item) => {
    const scope = item.kind === 'name' ? scopes.get(item.path) : undefined;
    return scope ? [scope.parser] : [];
  });
}

/** Each parser's arguments, its parents' first (as argparse copies them), then `set_defaults` applied. */
function collect(parsers: readonly Parser[], usedAsParent: ReadonlySet<number>): ParamSpec[] {
  const inherited = (id: number, seen: Set<number>): ParamSpec[] => {
    if (seen.has(id)) return [];
    seen.add(id);
    const p = parsers[id];
    return [...p.parents.flatMap((parent) => inherited(parent, seen)), ...p.specs];
  };
  const out: ParamSpec[] = [];
  parsers.forEach((parser, id) => {
    // A parent parser's arguments show up in the parsers that inherit them.
    if (usedAsParent.has(id)) return;
    for (const spec of inherited(id, new Set())) {
      const withScope = parser.subcommand !== undefined ? { ...spec, subcommand: parser.subcommand } : spec;
      const override = parser.defaults.get(spec.name);
      out.push(override !== undefined ? { ...withScope, default: override } : withScope);
    }
  });
  return mergeSameDest(out);
}

/**
 * Arguments sharing a dest become one parameter: `--amp` (store_true) with `--no-amp`
 * (store_false) is an on/off switch; several store_const flags (`--onnx`, `--torchscript`) are a
 * choice between their constants. Otherwise the first declaration wins, as its default does in
 * argparse.
 */
function mergeSameDest(specs: readonly ParamSpec[]): ParamSpec[] {
  const out: ParamSpec[] = [];
  for (const spec of specs) {
    const k = out.findIndex((s) => s.name === spec.name && s.subcommand === spec.subcommand);
    if (k < 0) {
      out.push(spec);
      continue;
    }
    const first = out[k];
    const actions = [first.action, spec.action];
    if (actions.includes('store_true') && actions.includes('store_false') && first.action !== spec.action) {
      const [on, off] = first.action === 'store_true' ? [first, spec] : [spec, first];
      out[k] = { ...first, action: 'boolean_optional', flags: on.flags, negativeFlags: off.flags };
    } else if (spec.action === 'store_const' && (first.action === 'store_const' || first.constFlags)) {
      const constFlags = { ...(first.constFlags ?? constFlagOf(first)), ...constFlagOf(spec) };
      out[k] = {
        ...withoutConstValue(first),
        type: 'choice',
        choices: Object.keys(constFlags),
        flags: [...first.flags, ...spec.flags],
        constFlags,
      };
    }
  }
  return out;
}

function withoutConstValue(spec: ParamSpec): ParamSpec {
  return Object.fromEntries(Object.entries(spec).filter(([key]) => key !== 'constValue')) as unknown as ParamSpec;
}

function constFlagOf(spec: ParamSpec): Record<string, string> {
  const value = spec.constValue;
  return typeof value === 'string' || typeof value === 'number'
    ? { [String(value)]: spec.flags[spec.flags.length - 1] }
    : {};
}

type BuiltSpec = Omit<ParamSpec, 'location'>;

/** The spec for one `add_argument` call; a string says why it was skipped, undefined ignores it (help, version). */
function buildSpec(call: CallArgs, lookup: (name: string) => Literal | undefined): BuiltSpec | string | undefined {
  const names = call.args.map((a) => evaluate(a, lookup));
  if (names.length === 0 || !names.every((n): n is string => typeof n === 'string' && n !== '')) {
    return call.starred && names.length === 0
      ? 'the option strings come from *args'
      : 'the option strings are computed at run time (an f-string or a variable)';
  }
  const kw = (key: string): Expr | undefined => call.kwargs.get(key);
  const value = (key: string): Literal | undefined => {
    const expr = kw(key);
    return expr ? evaluate(expr, lookup) : undefined;
  };
  const positional = names.length === 1 && !names[0].startsWith('-');
  const action = actionOf(kw('action'), lookup);
  if (action === undefined) return undefined;
  const longest = names.find((n) => n.startsWith('--')) ?? names[0];
  const dest = value('dest');
  const name = typeof dest === 'string' ? dest : positional ? names[0] : longest.replace(/^-+/, '').replace(/-/g, '_');

  const nargs = nargsOf(kw('nargs'), lookup);
  const choices = value('choices');
  const choiceList = Array.isArray(choices)
    ? (choices as readonly Literal[]).filter(
        (c): c is string | number => typeof c === 'string' || typeof c === 'number',
      )
    : undefined;
  const typeExpr = kw('type');
  const declared = typeExpr ? typeOf(typeExpr) : 'str';
  const type: ParamType = ['store_true', 'store_false', 'store_const', 'append_const', 'boolean_optional'].includes(
    action,
  )
    ? 'bool'
    : action === 'count'
      ? 'int'
      : choiceList && choiceList.length > 0
        ? 'choice'
        : declared;

  const defaultExpr = kw('default');
  const evaluated = defaultExpr ? evaluate(defaultExpr, lookup) : undefined;
  const suppressed = defaultExpr?.kind === 'name' && defaultExpr.path.endsWith('SUPPRESS');
  const implicit = action === 'store_true' ? false : action === 'store_false' ? true : null;
  const defaultValue: ParamValue =
    defaultExpr && !suppressed ? (evaluated !== undefined ? toParamValue(evaluated) : null) : implicit;

  const helpExpr = kw('help');
  const hidden = helpExpr?.kind === 'name' && helpExpr.path.endsWith('SUPPRESS');
  const helpValue = helpExpr && !hidden ? evaluate(helpExpr, lookup) : undefined;
  const help = typeof helpValue === 'string' ? expandHelp(helpValue, name, defaultValue, choiceList) : undefined;

  const required = positional ? nargs !== '?' && nargs !== '*' && nargs !== '...' : value('required') === true;
  const metavar = value('metavar');
  const constValue = action === 'store_const' || action === 'append_const' ? value('const') : undefined;
  return {
    name,
    flags: positional ? [] : names,
    ...(action === 'boolean_optional'
      ? { negativeFlags: names.filter((n) => n.startsWith('--')).map((n) => `--no-${n.slice(2)}`) }
      : {}),
    kind: positional ? 'positional' : 'option',
    type,
    default: defaultValue,
    ...(defaultExpr && evaluated === undefined && !suppressed ? { defaultSource: defaultExpr.text } : {}),
    ...(choiceList && choiceList.length > 0 ? { choices: choiceList } : {}),
    ...(help !== undefined ? { help } : {}),
    required,
    action,
    ...(constValue !== undefined ? { constValue: toParamValue(constValue) } : {}),
    ...(nargs !== undefined ? { nargs } : {}),
    ...(typeof metavar === 'string' ? { metavar } : Array.isArray(metavar) ? { metavar: metavar.join(' ') } : {}),
    ...(typeExpr ? { typeSource: typeExpr.text } : {}),
    ...(hidden ? { hidden } : {}),
    source: 'argparse',
  };
}

/** undefined for `help` and `version`, which are not parameters. */
function actionOf(expr: Expr | undefined, lookup: (name: string) => Literal | undefined): ParamAction | undefined {
  if (!expr) return 'store';
  if (expr.kind === 'name' && expr.path.split('.').pop() === 'BooleanOptionalAction') return 'boolean_optional';
  const value = evaluate(expr, lookup);
  if (value === 'help' || value === 'version') return undefined;
  return typeof value === 'string' && ACTIONS.has(value) ? (value as ParamAction) : 'custom';
}

function nargsOf(expr: Expr | undefined, lookup: (name: string) => Literal | undefined): Nargs | undefined {
  if (!expr) return undefined;
  if (expr.kind === 'name') {
    const named = NARGS_NAMES[expr.path.split('.').pop() ?? ''];
    if (named) return named;
  }
  const value = evaluate(expr, lookup);
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (value === 'A...') return '+';
  return value === '?' || value === '*' || value === '+' || value === '...' ? value : undefined;
}

/**
 * The parameter type from `type=`: builtins and `Path` directly; for helper functions, their name
 * (`str2bool`, `positive_int`, `existing_dir`); `lambda`s by what their body mentions.
 */
export function typeOf(expr: Expr): ParamType {
  if (expr.kind === 'lambda')
    return /\b(?:true|bool)\b/i.test(expr.body)
      ? 'bool'
      : /^\s*int\(/.test(expr.body)
        ? 'int'
        : /^\s*float\(/.test(expr.body)
          ? 'float'
          : 'str';
  if (expr.kind === 'call') return /(?:^|\.)(?:FileType|Path)$/.test(expr.callee ?? '') ? 'path' : 'str';
  if (expr.kind !== 'name') return 'str';
  const last = expr.path.split('.').pop() ?? '';
  if (last === 'int' || last === 'float' || last === 'str' || last === 'bool') return last;
  if (last === 'Path' || last === 'PurePath' || expr.path.startsWith('os.path.')) return 'path';
  const words = last.split(/_|(?<=[a-z0-9])(?=[A-Z])/).map((w) => w.toLowerCase());
  if (/bool/i.test(last)) return 'bool';
  if (words.includes('int') || words.includes('integer')) return 'int';
  if (words.includes('float')) return 'float';
  if (words.some((w) => w === 'path' || w === 'dir' || w === 'file')) return 'path';
  return 'str';
}

/** argparse's `%`-formatting of help texts: `%(default)s`, `%(choices)s`, `%(dest)s`, `%%`. */
function expandHelp(
  help: string,
  dest: string,
  def: ParamValue,
  choices: readonly (string | number)[] | undefined,
): string {
  if (!help.includes('%')) return help;
  return help.replace(/%(?:\((\w+)\))?([srd%])/g, (whole, key: string | undefined, conv: string) => {
    if (conv === '%' && key === undefined) return '%';
    if (key === 'default') return conv === 'r' && typeof def === 'string' ? `'${def}'` : pythonStr(def);
    if (key === 'dest') return dest;
    if (key === 'choices' && choices) return choices.join(', ');
    return whole;
  });
}
