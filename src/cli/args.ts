/**
 * The command line's argument reading: one spec per command (its flags and positionals), read
 * strictly. An unknown flag is an error that names the closest known one; a flag that takes a value
 * takes the next argument whatever it looks like (so `--max -0.5` works); `--flag=value` works too;
 * `--` ends the flags. No dependencies: what a CLI library would give is this file.
 */
import { CliError, EXIT } from './errors';

export interface FlagSpec {
  /** Without the dashes: `filter` is `--filter`. */
  readonly name: string;
  /** What the value is called in help (`EXPR`); absent for a switch, which takes no value. */
  readonly value?: string;
  readonly repeat?: boolean;
  readonly choices?: readonly string[];
  readonly help: string;
}

export interface PositionalSpec {
  /** How help names them: `RUN`, `RUN…`. */
  readonly name: string;
  readonly min: number;
  readonly max: number;
}

export interface CommandSpec {
  readonly name: string;
  /** One line, for `runlog --help`. */
  readonly summary: string;
  readonly usage: readonly string[];
  readonly positionals: PositionalSpec;
  readonly flags: readonly FlagSpec[];
  /** Paragraphs after the flags in `runlog COMMAND --help`. */
  readonly details?: readonly string[];
}

export interface ParsedArgs {
  readonly positionals: readonly string[];
  /** Every flag given, in order (`''` for a switch): commands whose flags attach to an earlier flag read this. */
  readonly sequence: readonly { readonly name: string; readonly value: string }[];
  readonly help: boolean;
}

/** The last value of a flag, or undefined. */
export function flag(args: ParsedArgs, name: string): string | undefined {
  let found: string | undefined;
  for (const entry of args.sequence) if (entry.name === name) found = entry.value;
  return found;
}

export function flags(args: ParsedArgs, name: string): string[] {
  return args.sequence.filter((entry) => entry.name === name).map((entry) => entry.value);
}

export function has(args: ParsedArgs, name: string): boolean {
  return args.sequence.some((entry) => entry.name === name);
}

/** Edit distance with transpositions (Damerau–Levenshtein, optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => i || j));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The candidate closest to `word`, when it is close enough to be what was meant (or it starts with it). */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  const extended = candidates.filter((c) => c.toLowerCase().startsWith(lower));
  if (lower.length >= 3 && extended.length === 1) return extended[0];
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function usage(spec: CommandSpec, message: string): CliError {
  return new CliError(
    `${message}\n${spec.usage.map((u) => `usage: ${u}`).join('\n')}\n(runlog ${spec.name} --help for more)`,
    EXIT.usage,
  );
}

/** Reads `argv` (what follows the command's name) by `spec`; throws a usage error (exit 2). */
export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const byName = new Map(spec.flags.map((f) => [f.name, f]));
  const positionals: string[] = [];
  const sequence: { name: string; value: string }[] = [];
  let help = false;
  let flagsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (flagsEnded || !arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      flagsEnded = true;
      continue;
    }
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      // No short options: `-f` suggests the one flag starting with that letter, if there is one.
      const letter = arg.slice(1);
      const starting = [...byName.keys()].filter((name) => letter.length === 1 && name.startsWith(letter));
      const near = starting.length === 1 ? starting[0] : didYouMean(letter, [...byName.keys()]);
      throw usage(spec, `unknown option ${arg}${near ? ` (did you mean --${near}?)` : ''}`);
    }
    const equals = arg.indexOf('=');
    const name = arg.slice(2, equals === -1 ? undefined : equals);
    const spec_ = byName.get(name);
    if (!spec_) {
      const near = didYouMean(name, [...byName.keys()]);
      throw usage(spec, `unknown flag --${name}${near ? ` (did you mean --${near}?)` : ''}`);
    }
    let value = '';
    if (spec_.value === undefined) {
      if (equals !== -1) throw usage(spec, `--${name} takes no value`);
    } else if (equals !== -1) {
      value = arg.slice(equals + 1);
    } else {
      if (i + 1 >= argv.length) throw usage(spec, `--${name} needs a value (${spec_.value})`);
      value = argv[++i];
    }
    if (spec_.choices && !spec_.choices.includes(value)) {
      const near = didYouMean(value, spec_.choices);
      throw usage(
        spec,
        `--${name} is one of ${spec_.choices.join(', ')}, not "${value}"${near ? ` (did you mean ${near}?)` : ''}`,
      );
    }
    if (!spec_.repeat && sequence.some((entry) => entry.name === name)) {
      throw usage(spec, `--${name} is given twice`);
    }
    sequence.push({ name, value });
  }
  if (!help) {
    const { min, max, name } = spec.positionals;
    if (positionals.length < min) {
      throw usage(spec, min === 1 && max === 1 ? `${name} is missing` : `at least ${min} ${name} expected`);
    }
    if (positionals.length > max) {
      const extra = positionals[max];
      throw usage(
        spec,
        max === 0
          ? `runlog ${spec.name} takes no ${extra.includes('/') ? 'path' : 'argument'} here, found "${extra}"`
          : `too many arguments: "${extra}" (at most ${max} ${name})`,
      );
    }
  }
  return { positionals, sequence, help };
}

/** A number flag's value, or a usage error that says what was wrong. */
export function numberFlag(spec: CommandSpec, name: string, value: string): number {
  const n = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(n)) throw usage(spec, `--${name} takes a number, not "${value}"`);
  return n;
}

export function usageError(spec: CommandSpec, message: string): CliError {
  return usage(spec, message);
}

/** `runlog COMMAND --help`: usage, the flags with their help, then the details. */
export function commandHelp(spec: CommandSpec): string {
  const lines = [...spec.usage.map((u, i) => `${i === 0 ? 'usage:' : '      '} ${u}`), '', spec.summary, ''];
  const names = spec.flags.map((f) => `--${f.name}${f.value ? ` ${f.value}` : ''}`);
  const width = Math.min(30, Math.max(...names.map((n) => n.length)));
  spec.flags.forEach((f, i) => {
    const label = names[i];
    const help = `${f.help}${f.choices ? ` (${f.choices.join(' | ')})` : ''}${f.repeat ? '; may be repeated' : ''}`;
    lines.push(
      label.length > width ? `  ${label}\n  ${' '.repeat(width)}  ${help}` : `  ${label.padEnd(width)}  ${help}`,
    );
  });
  if (spec.details) lines.push('', ...spec.details);
  return `${lines.join('\n')}\n`;
}
