/**
 * `runlog promote MODEL_URI --alias ALIAS [--if-better-than …]`: the delivery step. The alias moves
 * through the Python client's registry command (`python -m runlog.registry set-alias --current`),
 * which holds the registry's lock and refuses when the alias moved since it was read: a
 * compare-and-set. When that happens (another CI job promoted first) the gate runs again against
 * the new holder, so of two jobs finishing at once only a better model ends up promoted.
 */
import type { PythonClient } from '../registry/registryCli';
import { ALIAS_MOVED, RegistryError, aliasProblem, runRegistry } from '../registry/registryCli';
import type { CommandSpec, ParsedArgs } from './args';
import { flag, has, usageError } from './args';
import { BASELINE_FLAGS, readConditions } from './checkCommand';
import type { CliContext, Command } from './context';
import { DIR_FLAG, formatFlag, withStore } from './context';
import type { ExitCode } from './errors';
import { CliError, EXIT, missing } from './errors';
import type { GateOutcome } from './gateReport';
import { exitCodeOf, gateJson, gateMarkdown, gateTable, runGate } from './gateReport';
import type { ResolvedVersion } from './modelUris';
import { isModelUri, resolveModelUri } from './modelUris';
import { json, markdownMarker, paint } from './output';
import type { StoreReads } from './runNames';
import { resolveRun } from './runNames';

const FORMATS = ['table', 'md', 'json'] as const;
type PromoteFormat = (typeof FORMATS)[number];
/** Rounds of "the alias moved: check against the new holder and try again" before giving up. */
const ATTEMPTS = 5;

const spec: CommandSpec = {
  name: 'promote',
  summary: 'Move a model alias to a version (compare-and-set), optionally only when it beats the current holder.',
  usage: [
    'runlog promote MODEL_URI --alias ALIAS [--if-better-than models:/name@alias --metric KEY [--goal min|max]',
    '               [--min-abs-change A] [--min-rel-change R] [--allow-missing-baseline]] [--format table|md|json]',
  ],
  positionals: { name: 'MODEL_URI', min: 1, max: 1 },
  flags: [
    { name: 'alias', value: 'ALIAS', help: 'the alias to move, e.g. champion' },
    {
      name: 'if-better-than',
      value: 'MODEL_URI_OR_RUN',
      help: "only promote when the version's run passes the gate against this one (as runlog check --better-than)",
    },
    ...BASELINE_FLAGS,
    formatFlag(FORMATS, 'report format'),
    DIR_FLAG,
  ],
  details: [
    'MODEL_URI is models:/name/N, models:/name/latest, models:/name@alias, or runs:/RUN/PATH (the version',
    "registered from that run's model; RUN as elsewhere: an id, a prefix, a name or latest).",
    'Exit codes as runlog check: 0 promoted (or already there), 1 the gate does not hold, 2 usage, 3 a model,',
    'version, alias, run or metric is missing, 4 the registry could not be changed (no Python, a refusal).',
    'The registry is changed by the Python client (python -m runlog.registry, which takes the registry lock):',
    "RUNLOG_PYTHON names the interpreter (default python3); the client comes from this Runlog's python/ folder.",
  ],
};

interface Candidate {
  readonly resolved: ResolvedVersion;
}

/** The version a promote names: a `models:/` URI, or the version registered from a run's model. */
export function candidateVersion(store: StoreReads, text: string, preferModel?: string): Candidate {
  const models = store.registeredModels();
  if (isModelUri(text)) return { resolved: resolveModelUri(models, text) };
  const match = /^runs:\/(.+?)\/(.+)$/.exec(text);
  if (!match) {
    throw new CliError(`not a model URI: "${text}" (models:/name/N, models:/name@alias or runs:/RUN/PATH)`, EXIT.usage);
  }
  const [, runName = '', path = ''] = match;
  const { run } = resolveRun(store, runName);
  const source = path.replace(/\/+$/, '');
  const found = models.flatMap((model) =>
    model.versions.filter((v) => v.runId === run.id && v.source === source).map((version) => ({ model, version })),
  );
  const preferred = preferModel ? found.filter((f) => f.model.name === preferModel) : found;
  const names = [...new Set(preferred.map((f) => f.model.name))];
  if (preferred.length === 0) {
    throw missing(
      `the model "${source}" of run ${run.name} (${run.id}) is not registered${preferModel ? ` as "${preferModel}"` : ''}`,
    );
  }
  if (names.length > 1) {
    throw new CliError(
      `the model "${source}" of run ${run.name} is registered as ${names.map((n) => `"${n}"`).join(' and ')}: name one with models:/name/N`,
      EXIT.usage,
    );
  }
  // Registered more than once under one name: the newest version (versions are newest first).
  const [{ model, version }] = preferred;
  return { resolved: { model, version, uri: `models:/${model.name}/${version.version}` } };
}

function modelNameOf(uri: string | undefined): string | undefined {
  if (!uri || !isModelUri(uri)) return undefined;
  const rest = uri.slice('models:/'.length);
  const at = rest.lastIndexOf('@');
  return at !== -1 ? rest.slice(0, at) : rest.slice(0, rest.lastIndexOf('/'));
}

export type PromoteOutcome = 'promoted' | 'already' | 'not-better' | 'missing';

interface PromoteResult {
  readonly outcome: PromoteOutcome;
  readonly candidate: ResolvedVersion;
  readonly alias: string;
  /** The version the alias pointed at before (null: none). */
  readonly previous: number | null;
  readonly gate: GateOutcome | undefined;
  readonly attempts: number;
}

function currentHolder(store: StoreReads, name: string, alias: string): number | null {
  const model = store.registeredModels().find((m) => m.name === name);
  return model?.versions.find((v) => v.aliases.includes(alias))?.version ?? null;
}

function pythonClient(context: CliContext): PythonClient {
  if (!context.clientPath) {
    throw new CliError(
      "cannot change the registry: this Runlog's Python client (its python/ folder) was not found beside the CLI",
      EXIT.error,
    );
  }
  const python = context.env['RUNLOG_PYTHON'] || (process.platform === 'win32' ? 'python' : 'python3');
  return { python, clientPath: context.clientPath };
}

async function promote(store: StoreReads, dir: string, args: ParsedArgs, context: CliContext): Promise<PromoteResult> {
  const alias = flag(args, 'alias') ?? '';
  const baseline = flag(args, 'if-better-than');
  const conditions = has(args, 'metric') ? readConditions(spec, args, baseline !== undefined) : [];
  let attempts = 0;
  for (;;) {
    attempts++;
    const { resolved } = candidateVersion(store, args.positionals[0], modelNameOf(baseline));
    const previous = currentHolder(store, resolved.model.name, alias);
    let gate: GateOutcome | undefined;
    if (conditions.length > 0) {
      gate = runGate(store, {
        candidate: `models:/${resolved.model.name}/${resolved.version.version}`,
        ...(baseline !== undefined ? { baseline } : {}),
        conditions,
        allowMissingBaseline: has(args, 'allow-missing-baseline'),
      });
      if (gate.result.verdict !== 'pass') {
        const outcome = gate.result.verdict === 'fail' ? 'not-better' : 'missing';
        return { outcome, candidate: resolved, alias, previous, gate, attempts };
      }
    }
    if (previous === resolved.version.version) {
      return { outcome: 'already', candidate: resolved, alias, previous, gate, attempts };
    }
    try {
      await runRegistry(pythonClient(context), dir, [
        'set-alias',
        resolved.model.name,
        alias,
        String(resolved.version.version),
        '--current',
        previous === null ? 'none' : String(previous),
      ]);
      return { outcome: 'promoted', candidate: resolved, alias, previous, gate, attempts };
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      if (error.exitCode !== ALIAS_MOVED) throw new CliError(`the registry refused: ${error.message}`, EXIT.error);
      if (attempts >= ATTEMPTS) {
        throw new CliError(
          `the alias kept moving while this promoted (${attempts} tries): ${error.message}`,
          EXIT.error,
        );
      }
      // Someone moved the alias since we read it: read the registry again and decide again.
      await store.sync();
    }
  }
}

function exitCode(result: PromoteResult): ExitCode {
  if (result.outcome === 'promoted' || result.outcome === 'already') return EXIT.ok;
  return result.gate ? exitCodeOf(result.gate.result.verdict) : EXIT.failed;
}

function actionLine(result: PromoteResult): string {
  const { candidate, alias, previous } = result;
  const name = candidate.model.name;
  const version = candidate.version.version;
  switch (result.outcome) {
    case 'promoted':
      return previous === null
        ? `promoted: @${alias} of ${name} now points at version ${version} (it pointed at no version)`
        : `promoted: @${alias} of ${name} moved from version ${previous} to version ${version}`;
    case 'already':
      return `nothing to do: @${alias} of ${name} already points at version ${version}`;
    case 'not-better':
      return `not promoted: version ${version} of ${name} does not pass the gate; @${alias} stays ${previous === null ? 'unset' : `at version ${previous}`}`;
    case 'missing':
      return `not promoted: the gate could not compare (something is missing); @${alias} stays ${previous === null ? 'unset' : `at version ${previous}`}`;
  }
}

function render(result: PromoteResult, format: PromoteFormat, color: boolean): string {
  if (format === 'json') {
    return json({
      schema: 'runlog.promote/1',
      outcome: result.outcome,
      exitCode: exitCode(result),
      model: result.candidate.model.name,
      alias: result.alias,
      version: result.candidate.version.version,
      previous: result.previous,
      runId: result.candidate.version.runId,
      gate: result.gate ? gateJson(result.gate) : null,
    });
  }
  const line = actionLine(result);
  if (format === 'md') {
    const gate = result.gate ? `${gateMarkdown(result.gate).replace(/^<!-- runlog:check -->\n/, '')}\n` : '';
    return `${markdownMarker('promote')}\n${gate}**${line}**\n`;
  }
  const tone = exitCode(result) === EXIT.ok ? 'green' : 'red';
  return `${result.gate ? gateTable(result.gate, color) : ''}${paint({ color }, tone, line)}\n`;
}

async function run(args: ParsedArgs, context: CliContext): Promise<number> {
  const alias = flag(args, 'alias');
  if (alias === undefined) throw usageError(spec, '--alias ALIAS is required');
  const problem = aliasProblem(alias);
  if (problem) throw usageError(spec, `--alias ${alias}: ${problem}`);
  if (flag(args, 'if-better-than') !== undefined && !has(args, 'metric')) {
    throw usageError(spec, '--if-better-than needs --metric KEY: which metric decides "better"');
  }
  const format = (flag(args, 'format') ?? 'table') as PromoteFormat;
  const result = await withStore(args, context, (store, dir) => promote(store, dir, args, context));
  context.out(render(result, format, context.color));
  if (result.outcome === 'missing' && result.gate?.baselineProblem) {
    context.err(`runlog: the baseline is missing: ${result.gate.baselineProblem}\n`);
  }
  return exitCode(result);
}

export const promoteCommand: Command = { spec, run };
