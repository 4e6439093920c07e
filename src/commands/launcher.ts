import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ParamSpec } from '../params/paramSpec';
import { ParamError, renderArgs } from '../params/paramSpec';
import { discoverPythonParams } from '../params/pythonParams';
import { parseMLproject } from '../params/mlproject';
import { renderMLprojectCommand } from '../params/mlprojectCommand';
import { expandGrid } from '../params/sweep';
import { pickInterpreter } from '../runs/trainingScripts';
import type { RunJournal } from '../runs/runJournal';
import { createRun } from '../runs/runCreation';
import type { RunOutcome } from '../runs/runProcess';
import { RunProcess } from '../runs/runProcess';
import { RunQueue } from '../runs/runQueue';
import { StdoutMetricParser, usesTrackingClient } from '../runs/stdoutMetrics';
import { shellQuote } from '../util/shellQuote';
import { defaultText, showParameterForm } from './parameterForm';

export type LaunchMode = 'defaults' | 'form' | 'last';

export interface LastLaunch {
  readonly values: Record<string, string>;
  readonly extra: string[];
}

/** A run's process shown in a terminal: its output streams in, and closing it (or Ctrl+C) stops the run. */
class RunTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;

  constructor(
    private readonly process: RunProcess,
    private readonly banner: string,
  ) {}

  open(): void {
    this.writeEmitter.fire(`${this.banner}\r\n\r\n`);
    this.process.start((text) => this.writeEmitter.fire(text.replace(/\r?\n/g, '\r\n')));
    void this.process.exited.then((outcome) => {
      this.writeEmitter.fire(
        `\r\nRunlog: the run ${outcome.status.toLowerCase()}${outcome.exitCode !== null ? ` (exit code ${outcome.exitCode})` : ''}.\r\n`,
      );
      this.closeEmitter.fire(outcome.exitCode ?? 1);
    });
  }

  handleInput(data: string): void {
    if (data === '\x03') this.process.stop();
  }

  close(): void {
    this.process.stop();
  }
}

/**
 * Launches training scripts from the editor: reads their parameters, asks for values (with
 * sweeps), creates one run per combination with its git state and params, and runs them through
 * the queue as tasks whose pseudoterminals stream the output. Also stops runs.
 */
/**
 * Extra for a launch that relaunches a run: tags for the new run (`reproduces`, `runlog.rerun_of`)
 * and, for Reproduce Run, a rebuilt copy of the code: paths under `from` (the repository) run from
 * the same place under `to`, while the run still records the workspace's script, so it counts as
 * a run of that script.
 */
export interface Relocation {
  readonly from?: string;
  readonly to?: string;
  readonly tags: Readonly<Record<string, string>>;
}

function relocated(file: string, relocation: Relocation | undefined): string {
  return relocation?.from !== undefined && relocation.to !== undefined
    ? path.join(relocation.to, path.relative(relocation.from, file))
    : file;
}

/** Where a relocated launch runs: the workspace folder's place in the copy, or the script's folder
 * when the repository is inside the workspace folder rather than around it. */
function relocatedCwd(folder: string, script: string, relocation: Relocation | undefined): string {
  if (relocation?.from === undefined || relocation.to === undefined) return folder;
  const inside = !path.relative(relocation.from, folder).startsWith('..');
  return inside ? relocated(folder, relocation) : path.dirname(relocated(script, relocation));
}

export class Launcher implements vscode.Disposable {
  private readonly queue: RunQueue;
  private readonly processes = new Map<string, RunProcess>();
  private readonly lastChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeLast = this.lastChanged.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly storeDirFor: (folder: vscode.WorkspaceFolder) => string,
    private readonly log: vscode.LogOutputChannel,
    onQueueChange: () => void,
  ) {
    this.queue = new RunQueue(
      () => vscode.workspace.getConfiguration('runlog').get<number>('maxParallelRuns', 1),
      onQueueChange,
    );
  }

  /** MLFLOW_TRACKING_URI, _TOKEN and _RUN_ID for a run, so unmodified MLflow code logs into it. */
  private mlflowEnv: (storeDir: string, runId: string) => Promise<Record<string, string>> = () => Promise.resolve({});

  /** Gives launched runs an MLflow endpoint's environment (see src/mlflow/endpointPool.ts). */
  useMlflowEnv(env: (storeDir: string, runId: string) => Promise<Record<string, string>>): void {
    this.mlflowEnv = env;
  }

  private lastKey(script: vscode.Uri): string {
    return `runlog.lastLaunch:${script.toString()}`;
  }

  /** The values the script was last launched with, if any. */
  lastLaunch(script: vscode.Uri): LastLaunch | undefined {
    return this.context.workspaceState.get<LastLaunch>(this.lastKey(script));
  }

  /** The script's workspace folder, after checking that launching is allowed at all. */
  private launchable(script: vscode.Uri): vscode.WorkspaceFolder | undefined {
    if (!vscode.workspace.isTrusted) {
      const manage = 'Manage Workspace Trust';
      // Not awaited: the caller learns at once that nothing was launched.
      void vscode.window
        .showWarningMessage(
          'Runlog cannot launch a run in a restricted workspace: launching a training script runs its code. Trust this workspace to launch runs; browsing runs keeps working.',
          manage,
        )
        .then((choice) => (choice === manage ? vscode.commands.executeCommand('workbench.trust.manage') : undefined));
      return undefined;
    }
    const folder = vscode.workspace.getWorkspaceFolder(script);
    if (!folder) {
      void vscode.window.showErrorMessage(
        `Runlog runs scripts that are inside the open workspace; ${script.fsPath} is not.`,
      );
    }
    return folder;
  }

  /** Launches `script`, asking for values as `mode` says; returns the ids of the runs created. */
  async launch(script: vscode.Uri, mode: LaunchMode): Promise<string[]> {
    const folder = this.launchable(script);
    if (!folder) return [];
    const last = this.lastLaunch(script);
    if (mode === 'defaults') return this.launchWith(script, { values: {}, extra: [] }, false);
    if (mode === 'last' && last) return this.launchWith(script, last);
    const specs = discoverPythonParams(await readFile(script.fsPath, 'utf8')).specs.filter(
      (s) => !s.hidden && s.subcommand === undefined,
    );
    const title = `Run ${path.relative(folder.uri.fsPath, script.fsPath)}`;
    const form = await showParameterForm(title, specs, last?.values ?? {}, last?.extra.join(' ') ?? '');
    return form ? this.launchWith(script, { values: form.values, extra: form.extraArgs }) : [];
  }

  /**
   * Launches `script` with parameter values (each a value or a sweep) and extra arguments: one run
   * per combination, queued. Returns the ids of the runs created.
   */
  async launchWith(
    script: vscode.Uri,
    chosen: LastLaunch,
    remember = true,
    relocation?: Relocation,
  ): Promise<string[]> {
    const folder = this.launchable(script);
    if (!folder) return [];
    const runScript = relocated(script.fsPath, relocation);
    const runCwd = relocatedCwd(folder.uri.fsPath, script.fsPath, relocation);
    const source = await readFile(runScript, 'utf8');
    const specs = discoverPythonParams(source).specs.filter((s) => !s.hidden && s.subcommand === undefined);
    const relative = path.relative(folder.uri.fsPath, script.fsPath);
    let combinations: Record<string, string>[];
    try {
      combinations = expandGrid(specs, chosen.values);
    } catch (error) {
      const problems = error instanceof ParamError ? error.problems.join('; ') : String(error);
      void vscode.window.showErrorMessage(`Runlog cannot launch ${relative}: ${problems}`);
      return [];
    }
    if (remember) {
      await this.context.workspaceState.update(this.lastKey(script), chosen);
      this.lastChanged.fire();
    }
    const config = vscode.workspace.getConfiguration('runlog', folder);
    const python = await this.interpreter(folder);
    const storeDir = this.storeDirFor(folder);
    const patterns = config.get<string[]>('stdoutMetricPatterns', []);
    const parseStdout = config.get<boolean>('stdoutMetrics', true) && !usesTrackingClient(source);
    const sweep = combinations.length > 1 ? `${relative} × ${combinations.length}` : undefined;
    const runIds: string[] = [];
    for (const combination of combinations) {
      const args = [...renderArgs(specs, combination), ...chosen.extra];
      const params = recordedParams(specs, combination);
      const journal = await createRun(
        {
          storeDir,
          cwd: runCwd,
          python,
          script: script.fsPath,
          args,
          params,
          experiment: config.get<string>('experiment') || 'Default',
          tags: { ...(sweep ? { 'runlog.sweep': sweep } : {}), ...relocation?.tags },
          codeDir: path.dirname(runScript),
        },
        combinations.length > 1 || this.queue.active.running.length > 0,
      );
      runIds.push(journal.runId);
      const process = new RunProcess(journal, {
        command: python,
        args: [runScript, ...args],
        cwd: runCwd,
        storeDir,
        env: await this.mlflowEnv(storeDir, journal.runId),
        clientPath: vscode.Uri.joinPath(this.context.extensionUri, 'python').fsPath,
        ...(parseStdout
          ? {
              stdoutMetrics: new StdoutMetricParser(patterns, (p, reason) =>
                this.log.warn(`runlog.stdoutMetricPatterns: "${p}" is skipped: ${reason}`),
              ),
            }
          : {}),
      });
      this.enqueue(
        folder,
        relative,
        journal,
        process,
        `Runlog: ${[python, relative, ...args].join(' ')}  (run ${journal.runId})`,
      );
    }
    return runIds;
  }

  /** Queues a created run; when its turn comes it runs as a task whose terminal shows its output. */
  private enqueue(
    folder: vscode.WorkspaceFolder,
    label: string,
    journal: RunJournal,
    process: RunProcess,
    banner: string,
  ): void {
    this.queue.enqueue({
      journal,
      start: async () => {
        this.processes.set(journal.runId, process);
        const task = new vscode.Task(
          { type: 'runlog', script: label, runId: journal.runId },
          folder,
          `${label} (${journal.runId.slice(0, 8)})`,
          'runlog',
          new vscode.CustomExecution(() => Promise.resolve(new RunTerminal(process, banner))),
        );
        task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.New };
        await vscode.tasks.executeTask(task);
        const outcome = await process.exited;
        this.processes.delete(journal.runId);
        this.reportOutcome(label, outcome);
        return outcome.status;
      },
      stop: () => process.stop(),
    });
  }

  private reportOutcome(relative: string, outcome: RunOutcome): void {
    if (outcome.status === 'FAILED' && outcome.exitCode === null) {
      const set = 'Set Python Interpreter';
      void vscode.window
        .showErrorMessage(`Runlog could not start Python for ${relative}: is the interpreter installed?`, set)
        .then((choice) => {
          if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'runlog.pythonPath');
        });
    }
  }

  /**
   * The Python extension's interpreter for the folder when it has one, else `runlog.pythonPath`,
   * else python3. (Also what the registry commands and Serve Model run.)
   */
  async interpreter(folder: vscode.WorkspaceFolder): Promise<string> {
    const extension = vscode.extensions.getExtension('ms-python.python');
    if (extension) {
      try {
        const api = (extension.isActive ? extension.exports : await extension.activate()) as PythonApi | undefined;
        const active = api?.environments?.getActiveEnvironmentPath(folder.uri);
        const resolved = active ? await api?.environments?.resolveEnvironment(active) : undefined;
        const executable = resolved?.executable?.uri?.fsPath ?? active?.path;
        if (executable) return executable;
      } catch (error) {
        this.log.warn(`The Python extension gave no interpreter: ${(error as Error).message}`);
      }
    }
    return pickInterpreter(
      vscode.workspace.getConfiguration('runlog', folder).get<string>('pythonPath'),
      process.platform,
    );
  }

  private entryPointKey(mlproject: vscode.Uri, name: string): vscode.Uri {
    return vscode.Uri.parse(`${mlproject.toString()}#${name}`);
  }

  /** The values the entry point was last launched with, if any. */
  lastEntryPointLaunch(mlproject: vscode.Uri, name: string): LastLaunch | undefined {
    return this.lastLaunch(this.entryPointKey(mlproject, name));
  }

  /**
   * Launches an entry point of an MLflow MLproject file: its typed parameters in the form (with
   * sweeps), its command rendered the way MLflow renders it (values shell-quoted) and run by the
   * shell in the project's folder, with the chosen interpreter first on PATH. `how` is a launch
   * mode or the values themselves: 'defaults' asks nothing unless a parameter has no default,
   * 'last' reuses the last values (the form when there are none); given values and the form's
   * values are remembered for 'last'.
   */
  async launchEntryPoint(
    mlproject: vscode.Uri,
    name: string,
    how: LaunchMode | LastLaunch = 'form',
    relocation?: Relocation,
  ): Promise<string[]> {
    const folder = this.launchable(mlproject);
    if (!folder) return [];
    const project = parseMLproject(await readFile(relocated(mlproject.fsPath, relocation), 'utf8'));
    const entryPoint = project.entryPoints.find((e) => e.name === name);
    const where = path.relative(folder.uri.fsPath, mlproject.fsPath);
    if (!entryPoint) {
      void vscode.window.showErrorMessage(`Runlog: ${where} has no entry point "${name}".`);
      return [];
    }
    const key = this.entryPointKey(mlproject, name);
    const last = this.lastLaunch(key);
    let chosen: LastLaunch | undefined;
    if (typeof how === 'object') chosen = how;
    else if (how === 'last') chosen = last;
    // MLflow refuses to run without values for parameters that have no default: the form asks for them.
    else if (how === 'defaults' && !entryPoint.params.some((p) => p.required)) chosen = { values: {}, extra: [] };
    const remember = how !== 'defaults' || chosen === undefined;
    if (!chosen) {
      const initial = how === 'defaults' ? undefined : last;
      const form = await showParameterForm(
        `Run ${where} › ${name}`,
        entryPoint.params,
        initial?.values ?? {},
        initial?.extra.join(' ') ?? '',
      );
      if (!form) return [];
      chosen = { values: form.values, extra: form.extraArgs };
    }
    let commands: { values: Record<string, string>; command: string }[];
    try {
      commands = expandGrid(entryPoint.params, chosen.values).map((values) => ({
        values,
        command: [renderMLprojectCommand(entryPoint, values), ...chosen.extra.map(shellQuote)].join(' '),
      }));
    } catch (error) {
      const problems = error instanceof ParamError ? error.problems.join('; ') : String(error);
      void vscode.window.showErrorMessage(`Runlog cannot launch ${where} › ${name}: ${problems}`);
      return [];
    }
    if (remember && relocation?.to === undefined) {
      await this.context.workspaceState.update(this.lastKey(key), chosen);
      this.lastChanged.fire();
    }
    const python = await this.interpreter(folder);
    const config = vscode.workspace.getConfiguration('runlog', folder);
    const storeDir = this.storeDirFor(folder);
    const cwd = relocated(path.dirname(mlproject.fsPath), relocation);
    const shell =
      process.platform === 'win32'
        ? { command: 'cmd.exe', flags: ['/d', '/s', '/c'] }
        : { command: '/bin/sh', flags: ['-c'] };
    const pathEnv: Record<string, string> = path.isAbsolute(python)
      ? { PATH: `${path.dirname(python)}${path.delimiter}${process.env['PATH'] ?? ''}` }
      : {};
    const runIds: string[] = [];
    for (const { values, command } of commands) {
      const journal = await createRun(
        {
          storeDir,
          cwd,
          python,
          script: mlproject.fsPath,
          args: [],
          params: { ...entryPoint.defaultArgs, ...values },
          experiment: config.get<string>('experiment') || project.name || 'Default',
          entryPoint: `${where} › ${name}`,
          shellCommand: command,
          codeDir: cwd,
          tags: {
            ...(commands.length > 1 ? { 'runlog.sweep': `${where} › ${name} × ${commands.length}` } : {}),
            ...relocation?.tags,
          },
        },
        commands.length > 1 || this.queue.active.running.length > 0,
      );
      runIds.push(journal.runId);
      const process = new RunProcess(journal, {
        command: shell.command,
        args: [...shell.flags, command],
        cwd,
        storeDir,
        env: { ...pathEnv, ...(await this.mlflowEnv(storeDir, journal.runId)) },
        clientPath: vscode.Uri.joinPath(this.context.extensionUri, 'python').fsPath,
      });
      this.enqueue(folder, `${where} › ${name}`, journal, process, `Runlog: ${command}  (run ${journal.runId})`);
    }
    return runIds;
  }

  /** Stops a running run or cancels a queued one. */
  stop(runId: string): Promise<boolean> {
    return this.queue.stop(runId);
  }

  get active(): { running: string[]; waiting: string[] } {
    return this.queue.active;
  }

  dispose(): void {
    for (const process of this.processes.values()) process.stop();
    this.lastChanged.dispose();
  }
}

/** The subset of the Python extension's API Runlog reads (its environments API). */
interface PythonApi {
  readonly environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { readonly path: string } | undefined;
    resolveEnvironment(environment: {
      readonly path: string;
    }): Promise<{ readonly executable?: { readonly uri?: vscode.Uri } } | undefined>;
  };
}

/** What a run records as params: the values it was launched with, else the script's defaults. */
function recordedParams(specs: readonly ParamSpec[], values: Readonly<Record<string, string>>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const spec of specs) {
    const value = values[spec.name] ?? defaultText(spec);
    if (value !== '') params[spec.name] = value;
  }
  for (const [name, value] of Object.entries(values)) params[name] ??= value;
  return params;
}
