/**
 * How MLflow turns an MLproject entry point into a shell command (mlflow/projects/_project_spec.py,
 * `EntryPoint.compute_command`): every declared parameter gets the user's value or its default,
 * `str()`-ed and `shlex.quote`d, and is substituted with Python's `str.format`; values given for
 * parameters the entry point does not declare are appended as `--name value`. A declared
 * parameter without a value and without a default is an error ("No value given for missing
 * parameters"). One deliberate difference: trailing whitespace of the template is dropped.
 */
import type { ParamSpec, SourceRange } from './paramSpec';
import { ParamError } from './paramSpec';
import { shellQuote } from '../util/shellQuote';
import { pythonStr } from './pythonEval';

export interface MLprojectEntryPoint {
  readonly name: string;
  /** The command template, `{param}` placeholders included; undefined when the file has none. */
  readonly command: string | undefined;
  readonly params: readonly ParamSpec[];
  /** Each default as MLflow writes it into the command: Python's `str()` of the value PyYAML reads. */
  readonly defaultArgs: Readonly<Record<string, string>>;
  /** The entry point's key. */
  readonly location: SourceRange;
}

/** A piece of a `str.format` template: literal text, or a replacement field. */
export type FormatPart =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'field';
      readonly name: string;
      readonly raw: string;
      readonly start: number;
      readonly end: number;
    };

export interface FormatProblem {
  readonly message: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Splits a template the way Python's `str.format` does: `{{` and `}}` are literal braces, a field
 * runs to its matching `}` (format specs may nest one level: `{x:{width}}`), and the field name
 * is what precedes `.`, `[`, `!` or `:`.
 */
export function parseFormat(template: string): { parts: FormatPart[]; problems: FormatProblem[] } {
  const parts: FormatPart[] = [];
  const problems: FormatProblem[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if ((c === '{' || c === '}') && template[i + 1] === c) {
      text += c;
      i += 2;
    } else if (c === '}') {
      problems.push({ message: "Single '}' in the command; write '}}' for a literal brace", start: i, end: i + 1 });
      i++;
    } else if (c === '{') {
      let depth = 1;
      let j = i + 1;
      while (j < template.length && depth > 0) {
        if (template[j] === '{') depth++;
        else if (template[j] === '}') depth--;
        j++;
      }
      if (depth > 0) {
        problems.push({
          message: "Unclosed '{' in the command; write '{{' for a literal brace",
          start: i,
          end: template.length,
        });
        break;
      }
      if (text) parts.push({ kind: 'text', text });
      text = '';
      const raw = template.slice(i, j);
      const name = /^[^.[!:]*/.exec(raw.slice(1, -1))?.[0] ?? '';
      parts.push({ kind: 'field', name, raw, start: i, end: j });
      i = j;
    } else {
      text += c;
      i++;
    }
  }
  if (text) parts.push({ kind: 'text', text });
  return { parts, problems };
}

export type MLprojectValues = Readonly<Record<string, string | number | boolean | undefined>>;

function str(value: string | number | boolean): string {
  return typeof value === 'string' ? value : pythonStr(value);
}

/**
 * The shell command MLflow runs for `values` (keyed by parameter name). Throws `ParamError` for
 * missing parameters, a non-URI value for a `uri` parameter, or a broken template. Paths are
 * passed as given: MLflow itself makes local `path` values absolute and downloads remote ones.
 */
export function renderMLprojectCommand(entryPoint: MLprojectEntryPoint, values: MLprojectValues): string {
  const { parts, problems } = parseFormat(entryPoint.command ?? '');
  const messages = problems.map((p) => p.message);
  if (entryPoint.command === undefined) messages.push(`Entry point '${entryPoint.name}' has no command`);
  const final = new Map<string, string>();
  const missing: string[] = [];
  for (const spec of entryPoint.params) {
    const given = values[spec.name];
    const value = given !== undefined ? str(given) : entryPoint.defaultArgs[spec.name];
    if (value === undefined) missing.push(`'${spec.name}'`);
    else if (spec.type === 'uri' && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value)) {
      messages.push(`Expected URI for parameter ${spec.name} but got ${value}`);
    } else final.set(spec.name, shellQuote(value));
  }
  if (missing.length > 0) messages.push(`No value given for missing parameters: ${missing.join(', ')}`);
  const declared = new Set(entryPoint.params.map((p) => p.name));
  for (const part of parts) {
    if (part.kind === 'field' && !declared.has(part.name)) {
      messages.push(`The command's placeholder ${part.raw} names no parameter of entry point '${entryPoint.name}'`);
    }
  }
  if (messages.length > 0) throw new ParamError(messages);
  // A folded block scalar (`command: >`) ends in a newline; MLflow would append extra parameters
  // after it, where the shell reads them as a new command. Trimming keeps them on the command.
  const command = parts
    .map((p) => (p.kind === 'text' ? p.text : (final.get(p.name) ?? '')))
    .join('')
    .trimEnd();
  const extra = Object.entries(values).flatMap(([key, value]) =>
    declared.has(key) || value === undefined ? [] : [`--${key} ${shellQuote(str(value))}`],
  );
  return [command, ...extra].join(' ');
}
