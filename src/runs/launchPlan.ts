/**
 * What launching means, as plain data: from a training script or an MLproject entry point, the
 * values asked for (each a value or a sweep) and the settings, the exact runs to create — each
 * one's process (program, argv, folder, environment) and the header of its journal (`run_start`,
 * params, tags). The launcher (`commands/launcher.ts`) asks for the values, creates the runs and
 * shows them as tasks; everything it decides about what runs where is decided here.
 */
import * as nodePath from 'node:path';
import type { MLproject, MLprojectEntryPoint } from '../params/mlproject';
import { renderMLprojectCommand } from '../params/mlprojectCommand';
import type { ParamSpec } from '../params/paramSpec';
import { ParamError, defaultText, renderArgs } from '../params/paramSpec';
import { discoverPythonParams } from '../params/pythonParams';
import { expandGrid } from '../params/sweep';
import { shellQuote } from '../util/shellQuote';
import type { RunHeader } from './runCreation';
import { usesTrackingClient } from './stdoutMetrics';

/** How a launch gets its values: the parameters' defaults, the form, or the values of the last launch. */
export type LaunchMode = 'defaults' | 'form' | 'last';

/** The values of a launch: each parameter's text (a value or a sweep), and extra arguments. */
export interface LaunchValues {
  readonly values: Readonly<Record<string, string>>;
  readonly extra: readonly string[];
}

/**
 * A launch that relaunches a run: tags for the new run (`reproduces`, `runlog.rerun_of`) and, for
 * Reproduce Run, a rebuilt copy of the code: paths under `from` (the repository) run from the same
 * place under `to`, while the run still records the workspace's script, so it counts as a run of
 * that script.
 */
export interface Relocation {
  readonly from?: string;
  readonly to?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * What a launch mode (or given values) means with the last values: launch with these values (and
 * whether to remember them for 'last'), or ask in the form, prefilled with `form`. 'defaults' asks
 * nothing unless `needsValues` (an MLproject parameter without a default: MLflow refuses to run
 * without one); 'last' without last values asks.
 */
export function resolveLaunchValues(
  how: LaunchMode | LaunchValues,
  last: LaunchValues | undefined,
  needsValues: boolean,
): { readonly values: LaunchValues; readonly remember: boolean } | { readonly form: LaunchValues | undefined } {
  if (typeof how === 'object') return { values: how, remember: true };
  if (how === 'last' && last) return { values: last, remember: true };
  if (how === 'defaults')
    return needsValues ? { form: undefined } : { values: { values: {}, extra: [] }, remember: false };
  return { form: last };
}

/** What is launched, with what the launcher read of it (from the copy, when relocated). */
export type LaunchTarget =
  | {
      readonly kind: 'script';
      /** The training script in the workspace (absolute). */
      readonly script: string;
      /** Its source as it runs. */
      readonly source: string;
    }
  | {
      readonly kind: 'entryPoint';
      /** The MLproject file in the workspace (absolute). */
      readonly mlproject: string;
      readonly project: MLproject;
      readonly entryPoint: MLprojectEntryPoint;
    };

export interface LaunchSettings {
  /** The workspace folder of the script or MLproject file. */
  readonly folder: string;
  readonly storeDir: string;
  /** The interpreter (the Python extension's, `runlog.pythonPath` or python3). */
  readonly python: string;
  /** `runlog.experiment`; empty: the MLproject's name, else "Default". */
  readonly experiment: string;
  /** `runlog.stdoutMetrics` and `runlog.stdoutMetricPatterns`. */
  readonly stdoutMetrics: boolean;
  readonly stdoutMetricPatterns: readonly string[];
  /**
   * `runlog.systemMetrics`: whether the run's Python client samples CPU, memory, disk, network and
   * GPUs (`RUNLOG_SYSTEM_METRICS`). Only a process that imports runlog samples: a script that
   * prints its metrics, or logs only through mlflow, gets none.
   */
  readonly systemMetrics: boolean;
  /** The extension's `python/` folder: the bundled client, first on PYTHONPATH. */
  readonly clientPath: string;
  readonly platform: NodeJS.Platform;
  /** The extension host's PATH and PYTHONPATH, which a run's extend. */
  readonly inherited: { readonly PATH?: string; readonly PYTHONPATH?: string };
}

/** One run of a launch (one combination of a sweep). */
export interface PlannedRun {
  /** Its parameter values (each a single value). */
  readonly values: Readonly<Record<string, string>>;
  /** What its journal starts with. */
  readonly header: RunHeader;
  /** The program and its argv, never joined into a shell string (an entry point's command is one argument of the shell). */
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** What the run's environment adds to the extension host's; `runEnv` adds the run id and the MLflow endpoint's. */
  readonly env: Readonly<Record<string, string>>;
  /** Set when the script logs nothing itself: metrics it prints become points. */
  readonly stdoutMetricPatterns?: readonly string[];
  /** The command as the run's terminal shows it first. */
  readonly display: string;
}

export interface LaunchPlan {
  /** The launch as messages and tasks name it: the script in its folder, or `<MLproject path> › <entry point>`. */
  readonly label: string;
  /** Why nothing can be launched: an invalid value or sweep, a grid too large, a command that cannot be rendered. */
  readonly problems: readonly string[];
  /** None when there are problems. */
  readonly runs: readonly PlannedRun[];
}

/** Paths of the platform: plans for Windows are made (and tested) on any machine. */
function pathsOf(platform: NodeJS.Platform): nodePath.PlatformPath {
  return platform === 'win32' ? nodePath.win32 : nodePath.posix;
}

/** Where a workspace path is in a relocated launch's copy of the code. */
export function relocated(file: string, relocation: Relocation | undefined, platform: NodeJS.Platform): string {
  const path = pathsOf(platform);
  return relocation?.from !== undefined && relocation.to !== undefined
    ? path.join(relocation.to, path.relative(relocation.from, file))
    : file;
}

/**
 * Where a script's launch runs: its workspace folder, or for a relocated launch the folder's place
 * in the copy — the script's folder in the copy when the repository is inside the workspace folder
 * rather than around it.
 */
export function relocatedCwd(
  folder: string,
  script: string,
  relocation: Relocation | undefined,
  platform: NodeJS.Platform,
): string {
  if (relocation?.from === undefined || relocation.to === undefined) return folder;
  const path = pathsOf(platform);
  const inside = !path.relative(relocation.from, folder).startsWith('..');
  return inside ? relocated(folder, relocation, platform) : path.dirname(relocated(script, relocation, platform));
}

/** The configured interpreter, else the platform's usual name for Python 3. */
export function pickInterpreter(configured: string | undefined, platform: NodeJS.Platform): string {
  const trimmed = configured?.trim();
  if (trimmed) return trimmed;
  return platform === 'win32' ? 'python' : 'python3';
}

/** The parameters a launch of the script offers: its top-level ones that `--help` shows. */
export function launchableParams(source: string): ParamSpec[] {
  return discoverPythonParams(source).specs.filter((s) => !s.hidden && s.subcommand === undefined);
}

/** What a run records as params: the values it was launched with, else the script's defaults. */
export function recordedParams(
  specs: readonly ParamSpec[],
  values: Readonly<Record<string, string>>,
): Record<string, string> {
  const params: Record<string, string> = {};
  for (const spec of specs) {
    const value = values[spec.name] ?? defaultText(spec);
    if (value !== '') params[spec.name] = value;
  }
  for (const [name, value] of Object.entries(values)) params[name] ??= value;
  return params;
}

/** The shell an entry point's command runs in, as MLflow runs it: `sh -c` (cmd.exe on Windows). */
export function shellFor(platform: NodeJS.Platform): { readonly command: string; readonly flags: readonly string[] } {
  return platform === 'win32'
    ? { command: 'cmd.exe', flags: ['/d', '/s', '/c'] }
    : { command: '/bin/sh', flags: ['-c'] };
}

/**
 * PATH with the interpreter's folder first, so the `python` of an entry point's command is the
 * chosen interpreter (a virtual environment's, say); nothing when the interpreter is a bare name.
 */
export function interpreterFirstOnPath(
  python: string,
  inherited: string | undefined,
  platform: NodeJS.Platform,
): Record<string, string> {
  const path = pathsOf(platform);
  return path.isAbsolute(python) ? { PATH: `${path.dirname(python)}${path.delimiter}${inherited ?? ''}` } : {};
}

/** PYTHONPATH with the bundled client first, so `import runlog` works without installing it. */
export function clientPythonPath(clientPath: string, inherited: string | undefined, platform: NodeJS.Platform): string {
  return [clientPath, inherited].filter(Boolean).join(pathsOf(platform).delimiter);
}

/**
 * What every run's environment adds: its store, the bundled client, unbuffered output, and whether
 * the client samples system metrics — said either way, so the setting wins over a
 * `RUNLOG_SYSTEM_METRICS` the editor itself was started with.
 */
export function clientEnv(
  settings: Pick<LaunchSettings, 'storeDir' | 'clientPath' | 'inherited' | 'platform' | 'systemMetrics'>,
): Record<string, string> {
  return {
    RUNLOG_DIR: settings.storeDir,
    PYTHONPATH: clientPythonPath(settings.clientPath, settings.inherited.PYTHONPATH, settings.platform),
    PYTHONUNBUFFERED: '1',
    RUNLOG_SYSTEM_METRICS: settings.systemMetrics ? '1' : '0',
  };
}

/**
 * A created run's environment on top of the extension host's: the plan's, the MLflow endpoint's
 * (MLFLOW_TRACKING_URI, _TOKEN, _RUN_ID, so unmodified MLflow code logs into the run) and the run
 * id the Python client joins.
 */
export function runEnv(
  planned: Readonly<Record<string, string>>,
  runId: string,
  endpoint: Readonly<Record<string, string>>,
): Record<string, string> {
  return { ...endpoint, ...planned, RUNLOG_RUN_ID: runId };
}

/** Tags every run of a launch gets: the sweep it belongs to, and the relocation's. */
function launchTags(label: string, runs: number, relocation: Relocation | undefined): Record<string, string> {
  return { ...(runs > 1 ? { 'runlog.sweep': `${label} × ${runs}` } : {}), ...relocation?.tags };
}

/** The launch as messages and tasks name it: the script in its folder, or `<MLproject path> › <entry point>`. */
export function launchLabel(target: LaunchTarget, folder: string, platform: NodeJS.Platform): string {
  const path = pathsOf(platform);
  return target.kind === 'script'
    ? path.relative(folder, target.script)
    : `${path.relative(folder, target.mlproject)} › ${target.entryPoint.name}`;
}

/** The runs of a launch: one per combination of the values' sweeps; none, and the problems, when the values do not make runs. */
export function planLaunch(
  target: LaunchTarget,
  chosen: LaunchValues,
  settings: LaunchSettings,
  relocation?: Relocation,
): LaunchPlan {
  const label = launchLabel(target, settings.folder, settings.platform);
  try {
    const runs =
      target.kind === 'script'
        ? planScript(target, label, chosen, settings, relocation)
        : planEntryPoint(target, label, chosen, settings, relocation);
    return { label, problems: [], runs };
  } catch (error) {
    return { label, problems: error instanceof ParamError ? error.problems : [String(error)], runs: [] };
  }
}

/** A script runs as `<python> <script> <args>` from its workspace folder (or its place in the copy). */
function planScript(
  target: Extract<LaunchTarget, { kind: 'script' }>,
  label: string,
  chosen: LaunchValues,
  settings: LaunchSettings,
  relocation: Relocation | undefined,
): PlannedRun[] {
  const { platform, python } = settings;
  const path = pathsOf(platform);
  const runScript = relocated(target.script, relocation, platform);
  const cwd = relocatedCwd(settings.folder, target.script, relocation, platform);
  const specs = launchableParams(target.source);
  const combinations = expandGrid(specs, chosen.values);
  const tags = launchTags(label, combinations.length, relocation);
  const parseStdout = settings.stdoutMetrics && !usesTrackingClient(target.source);
  return combinations.map((values): PlannedRun => {
    const args = [...renderArgs(specs, values), ...chosen.extra];
    return {
      values,
      header: {
        experiment: settings.experiment || 'Default',
        command: [python, target.script, ...args].map(shellQuote).join(' '),
        cwd,
        entryPoint: label || path.basename(target.script),
        source: target.script,
        params: recordedParams(specs, values),
        tags,
        codeDir: path.dirname(runScript),
      },
      command: python,
      args: [runScript, ...args],
      cwd,
      env: clientEnv(settings),
      ...(parseStdout ? { stdoutMetricPatterns: settings.stdoutMetricPatterns } : {}),
      display: [python, label, ...args].join(' '),
    };
  });
}

/**
 * An entry point runs its command rendered the way MLflow renders it (values shell-quoted, extra
 * arguments appended), by the shell, in the MLproject's folder, with the interpreter first on PATH.
 */
function planEntryPoint(
  target: Extract<LaunchTarget, { kind: 'entryPoint' }>,
  label: string,
  chosen: LaunchValues,
  settings: LaunchSettings,
  relocation: Relocation | undefined,
): PlannedRun[] {
  const { platform, python } = settings;
  const path = pathsOf(platform);
  const { entryPoint } = target;
  const cwd = relocated(path.dirname(target.mlproject), relocation, platform);
  const shell = shellFor(platform);
  const env = { ...interpreterFirstOnPath(python, settings.inherited.PATH, platform), ...clientEnv(settings) };
  const combinations = expandGrid(entryPoint.params, chosen.values).map((values) => ({
    values,
    command: [renderMLprojectCommand(entryPoint, values), ...chosen.extra.map(shellQuote)].join(' '),
  }));
  const tags = launchTags(label, combinations.length, relocation);
  return combinations.map(({ values, command }): PlannedRun => ({
    values,
    header: {
      experiment: settings.experiment || target.project.name || 'Default',
      command,
      cwd,
      entryPoint: label,
      source: target.mlproject,
      params: { ...entryPoint.defaultArgs, ...values },
      tags,
      codeDir: cwd,
    },
    command: shell.command,
    args: [...shell.flags, command],
    cwd,
    env,
    display: command,
  }));
}
