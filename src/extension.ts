import * as vscode from 'vscode';
import { commandTitles, registerCommands } from './app/commandRegistry';
import { vscodeApp } from './app/vscodeApp';
import { RunCodeCommands } from './commands/codeCommands';
import type { RunsQueryControl } from './commands/filterRuns';
import { launchCommands } from './commands/launchCommands';
import { Launcher } from './commands/launcher';
import { mlflowCommands } from './commands/mlflowRuns';
import { ModelCommands } from './commands/modelCommands';
import { relaunchWith } from './commands/relaunch';
import type { RunReproductions } from './commands/reproduceRun';
import { runFileCommands } from './commands/runActions';
import { runCommands } from './commands/runCommands';
import { AutoPush } from './commands/autoPush';
import { serverCommands } from './commands/serverCommands';
import { vscodeServerSettings } from './commands/serverSettings';
import { TrackingServers } from './commands/trackingServers';
import type { InlineValues } from './editor/inlineValues';
import { RunlogEditors } from './editor/runlogEditors';
import { ChartsPanel } from './panels/chartsPanel';
import { MediaPanel } from './panels/mediaPanel';
import type { ComparePanels } from './panels/comparePanels';
import type { HtmlPreviews } from './panels/htmlPreview';
import { RunlogPanels } from './panels/runlogPanels';
import type { TableEditorProvider } from './panels/tableEditor';
import { RunsTablePanel } from './panels/runsTablePanel';
import type { ModelsTreeProvider } from './views/modelsTreeProvider';
import { RunlogViews } from './views/runlogViews';
import { ServerTree } from './views/serverTree';
import { SyncStatusBar } from './views/syncStatusBar';
import type { RunStatusBar } from './views/runStatusBar';
import type { RunsTreeNode, RunsTreeProvider } from './views/runsTreeProvider';
import type { RunsChange, StoreFolder } from './workspaceStores';
import { WorkspaceStores, storeDirFor } from './workspaceStores';

/** What the extension hands to other extensions (and to its own integration tests). */
export interface RunlogApi {
  readonly runs: RunsTreeProvider;
  /** The Runs view itself: its selection is what run commands act on from the Command Palette. */
  readonly runsView: vscode.TreeView<RunsTreeNode>;
  readonly launcher: Launcher;
  /** The Runs view's filter, order and grouping (the runs table shares the filter). */
  readonly runsQuery: RunsQueryControl;
  /** The open runs table, if any. */
  readonly runsTable: () => RunsTablePanel | undefined;
  /** The open Charts panel, if any. */
  readonly charts: () => ChartsPanel | undefined;
  /**
   * What VS Code's serializer does with a Charts panel after a reload, on a new panel of this
   * extension's (tests drive it directly: a test cannot reload the window).
   */
  readonly reviveCharts: (state: unknown) => Promise<ChartsPanel>;
  /** The open Media panel, if any. */
  readonly media: () => MediaPanel | undefined;
  /** What VS Code's serializer does with a Media panel after a reload (tests drive it directly). */
  readonly reviveMedia: (state: unknown) => Promise<MediaPanel>;
  /** The table viewer (tests read what it shows and sort it). */
  readonly tables: TableEditorProvider;
  /** The HTML previews of artifacts. */
  readonly htmlPreviews: HtmlPreviews;
  /** The inline values shown after metric-logging lines (`shown(uri)`), and when they update. */
  readonly inlineValues: InlineValues;
  /** When the lenses above training scripts (▶ Run, the runs' summary) tell VS Code they changed. */
  readonly onDidChangeScriptLenses: vscode.Event<void>;
  /** The Compare panels (tests read what they rendered). */
  readonly compare: ComparePanels;
  /** The store folder of each workspace folder, as the stores see it. */
  readonly storeFolders: () => readonly StoreFolder[];
  /** Fires when a store has read new journal lines: the store folder and the runs that changed. */
  readonly onDidChangeRuns: vscode.Event<RunsChange>;
  /** The status bar item of running runs (its text is undefined while it is hidden). */
  readonly runStatus: RunStatusBar;
  /** Reproduce Run: reports when a reproduction ends. */
  readonly reproductions: RunReproductions;
  /** The Models view (registered models and their versions). */
  readonly models: ModelsTreeProvider;
  /** `runlog.autoPush`: pushes of ended runs (tests wait for `idle()`), and its status bar item. */
  readonly autoPush: AutoPush;
  readonly syncStatus: SyncStatusBar;
}

let stores: WorkspaceStores | undefined;

/**
 * Wires the pieces together and returns at once: no store opens until a view or command needs it.
 * Each surface (views, editors, panels, commands) subscribes to what it follows itself; the commands
 * are declared in src/app/commands.ts and registered here in one call.
 */
export function activate(context: vscode.ExtensionContext): RunlogApi {
  const log = vscode.window.createOutputChannel('Runlog', { log: true });
  const app = vscodeApp(context, log);
  const workspace = new WorkspaceStores(context, log);
  stores = workspace;
  const servers = new TrackingServers(app, vscodeServerSettings);
  const views = new RunlogViews(context, workspace, log, new ServerTree(servers));
  const launcher = new Launcher(context, storeDirFor, log, () => {
    views.launchesChanged(launcher.active);
    const { running, waiting } = launcher.active;
    autoPush.expect(workspace.storeDirs(), [...running, ...waiting]);
  });
  launcher.useMlflowEnv(workspace.mlflowEnv);
  const relaunch = relaunchWith(launcher);
  const code = new RunCodeCommands(workspace, relaunch, log, {
    interpreter: (folder) => launcher.interpreter(folder),
    clientPath: vscode.Uri.joinPath(context.extensionUri, 'python').fsPath,
  });
  const panels = new RunlogPanels(context, workspace, log, code.diffCode, {
    filter: {
      current: () => views.query.filterText,
      set: (text) => views.query.setFilter(text),
      onDidChange: views.query.onDidChange,
    },
    onViewSelection: (listener) => views.onDidSelectRuns(listener),
    revealInView: (runId) => void views.showSelected(runId),
  });
  const editors = new RunlogEditors(workspace, launcher);
  const modelCommands = new ModelCommands(launcher, context.extensionUri, workspace.folders, () =>
    views.models.refresh(),
  );
  const refresh = (): void => views.runs.refresh();
  const syncStatus = new SyncStatusBar();
  const autoPush = new AutoPush(servers, log, (state) => {
    syncStatus.update(state);
    if (state.pending === 0) refresh(); // the pushed runs' "↑ server"
  });
  const pushEnded = workspace.onDidChangeRuns(({ storeDir, runIds }) => {
    const store = workspace.storeAt(storeDir);
    if (store) autoPush.changed(storeDir, store, runIds).catch((e: unknown) => log.warn(`Auto-push: ${String(e)}`));
  });
  context.subscriptions.push(log, workspace, views, launcher, code, panels, editors, modelCommands);
  context.subscriptions.push(syncStatus, pushEnded);
  context.subscriptions.push(
    ...registerCommands(
      app,
      {
        'runlog.showLog': () => log.show(),
        ...launchCommands(launcher, context),
        ...views.commands(),
        ...runCommands({ app, folders: workspace.folders, launcher, relaunch, refresh }),
        ...runFileCommands(workspace.folders),
        ...panels.commands(),
        ...code.commands(),
        ...modelCommands.commands(),
        ...mlflowCommands({ folders: workspace.folders, log, refresh }),
        ...serverCommands({
          app,
          servers,
          folders: workspace.folders,
          refresh,
          chartedRuns: () =>
            ChartsPanel.active?.runIds ??
            views.runsView.selection.flatMap((node) => (node.kind === 'run' ? [node.run.id] : [])),
        }),
      },
      views.targets(launcher),
      commandTitles(context.extension.packageJSON),
    ),
  );
  return {
    runs: views.runs,
    runsView: views.runsView,
    launcher,
    runsQuery: views.query,
    runsTable: () => RunsTablePanel.active,
    charts: () => ChartsPanel.active,
    reviveCharts: (state) => panels.reviveCharts(state),
    media: () => MediaPanel.active,
    reviveMedia: (state) => panels.reviveMedia(state),
    tables: panels.tables,
    htmlPreviews: panels.htmlPreviews,
    inlineValues: editors.inlineValues,
    onDidChangeScriptLenses: editors.onDidChangeScriptLenses,
    compare: panels.compare,
    storeFolders: workspace.folders,
    onDidChangeRuns: workspace.onDidChangeRuns,
    runStatus: views.runStatus,
    reproductions: code.reproductions,
    models: views.models,
    autoPush,
    syncStatus,
  };
}

/** Saves unsaved store changes and releases the store locks; VS Code waits for this. */
export async function deactivate(): Promise<void> {
  await stores?.closeAll();
  stores = undefined;
}
