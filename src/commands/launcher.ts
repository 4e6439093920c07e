import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseMLproject } from '../params/mlproject';
import type { ParamSpec } from '../params/paramSpec';
import type { LaunchMode, LaunchTarget, LaunchValues, PlannedRun, Relocation } from '../runs/launchPlan';
import {
  launchLabel,
  launchableParams,
  pickInterpreter,
  planLaunch,
  relocated,
  resolveLaunchValues,
  runEnv,
} from '../runs/launchPlan';
import type { RunJournal } from '../runs/runJournal';
import { createRun } from '../runs/runCreation';
import type { RunOutcome } from '../runs/runProcess';
import { RunProcess } from '../runs/runProcess';
import { RunQueue } from '../runs/runQueue';
import { StdoutMetricParser } from '../runs/stdoutMetrics';
import { showParameterForm } from './parameterForm';

export type { LaunchMode } from '../runs/launchPlan';

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

/** A script or entry point found in the workspace, with what the form asks about it. */
interface Launchable {
  readonly folder: vscode.WorkspaceFolder;
  readonly target: LaunchTarget;
  readonly params: readonly ParamSpec[];
  /** Whether 'defaults' must ask anyway: a parameter has no default. */
  readonly needsValues: boolean;
  /** The workspace-state key of its last values. */
  readonly lastKey: string;
}

/** The workspace-state key of a script's (or entry point's) last values. */
function lastKey(script: vscode.Uri): string {
  return `runlog.lastLaunch:${script.toString()}`;
}

function entryPointKey(mlproject: vscode.Uri, name: string): string {
  return lastKey(vscode.Uri.parse(`${mlproject.toString()}#${name}`));
}

/**
 * Launches training scripts and MLproject entry points from the editor: asks for values (with
 * sweeps) as the launch mode says, plans the runs (`runs/launchPlan.ts`: what runs where, with
 * which environment and journal header), creates them and runs them through the queue as tasks
 * whose pseudoterminals stream the output. Also stops runs.
 */
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

  /** The values the script was last launched with, if any. */
  lastLaunch(script: vscode.Uri): LastLaunch | undefined {
    return this.context.workspaceState.get<LastLaunch>(lastKey(script));
  }

  /** The values the entry point was last launched with, if any. */
  lastEntryPointLaunch(mlproject: vscode.Uri, name: string): LastLaunch | undefined {
    return this.context.workspaceState.get<LastLaunch>(entryPointKey(mlproject, name));
  }

  /** Launches `script`, asking for values as `mode` says; returns the ids of the runs created. */
  async launch(script: vscode.Uri, mode: LaunchMode): Promise<string[]> {
    return this.start(await this.findScript(script), mode);
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
    return this.start(await this.findScript(script, relocation), chosen, relocation, remember);
  }

  /**
   * Launches an entry point of an MLflow MLproject file: its typed parameters in the form (with
   * sweeps), its command rendered the way MLflow renders it and run by the shell in the project's
   * folder. `how` is a launch mode or the values themselves: 'defaults' asks nothing unless a
   * parameter has no default, 'last' reuses the last values (the form when there are none); given
   * values and the form's values are remembered for 'last'.
   */
  async launchEntryPoint(
    mlproject: vscode.Uri,
    name: string,
    how: LaunchMode | LastLaunch = 'form',
    relocation?: Relocation,
  ): Promise<string[]> {
    return this.start(await this.findEntryPoint(mlproject, name, relocation), how, relocation);
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

  /** A training script and its parameters, read where it runs (its copy, when relocated). */
  private async findScript(script: vscode.Uri, relocation?: Relocation): Promise<Launchable | undefined> {
    const folder = this.launchable(script);
    if (!folder) return undefined;
    const source = await readFile(relocated(script.fsPath, relocation, process.platform), 'utf8');
    return {
      folder,
      target: { kind: 'script', script: script.fsPath, source },
      params: launchableParams(source),
      needsValues: false,
      lastKey: lastKey(script),
    };
  }

  /** An MLproject file's entry point, read where it runs (its copy, when relocated). */
  private async findEntryPoint(
    mlproject: vscode.Uri,
    name: string,
    relocation?: Relocation,
  ): Promise<Launchable | undefined> {
    const folder = this.launchable(mlproject);
    if (!folder) return undefined;
    const project = parseMLproject(await readFile(relocated(mlproject.fsPath, relocation, process.platform), 'utf8'));
    const entryPoint = project.entryPoints.find((e) => e.name === name);
    if (!entryPoint) {
      const where = path.relative(folder.uri.fsPath, mlproject.fsPath);
      void vscode.window.showErrorMessage(`Runlog: ${where} has no entry point "${name}".`);
      return undefined;
    }
    return {
      folder,
      target: { kind: 'entryPoint', mlproject: mlproject.fsPath, project, entryPoint },
      params: entryPoint.params,
      // MLflow refuses to run without values for parameters that have no default: the form asks for them.
      needsValues: entryPoint.params.some((p) => p.required),
      lastKey: entryPointKey(mlproject, name),
    };
  }

  /**
   * The one flow of every launch: values (the form, when the mode asks), the plan, the last values
   * remembered, then each planned run created and queued. A relocated launch (a reproduction runs
   * a copy of the code) is never remembered.
   */
  private async start(
    found: Launchable | undefined,
    how: LaunchMode | LaunchValues,
    relocation?: Relocation,
    remember?: boolean,
  ): Promise<string[]> {
    if (!found) return [];
    const { folder, target } = found;
    const resolved = resolveLaunchValues(
      how,
      this.context.workspaceState.get<LastLaunch>(found.lastKey),
      found.needsValues,
    );
    let chosen: LaunchValues;
    let keep: boolean;
    if ('form' in resolved) {
      const initial = resolved.form;
      const form = await showParameterForm(
        `Run ${launchLabel(target, folder.uri.fsPath, process.platform)}`,
        found.params,
        initial?.values ?? {},
        initial?.extra.join(' ') ?? '',
      );
      if (!form) return [];
      chosen = { values: form.values, extra: form.extraArgs };
      keep = true;
    } else {
      chosen = resolved.values;
      keep = remember ?? resolved.remember;
    }
    const config = vscode.workspace.getConfiguration('runlog', folder);
    const storeDir = this.storeDirFor(folder);
    const plan = planLaunch(
      target,
      chosen,
      {
        folder: folder.uri.fsPath,
        storeDir,
        python: await this.interpreter(folder),
        experiment: config.get<string>('experiment') ?? '',
        stdoutMetrics: config.get<boolean>('stdoutMetrics', true),
        stdoutMetricPatterns: config.get<string[]>('stdoutMetricPatterns', []),
        systemMetrics: config.get<boolean>('systemMetrics', true),
        clientPath: vscode.Uri.joinPath(this.context.extensionUri, 'python').fsPath,
        platform: process.platform,
        inherited: { PATH: process.env['PATH'], PYTHONPATH: process.env['PYTHONPATH'] },
      },
      relocation,
    );
    if (plan.problems.length > 0) {
      void vscode.window.showErrorMessage(`Runlog cannot launch ${plan.label}: ${plan.problems.join('; ')}`);
      return [];
    }
    if (keep && relocation?.to === undefined) {
      await this.context.workspaceState.update(found.lastKey, chosen);
      this.lastChanged.fire();
    }
    const runIds: string[] = [];
    for (const run of plan.runs) {
      runIds.push(await this.create(folder, plan.label, run, storeDir, plan.runs.length > 1));
    }
    return runIds;
  }

  /** Creates a planned run (its journal) and queues its process. */
  private async create(
    folder: vscode.WorkspaceFolder,
    label: string,
    run: PlannedRun,
    storeDir: string,
    sweep: boolean,
  ): Promise<string> {
    const journal = await createRun(storeDir, run.header, sweep || this.queue.active.running.length > 0);
    const runProcess = new RunProcess(journal, {
      command: run.command,
      args: run.args,
      cwd: run.cwd,
      env: runEnv(run.env, journal.runId, await this.mlflowEnv(storeDir, journal.runId)),
      ...(run.stdoutMetricPatterns
        ? {
            stdoutMetrics: new StdoutMetricParser(run.stdoutMetricPatterns, (p, reason) =>
              this.log.warn(`runlog.stdoutMetricPatterns: "${p}" is skipped: ${reason}`),
            ),
          }
        : {}),
    });
    this.enqueue(folder, label, journal, runProcess, `Runlog: ${run.display}  (run ${journal.runId})`);
    return journal.runId;
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
