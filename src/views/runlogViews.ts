import * as vscode from 'vscode';
import type { CommandTargets } from '../app/commandRegistry';
import type { RunlogCommands } from '../app/commands';
import { RunsQueryControl } from '../commands/filterRuns';
import { runPick, versionPick } from '../commands/runPick';
import type { RunControl } from '../commands/stopRun';
import type { RunIdsArg } from '../commands/runTargets';
import { throttled } from '../util/throttle';
import type { WorkspaceStores } from '../workspaceStores';
import type { ModelsTreeNode } from './modelsTreeProvider';
import { ModelsTreeProvider } from './modelsTreeProvider';
import { RunNotifications } from './runNotifications';
import { RunStatusBar } from './runStatusBar';
import type { RunsTreeNode } from './runsTreeProvider';
import { RunsTreeProvider } from './runsTreeProvider';
import type { ServerTree } from './serverTree';
import { REMOTE_REFRESH_MS } from './serverTree';

/** How often the Runs and Models views and the status bar follow a running run, at most. */
const VIEWS_REFRESH_MS = 300;

type ViewCommands = Pick<
  RunlogCommands,
  | 'runlog.refreshRuns'
  | 'runlog.filterRuns'
  | 'runlog.clearRunsFilter'
  | 'runlog.sortRuns'
  | 'runlog.groupRuns'
  | 'runlog.revealRunInTree'
  | 'runlog.showRunningRuns'
  | 'runlog.refreshModels'
>;

/**
 * The Runs and Models views, the status bar item of running runs and the notifications of runs that
 * end. Nothing here reads a store at activation: the views read when VS Code shows them. A running
 * run changes the store several times a second; the views follow it throttled, never debounced (a
 * debounce waits for the run to fall quiet). VS Code itself debounces a tree's changes by 200 ms:
 * notices closer together than that would postpone them until the run ends.
 */
export class RunlogViews implements vscode.Disposable {
  readonly runs: RunsTreeProvider;
  /** Its selection is what run commands act on from the Command Palette. */
  readonly runsView: vscode.TreeView<RunsTreeNode>;
  readonly models: ModelsTreeProvider;
  readonly runStatus: RunStatusBar;
  private readonly modelsView: vscode.TreeView<ModelsTreeNode>;
  /** The view's filter, order and grouping (the runs table shares the filter). */
  readonly query: RunsQueryControl;
  private readonly notifications = new RunNotifications();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    context: vscode.ExtensionContext,
    private readonly stores: WorkspaceStores,
    log: vscode.LogOutputChannel,
    servers?: ServerTree,
  ) {
    const reported = new Set<string>();
    this.runs = new RunsTreeProvider(
      stores.folders,
      (message) => {
        log.error(message);
        this.runsView.message = message;
        if (!reported.has(message)) {
          reported.add(message);
          void vscode.window.showErrorMessage(`Runlog: ${message}`, 'Show Log').then((choice) => {
            if (choice) log.show();
          });
        }
      },
      (message) => {
        this.runsView.message = message;
      },
      servers,
    );
    this.runsView = vscode.window.createTreeView('runlog.runs', {
      treeDataProvider: this.runs,
      showCollapseAll: true,
      canSelectMany: true,
    });
    this.query = new RunsQueryControl(context.workspaceState, this.runs, this.runsView);
    this.runStatus = new RunStatusBar(stores.folders);
    this.models = new ModelsTreeProvider(stores.folders, (message) => log.error(message));
    this.modelsView = vscode.window.createTreeView('runlog.models', {
      treeDataProvider: this.models,
      canSelectMany: true,
    });
    const refresh = throttled(() => {
      this.runs.refresh();
      this.models.refresh();
      void this.runStatus.update();
    }, VIEWS_REFRESH_MS);
    // The servers' runs change without a notice: asked again while the view shows.
    const remote = setInterval(() => {
      if (this.runsView.visible) this.runs.refreshServers();
    }, REMOTE_REFRESH_MS);
    this.subscriptions = [
      { dispose: () => clearInterval(remote) },
      this.runs,
      this.runsView,
      this.query,
      refresh,
      this.runStatus,
      this.models,
      this.modelsView,
      stores.onDidChangeRuns(({ storeDir, runIds }) => {
        refresh();
        const store = stores.storeAt(storeDir);
        if (!store) return;
        this.notifications
          .changed(storeDir, store, runIds)
          .catch((error: unknown) => log.warn(`Run notifications: ${String(error)}`));
      }),
      stores.onDidChangeFolders(() => {
        this.runsView.message = undefined;
        this.runs.refresh();
        // Only a shown item can be stale; a hidden one must not start the new folder's store.
        if (this.runStatus.text !== undefined) void this.runStatus.update();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (
          e.affectsConfiguration('runlog.keyMetric') ||
          e.affectsConfiguration('runlog.metricGoals') ||
          e.affectsConfiguration('runlog.servers')
        ) {
          this.runs.refresh();
        }
      }),
    ];
  }

  /** The launcher's queue changed. Runs launched here are reported when they end, even if the first news of them is their end. */
  launchesChanged({ running, waiting }: RunControl['active']): void {
    this.runs.refresh();
    for (const dir of this.stores.storeDirs())
      for (const id of [...running, ...waiting]) this.notifications.expect(dir, id);
    void this.runStatus.update();
  }

  /**
   * Where commands that act on runs or model versions, called without arguments (the Command
   * Palette, a key binding), find them: the view's selection, or else a pick (runTargets.ts).
   */
  targets(launcher: RunControl): CommandTargets {
    const folders = this.stores.folders;
    return {
      runs: {
        folders,
        selection: () => this.runsView.selection,
        launchedHere: (runId) => [...launcher.active.running, ...launcher.active.waiting].includes(runId),
        pick: runPick((store) =>
          folders().length > 1 ? folders().find((folder) => folder.store === store)?.name : undefined,
        ),
      },
      versions: { folders, selection: () => this.modelsView.selection, pick: versionPick },
    };
  }

  commands(): ViewCommands {
    return {
      'runlog.refreshRuns': async () => {
        await Promise.all(this.stores.folders().map((f) => f.store.call('sync').catch(() => [])));
        this.runs.refresh();
      },
      'runlog.filterRuns': () => this.query.filter(),
      'runlog.clearRunsFilter': () => this.query.clearFilter(),
      'runlog.sortRuns': () => this.query.sort(this.stores.folders()),
      'runlog.groupRuns': (group) => this.query.group(typeof group === 'string' ? group : undefined),
      'runlog.revealRunInTree': (target) => this.reveal(target),
      'runlog.showRunningRuns': () =>
        this.runStatus.pick((runId) => Promise.resolve(vscode.commands.executeCommand('runlog.stopRun', runId))),
      'runlog.refreshModels': () => this.models.refresh(),
    };
  }

  /** The runs selected in the Runs view, whenever its selection changes (the runs table follows it). */
  onDidSelectRuns(listener: (runIds: readonly string[]) => void): vscode.Disposable {
    return this.runsView.onDidChangeSelection(({ selection }) =>
      listener(selection.flatMap((node) => (node.kind === 'run' ? [node.run.id] : []))),
    );
  }

  /** Selects a run in the Runs view without taking the focus, when the view is shown (the table's selection). */
  async showSelected(runId: string): Promise<void> {
    if (!this.runsView.visible) return;
    if (this.runsView.selection.some((node) => node.kind === 'run' && node.run.id === runId)) return;
    const node = await this.runs.findRun(runId);
    if (node) await this.runsView.reveal(node, { select: true, focus: false });
  }

  /** Selects and focuses a run in the Runs view; false when the view does not show it. */
  private async reveal(target: RunIdsArg | undefined): Promise<boolean> {
    const [runId] = ((target as { runIds?: unknown } | undefined)?.runIds as unknown[] | undefined) ?? [];
    if (typeof runId !== 'string') return false;
    const node = await this.runs.findRun(runId);
    if (!node) {
      void vscode.window.showInformationMessage('Runlog: that run is not in the Runs view (is a filter hiding it?).');
      return false;
    }
    await this.runsView.reveal(node, { select: true, focus: true });
    return true;
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
