import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { gitTopLevel } from '../git/gitState';
import { RunCodeError, materializeRunCode, removeRunCode } from '../git/codeCheckout';
import { notificationText } from '../mlruns/mlrunsSummary';
import type { ReproductionReport } from '../runs/reproduction';
import { reproductionMarkdown, reproductionReport } from '../runs/reproduction';
import { rerunPlan } from '../runs/rerun';
import type { EnvironmentDiff } from '../runs/runEnvironment';
import {
  environmentDiff,
  environmentDiffText,
  environmentsDiffer,
  readInterpreterEnvironment,
} from '../runs/runEnvironment';
import type { StoreClient } from '../store/storeClient';
import type { RunDetails, RunEnvironment } from '../store/types';
import type { StoreFolder } from '../workspaceStores';
import type { Relaunch } from './rerunRuns';
import { trustedForGit } from './runCode';
import type { RunsSelection, RunsTarget } from './runTargets';
import { resolveRunTargets } from './runTargets';

const ENDED = new Set(['FINISHED', 'FAILED', 'KILLED', 'INTERRUPTED']);

interface Pending {
  readonly store: StoreClient;
  readonly original: string;
  readonly repo: string;
  readonly folder: string;
}

/** What Reproduce Run needs of the launcher: the interpreter a launch in a folder uses, and the bundled client. */
export interface ReproduceEnvironment {
  readonly interpreter: (folder: vscode.WorkspaceFolder) => Promise<string>;
  /** The extension's `python/` folder (`python -m runlog.environment` runs from it). */
  readonly clientPath: string;
  readonly log: vscode.LogOutputChannel;
}

/** The interpreter's packages beside the run's, as the last reproduction found them. */
export interface EnvironmentCheck {
  readonly runId: string;
  readonly python: string;
  readonly diff: EnvironmentDiff;
  /** The warning shown; null when the packages match. */
  readonly warning: string | null;
}

/**
 * `Runlog: Reproduce Run`: rebuilds the exact code a run ran — a git worktree at its commit in a
 * temporary folder, its stored diff applied and its untracked sources restored — and launches the
 * same script or entry point with the same params from there, into the workspace's store. The new
 * run is tagged `reproduces=<id>`; when it ends, the worktree is removed and a report compares each
 * metric with the original's. Meanwhile the interpreter's packages are compared with the run's
 * recorded environment (a child process): when they differ, a warning names them and offers the
 * run's `requirements.txt`.
 */
export class RunReproductions implements vscode.Disposable {
  private readonly pending = new Map<string, Pending>();
  private readonly reported = new vscode.EventEmitter<ReproductionReport>();
  /** Fires when a reproduction ends, with its comparison (integration tests read it). */
  readonly onDidReport = this.reported.event;
  /** The latest of those comparisons. */
  lastReport: ReproductionReport | undefined;
  /** The interpreter's packages beside the run's, at the latest reproduction of a run that recorded them. */
  lastEnvironmentCheck: EnvironmentCheck | undefined;

  constructor(
    private readonly relaunch: Relaunch,
    private readonly folders: () => readonly StoreFolder[],
    private readonly environment: ReproduceEnvironment,
  ) {}

  async reproduce(first?: RunsTarget, selected?: RunsSelection): Promise<string[]> {
    if (!trustedForGit('reproduce a run')) return [];
    const [ref] = await resolveRunTargets(first, selected, this.folders);
    if (!ref) return [];
    const run = await ref.store.call('getRun', ref.runId);
    if (!run) return [];
    const fail = (why: string): string[] => {
      void vscode.window.showErrorMessage(`Runlog cannot reproduce ${run.name}: ${why}`);
      return [];
    };
    if (!run.git) return fail('it recorded no git state (it ran outside a git repository), so its code is unknown.');
    const plan = rerunPlan(run);
    if (plan.kind === 'none') return fail(plan.reason);
    const original = plan.kind === 'script' ? plan.script : plan.mlproject;
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(original));
    if (!folder) return fail(`${original} is not in this workspace.`);
    const repo = await gitTopLevel(dirname(original));
    if (!repo) return fail(`${dirname(original)} is not in a git repository.`);
    if (run.git.dirty && run.git.patch === '') {
      void vscode.window.showWarningMessage(
        `Runlog: ${run.name}'s uncommitted changes were too large to keep; the reproduction runs its commit without them.`,
      );
    }
    // Read while the code is rebuilt: Python's start and importlib.metadata take a moment.
    const check = run.environment ? this.checkInterpreter(run, run.environment, folder) : undefined;
    const into = await mkdtemp(join(tmpdir(), 'runlog-reproduce-'));
    try {
      const { skipped } = await materializeRunCode(repo, run.git, into);
      if (skipped.length > 0) {
        void vscode.window.showWarningMessage(
          `Runlog: ${run.name} kept only the paths of ${skipped.length} untracked file(s) (${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ', …' : ''}); they are missing from the reproduction.`,
        );
      }
    } catch (error) {
      return fail(error instanceof RunCodeError ? error.message : String(error));
    }
    const launched = await this.relaunch(plan, { from: repo, to: into, tags: { reproduces: run.id } });
    if (launched.length === 0) {
      await removeRunCode(repo, into);
      return [];
    }
    for (const id of launched) this.pending.set(id, { store: ref.store, original: run.id, repo, folder: into });
    const found = await check;
    if (found) {
      const warning = environmentsDiffer(found.diff) ? this.warnEnvironment(run, found, launched) : null;
      this.lastEnvironmentCheck = { ...found, warning };
    }
    return launched;
  }

  /** The interpreter's packages beside the run's; undefined (and a line in the log) when they cannot be read. */
  private async checkInterpreter(
    run: RunDetails,
    recorded: RunEnvironment,
    folder: vscode.WorkspaceFolder,
  ): Promise<Omit<EnvironmentCheck, 'warning'> | undefined> {
    // Never rejects: the reproduction may have failed (and returned) before this is awaited.
    let python = 'the interpreter';
    try {
      python = await this.environment.interpreter(folder);
      const here = await readInterpreterEnvironment({
        python,
        clientPath: this.environment.clientPath,
        cwd: folder.uri.fsPath,
        env: process.env,
        platform: process.platform,
      });
      return { runId: run.id, python, diff: environmentDiff(recorded, here) };
    } catch (error) {
      this.environment.log.warn(
        `Reproduce Run: could not compare the packages of ${python} with ${run.name}'s: ${(error as Error).message}`,
      );
      return undefined;
    }
  }

  /**
   * Says which packages differ; offers the run's requirements.txt and stopping the reproduction.
   * Returns the warning (the choice is not awaited).
   */
  private warnEnvironment(
    run: RunDetails,
    found: Omit<EnvironmentCheck, 'warning'>,
    launched: readonly string[],
  ): string {
    const write = 'Write requirements.txt…';
    const stop = 'Stop Reproduction';
    // Package and run names are anyone's: a notification would make `[x](command:…)` a link.
    const warning = notificationText(
      `Runlog: ${found.python} has other packages than ${run.name} ran with: ${environmentDiffText(found.diff, run.name)}. The reproduction may not match.`,
    );
    void vscode.window.showWarningMessage(warning, write, stop).then(async (choice) => {
      if (choice === write) await vscode.commands.executeCommand('runlog.writeRunRequirements', { runIds: [run.id] });
      if (choice === stop) await vscode.commands.executeCommand('runlog.stopRun', { runIds: launched });
    });
    return warning;
  }

  /** Store change notices: a reproduction that ended gets its report, and its worktree goes. */
  async changed(runIds: readonly string[]): Promise<void> {
    for (const id of runIds) {
      const pending = this.pending.get(id);
      if (!pending) continue;
      const run = await pending.store.call('getRun', id);
      if (!run || !ENDED.has(run.status) || !this.pending.has(id)) continue;
      this.pending.delete(id);
      await removeRunCode(pending.repo, pending.folder);
      const original = await pending.store.call('getRun', pending.original);
      if (!original) continue;
      const report = reproductionReport(original, run);
      this.lastReport = report;
      this.reported.fire(report);
      const outcome = report.identical
        ? `${run.name} reproduced ${original.name}: every metric matches.`
        : `${run.name} reproduced ${original.name}: ${report.metrics.filter((m) => !m.same).length} of ${report.metrics.length} metrics differ (${run.status.toLowerCase()}).`;
      const packages = report.environment
        ? ` It ran with other packages: ${environmentDiffText(report.environment, original.name, 3)}.`
        : '';
      const summary = notificationText(outcome + packages);
      // Not awaited: a notification waits for the user, and other runs may end meanwhile.
      void vscode.window.showInformationMessage(`Runlog: ${summary}`, 'Show Comparison').then(async (choice) => {
        if (!choice) return;
        const document = await vscode.workspace.openTextDocument({
          language: 'markdown',
          content: reproductionMarkdown(report),
        });
        await vscode.window.showTextDocument(document, { preview: true });
      });
    }
  }

  dispose(): void {
    this.reported.dispose();
    for (const pending of this.pending.values()) void removeRunCode(pending.repo, pending.folder);
    this.pending.clear();
  }
}
