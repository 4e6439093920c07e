/**
 * Reads an MLflow `MLproject` file (https://mlflow.org/docs/latest/projects.html): its entry
 * points with typed parameters and command templates, plus diagnostics with ranges for the
 * editor. Errors are what makes `mlflow run` fail (bad YAML, a placeholder naming no parameter,
 * two environments, an entry point without a command); warnings are what MLflow accepts silently
 * but is likely a mistake (unknown keys and types, a default that does not fit its type, a
 * parameter the command never uses). It never throws.
 */
import type { Node, Pair, Scalar } from 'yaml';
import { isMap, isScalar, parseDocument } from 'yaml';
import type { MLprojectEntryPoint } from './mlprojectCommand';
import { parseFormat } from './mlprojectCommand';
import type { ParamSpec, ParamType, ParamValue, SourceRange } from './paramSpec';
import { pythonFloat } from './pythonEval';

export type { MLprojectEntryPoint } from './mlprojectCommand';

export interface MLprojectDiagnostic {
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly range: SourceRange;
  /** Set on problems the editor shows differently: an unused parameter is also faded out. */
  readonly code?: 'unused-parameter' | 'missing-environment-file';
}

export type MLprojectEnvironment =
  | { readonly kind: 'python_env' | 'conda_env'; readonly file: string; readonly range: SourceRange }
  | { readonly kind: 'docker_env'; readonly image: string | undefined };

export interface MLproject {
  readonly name?: string;
  readonly environment?: MLprojectEnvironment;
  readonly entryPoints: readonly MLprojectEntryPoint[];
  readonly diagnostics: readonly MLprojectDiagnostic[];
}

const TOP_KEYS = ['name', 'python_env', 'conda_env', 'docker_env', 'entry_points', 'databricks_spark_job'];
const ENV_KEYS = ['python_env', 'conda_env', 'docker_env'];
const ENTRY_KEYS = ['parameters', 'command'];
const PARAM_KEYS = ['type', 'default'];
const TYPES: Readonly<Record<string, ParamType>> = {
  float: 'float',
  int: 'int',
  string: 'str',
  path: 'path',
  uri: 'uri',
};

const MAX_YAML_ERRORS = 50;

type YamlPair = Pair<unknown, unknown>;

export function parseMLproject(text: string): MLproject {
  const diagnostics: MLprojectDiagnostic[] = [];
  try {
    return { ...readProject(text, diagnostics), diagnostics };
  } catch (error) {
    // The yaml library is not expected to throw; if it does, say so rather than break the editor.
    diagnostics.push({
      severity: 'error',
      message: `Could not read the MLproject file: ${String(error)}`,
      range: rangeAt(text, 0, 0),
    });
    return { entryPoints: [], diagnostics };
  }
}

function readProject(text: string, diagnostics: MLprojectDiagnostic[]): Omit<MLproject, 'diagnostics'> {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const report: Report = (severity, message, node, code) => {
    diagnostics.push({ severity, message, range: nodeRange(text, node), ...(code ? { code } : {}) });
  };
  // After a few dozen syntax errors the rest are echoes of the first ones.
  for (const e of doc.errors.slice(0, MAX_YAML_ERRORS)) {
    // PyYAML keeps the last of duplicate keys, so for MLflow a duplicate is a likely mistake, not a failure.
    const severity = e.code === 'DUPLICATE_KEY' ? 'warning' : 'error';
    const message =
      e.code === 'MULTIPLE_DOCS' ? "An MLproject file holds one YAML document: remove the extra '---'" : e.message;
    diagnostics.push({ severity, message, range: rangeAt(text, e.pos[0], e.pos[1]) });
  }
  for (const w of doc.warnings.slice(0, MAX_YAML_ERRORS))
    diagnostics.push({ severity: 'warning', message: w.message, range: rangeAt(text, w.pos[0], w.pos[1]) });
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    if (doc.errors.length === 0)
      report('error', 'The MLproject file is empty: it needs at least entry_points', undefined);
    return { entryPoints: [] };
  }
  if (!isMap(root)) {
    report('error', 'An MLproject file is a mapping of keys such as name and entry_points', root);
    return { entryPoints: [] };
  }
  let name: string | undefined;
  let environment: MLprojectEnvironment | undefined;
  const entryPoints: MLprojectEntryPoint[] = [];
  for (const pair of root.items) {
    const key = keyOf(pair);
    if (!TOP_KEYS.includes(key)) report('warning', unknownKey(key, TOP_KEYS, 'the MLproject keys'), pair.key);
    const value = pair.value as Node | null;
    if (key === 'name') {
      if (isScalar(value) && typeof value.value === 'string') name = value.value;
      else report('warning', 'name should be a string', value ?? pair.key);
    } else if (ENV_KEYS.includes(key)) {
      if (environment) {
        report('error', `Only one environment may be given, but there are ${environment.kind} and ${key}`, pair.key);
        continue;
      }
      environment = readEnvironment(text, key, value, pair, report);
    } else if (key === 'entry_points') {
      if (!isMap(value))
        report('error', 'entry_points must map entry point names to their command and parameters', value ?? pair.key);
      else for (const entry of value.items) entryPoints.push(readEntryPoint(text, entry, report));
    }
  }
  return { ...(name !== undefined ? { name } : {}), ...(environment ? { environment } : {}), entryPoints };
}

/** Reports at a YAML node's range, or at a range already computed. */
type Report = (
  severity: MLprojectDiagnostic['severity'],
  message: string,
  at: unknown,
  code?: MLprojectDiagnostic['code'],
) => void;

function readEnvironment(
  text: string,
  key: string,
  value: Node | null,
  pair: YamlPair,
  report: Report,
): MLprojectEnvironment | undefined {
  if (key === 'docker_env') {
    const image = isMap(value) ? value.get('image') : undefined;
    if (typeof image !== 'string')
      report('error', 'docker_env needs an image, e.g. image: python:3.11', value ?? pair.key);
    return { kind: 'docker_env', image: typeof image === 'string' ? image : undefined };
  }
  if (isScalar(value) && typeof value.value === 'string')
    return { kind: key as 'python_env' | 'conda_env', file: value.value, range: nodeRange(text, value) };
  report(
    'error',
    `${key} must be the path of an environment file, e.g. ${key === 'python_env' ? 'python_env.yaml' : 'conda.yaml'}`,
    value ?? pair.key,
  );
  return undefined;
}

function readEntryPoint(text: string, entry: YamlPair, report: Report): MLprojectEntryPoint {
  const name = keyOf(entry);
  const location = nodeRange(text, entry.key);
  const value = entry.value as Node | null;
  const params: ParamSpec[] = [];
  const defaultArgs: Record<string, string> = {};
  let command: string | undefined;
  let commandNode: Scalar | undefined;
  if (!isMap(value)) {
    report(
      'error',
      `Entry point '${name}' must be a mapping with a command (and optional parameters)`,
      value ?? entry.key,
    );
    return { name, command, params, defaultArgs, location };
  }
  for (const pair of value.items) {
    const key = keyOf(pair);
    const v = pair.value as Node | null;
    if (!ENTRY_KEYS.includes(key)) report('warning', unknownKey(key, ENTRY_KEYS, 'the entry point keys'), pair.key);
    else if (key === 'command') {
      if (isScalar(v) && (typeof v.value === 'string' || typeof v.value === 'number')) {
        command = String(v.value);
        commandNode = v;
      } else report('error', 'command must be a string, e.g. "python train.py --alpha {alpha}"', v ?? pair.key);
    } else if (!isMap(v)) {
      if (v !== null && !(isScalar(v) && v.value === null))
        report('error', 'parameters must map parameter names to types', v);
    } else {
      for (const param of v.items) {
        const spec = readParam(text, param, report);
        if (!spec) continue;
        params.push(spec.spec);
        if (spec.defaultArg !== undefined) defaultArgs[spec.spec.name] = spec.defaultArg;
      }
    }
  }
  if (command === undefined && !value.items.some((p) => keyOf(p) === 'command')) {
    report('error', `Entry point '${name}' has no command`, entry.key);
  }
  if (commandNode && command !== undefined) checkPlaceholders(text, name, command, commandNode, params, report);
  return { name, command, params, defaultArgs, location };
}

function readParam(
  text: string,
  pair: YamlPair,
  report: Report,
): { spec: ParamSpec; defaultArg: string | undefined } | undefined {
  const name = keyOf(pair);
  const value = pair.value as Node | null;
  let typeNode: unknown = value;
  let defaultNode: Scalar | undefined;
  if (isMap(value)) {
    typeNode = undefined;
    for (const item of value.items) {
      const key = keyOf(item);
      if (!PARAM_KEYS.includes(key)) report('warning', unknownKey(key, PARAM_KEYS, 'the parameter keys'), item.key);
      else if (key === 'type') typeNode = item.value;
      else if (isScalar(item.value)) defaultNode = item.value;
      else
        report(
          'warning',
          `The default of '${name}' should be a single value, not a list or mapping`,
          item.value ?? item.key,
        );
    }
  } else if (!isScalar(value) || typeof value.value !== 'string') {
    report(
      'error',
      `Parameter '${name}' needs a type (float, int, string, path or uri), e.g. ${name}: float`,
      value ?? pair.key,
    );
    return undefined;
  }
  // MLflow's default type is string.
  const typeName = typeNode === undefined ? 'string' : isScalar(typeNode) ? String(typeNode.value) : '';
  if (!(typeName in TYPES)) {
    report(
      'warning',
      unknownKey(typeName, Object.keys(TYPES), "MLflow's parameter types", 'type'),
      typeNode ?? pair.key,
    );
  }
  const type = TYPES[typeName] ?? 'str';
  const defaultArg = defaultNode ? pyyamlStr(defaultNode) : undefined;
  const defaultValue: ParamValue = defaultArg === undefined ? null : jsonValue(defaultNode?.value);
  if (defaultNode && defaultArg !== undefined) {
    const problem = defaultProblem(type, defaultArg, defaultNode);
    if (problem) report('warning', `The default of '${name}' ${problem}`, defaultNode);
  }
  const spec: ParamSpec = {
    name,
    flags: [],
    kind: 'option',
    type,
    default: defaultValue,
    required: defaultArg === undefined,
    action: 'store',
    typeSource: typeName,
    source: 'mlproject',
    location: nodeRange(text, pair.key),
  };
  return { spec, defaultArg };
}

function defaultProblem(type: ParamType, arg: string, node: Scalar): string | undefined {
  const isBool = typeof node.value === 'boolean';
  if (type === 'int' && (isBool || !/^[-+]?\d+$/.test(arg))) return `is ${JSON.stringify(arg)}, not an int`;
  if (type === 'float' && (isBool || Number.isNaN(Number(arg.replace(/_/g, ''))) || arg.trim() === '')) {
    return /^[-+]?(inf|nan)$/i.test(arg) ? undefined : `is ${JSON.stringify(arg)}, not a float`;
  }
  if (type === 'uri' && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(arg))
    return `is ${JSON.stringify(arg)}, not a URI (MLflow will reject it)`;
  return undefined;
}

function checkPlaceholders(
  text: string,
  entry: string,
  command: string,
  node: Scalar,
  params: readonly ParamSpec[],
  report: Report,
): void {
  const { parts, problems } = parseFormat(command);
  const raw = node.range ? text.slice(node.range[0], node.range[1]) : '';
  const base = node.range?.[0] ?? 0;
  let cursor = 0;
  // Placeholders are found again in the raw scalar, so quoted and block scalars get exact ranges.
  const locate = (snippet: string): SourceRange => {
    const at = raw.indexOf(snippet, cursor);
    if (at < 0) return nodeRange(text, node);
    cursor = at + snippet.length;
    return rangeAt(text, base + at, base + at + snippet.length);
  };
  const names = new Set(params.map((p) => p.name));
  const used = new Set<string>();
  for (const part of parts) {
    if (part.kind !== 'field') continue;
    const range = locate(part.raw);
    used.add(part.name);
    if (part.name === '' || /^\d+$/.test(part.name)) {
      report('error', `MLflow fills placeholders by parameter name; ${part.raw} has none`, range);
    } else if (!names.has(part.name)) {
      const hint = closest(part.name, [...names]);
      report(
        'error',
        `The placeholder ${part.raw} names no parameter of entry point '${entry}'${hint ? ` (did you mean '${hint}'?)` : ''}`,
        range,
      );
    }
  }
  for (const problem of problems) report('error', problem.message, locate(command.slice(problem.start, problem.end)));
  for (const p of params) {
    if (!used.has(p.name)) {
      report(
        'warning',
        `Parameter '${p.name}' is not used in the command of '${entry}', so MLflow never passes it`,
        p.location,
        'unused-parameter',
      );
    }
  }
}

function keyOf(pair: YamlPair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function jsonValue(value: unknown): ParamValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? value : null;
}

/**
 * `str()` of the value PyYAML (YAML 1.1, which MLflow uses) reads from a scalar: `yes` is True,
 * `1.50` is the float 1.5, but `1e-3` (no dot) stays the string "1e-3". Undefined for null.
 */
function pyyamlStr(node: Scalar): string | undefined {
  if (node.type !== 'PLAIN') return String(node.value);
  const src = (node.source ?? String(node.value)).trim();
  if (/^(?:~|null|Null|NULL|)$/.test(src)) return undefined;
  if (/^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(src)) return 'True';
  if (/^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/.test(src)) return 'False';
  if (/^[-+]?(?:0|[1-9][0-9_]*)$/.test(src)) return String(BigInt(src.replace(/_/g, '').replace(/^\+/, '')));
  if (/^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?$/.test(src) && /\d/.test(src))
    return pythonFloat(Number(src.replace(/_/g, '')));
  if (/^[-+]?\.(?:inf|Inf|INF)$/.test(src)) return src.startsWith('-') ? '-inf' : 'inf';
  if (/^\.(?:nan|NaN|NAN)$/.test(src)) return 'nan';
  return src;
}

function unknownKey(key: string, known: readonly string[], what: string, noun = 'key'): string {
  const hint = closest(key, known);
  return `Unknown ${noun} '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; ${what} are ${known.join(', ')}`;
}

/** The known word within two edits of `word`, for "did you mean". */
function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

function nodeRange(text: string, at: unknown): SourceRange {
  if (at && typeof at === 'object' && 'endColumn' in at) return at as SourceRange;
  const range = at && typeof at === 'object' && 'range' in at ? (at as { range?: unknown }).range : undefined;
  if (Array.isArray(range) && typeof range[0] === 'number' && typeof range[1] === 'number')
    return rangeAt(text, range[0], range[1]);
  return rangeAt(text, 0, 0);
}

/** Line starts of the text last asked about: every diagnostic of one parse shares them. */
let lineStarts: { text: string; starts: number[] } | undefined;

/** 0-based line and UTF-16 column of two offsets. */
function rangeAt(text: string, start: number, end: number): SourceRange {
  if (lineStarts?.text !== text) {
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] !== '\n')) starts.push(i + 1);
    }
    lineStarts = { text, starts };
  }
  const { starts } = lineStarts;
  const pos = (offset: number): [number, number] => {
    const clamped = Math.max(0, Math.min(offset, text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return [lo, clamped - starts[lo]];
  };
  const [line, column] = pos(start);
  const [endLine, endColumn] = pos(end);
  return { line, column, endLine, endColumn };
}
