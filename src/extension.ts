import * as vscode from 'vscode';
import { Launcher } from './commands/launcher';
import { RunsQueryControl } from './commands/filterRuns';
import { ModelCommands } from './commands/modelCommands';
import { exportRunsToMlflow, importMlflowRuns } from './commands/mlflowRuns';
import type { MlflowRunsDeps } from './commands/mlflowRuns';
import { openCharts } from './commands/openCharts';
import { compareRuns } from './commands/compareRuns';
import { RUN_CODE_SCHEME, RunCodeDocuments, diffRunCode } from './commands/diffRunCode';
import { installPythonClient } from './commands/installPythonClient';
import { openDemoProject } from './commands/openDemoProject';
import { RUN_DIFF_SCHEME, RunDiffDocuments, openRunDiff } from './commands/openRunDiff';
import { rerunRuns } from './commands/rerunRuns';
import { RunReproductions } from './commands/reproduceRun';
import { RUN_TREE_SCHEME, RunTreeDocuments, checkOutRunCode, showCodeChangesSinceRun } from './commands/runCode';
import { RunLifecycle } from './commands/runLifecycle';
import type { RunChooser, RunPickOptions, VersionChooser } from './commands/runTargets';
import { onRuns, onVersions, resolveRunTargets } from './commands/runTargets';
import { runPick, versionPick } from './commands/runPick';
import { copyRunId, openOutputLog, revealRun } from './commands/runActions';
import { scriptOf, startRun } from './commands/startRun';
import { stopRun } from './commands/stopRun';
import { CodeInsights } from './editor/codeInsights';
import type { InlineValues } from './editor/inlineValues';
import { MLprojectCodeLensProvider } from './editor/mlprojectCodeLens';
import { MLPROJECT_FILES, MLprojectDiagnostics } from './editor/mlprojectDiagnostics';
import { MLprojectHoverProvider } from './editor/mlprojectHover';
import { TrainingCodeLensProvider } from './editor/trainingCodeLens';
import type { ChartsPanelDeps } from './panels/chartsPanel';
import { ChartsPanel } from './panels/chartsPanel';
import { COMPARE_VIEW_TYPE } from './panels/comparePanel';
import { ComparePanels } from './panels/comparePanels';
import { MlflowEndpointPool } from './mlflow/endpointPool';
import { readsFromClient } from './mlflow/storeReads';
import { StorePool } from './store/storePool';
import { storeDirFor } from './workspaceStores';
import { RunNotifications } from './views/runNotifications';
import { RunStatusBar } from './views/runStatusBar';
import type { RunsTreeNode } from './views/runsTreeProvider';
import type { StoreFolder } from './workspaceStores';
import { throttled } from './util/throttle';
import { RunsTreeProvider } from './views/runsTreeProvider';
import { ModelsTreeProvider } from './views/modelsTreeProvider';

/** What the extension hands to other extensions (and to its own integration tests). */
export interface RunlogApi {
  readonly runs: RunsTreeProvider;
  /** The Runs view itself: its selection is what run commands act on from the Command Palette. */
  readonly runsView: vscode.TreeView<RunsTreeNode>;
  readonly launcher: Launcher;
  /** The open Charts panel, if any. */
  readonly charts: () => ChartsPanel | undefined;
  /**
   * What VS Code's serializer does with a Charts panel after a reload, on a new panel of this
   * extension's (tests drive it directly: a test cannot reload the window).
   */
  readonly reviveCharts: (state: unknown) => Promise<ChartsPanel>;
  /** The inline values shown after metric-logging lines (`shown(uri)`), and when they update. */
  readonly inlineValues: InlineValues;
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
}

export interface RunsChange {
  readonly storeDir: string;
  readonly runIds: readonly string[];
}

/** How often the Runs and Models views and the status bar follow a running run, at most. */
const VIEWS_REFRESH_MS = 300;
/** How often hovers, inline values and the summary lens follow a running run, at most. */
const EDITORS_REFRESH_MS = 400;

let pool: StorePool | undefined;
let mlflowEndpoints: MlflowEndpointPool | undefined;

/** Wires the pieces together and returns at once: no store opens until a view or command needs it. */
export function activate(context: vscode.ExtensionContext): RunlogApi {
  const log = vscode.window.createOutputChannel('Runlog', { log: true });
  const dist = vscode.Uri.joinPath(context.extensionUri, 'dist');
  const runsChanged = new vscode.EventEmitter<RunsChange>();
  // A running run changes the store several times a second; the views follow it throttled, never
  // debounced (a debounce waits for the run to fall quiet). VS Code itself debounces a tree's
  // changes by 200 ms and a code lens provider's by at least 250 ms: notices closer together than
  // that would postpone them until the run ends.
  const refreshViews = throttled(() => {
    runs.refresh();
    models.refresh();
    void runStatus.update();
  }, VIEWS_REFRESH_MS);
  // The editor's insights (hovers, inline values, the summary lens) follow the runs live too.
  const editorRunsChanged = new vscode.EventEmitter<void>();
  const notifyEditors = throttled(() => editorRunsChanged.fire(), EDITORS_REFRESH_MS);
  const stores = new StorePool({
    workerFile: vscode.Uri.joinPath(dist, 'storeWorker.js').fsPath,
    wasmFile: vscode.Uri.joinPath(dist, 'sql-wasm.wasm').fsPath,
    version: `Runlog ${String((context.extension.packageJSON as { version?: string }).version)}`,
    changed: (storeDir, runIds) => {
      refreshViews();
      runsChanged.fire({ storeDir, runIds });
      notifyEditors();
      compare.storeChanged(runIds);
    },
    log: (level, message) => log[level](message),
  });
  pool = stores;
  const folders = (): StoreFolder[] =>
    (vscode.workspace.workspaceFolders ?? []).map((folder) => ({
      name: folder.name,
      store: stores.get(storeDirFor(folder)),
    }));

  const reported = new Set<string>();
  const runs = new RunsTreeProvider(
    folders,
    (message) => {
      log.error(message);
      runsView.message = message;
      if (!reported.has(message)) {
        reported.add(message);
        void vscode.window.showErrorMessage(`Runlog: ${message}`, 'Show Log').then((choice) => {
          if (choice) log.show();
        });
      }
    },
    (message) => {
      runsView.message = message;
    },
  );
  const runsView = vscode.window.createTreeView('runlog.runs', {
    treeDataProvider: runs,
    showCollapseAll: true,
    canSelectMany: true,
  });
  const runsQuery = new RunsQueryControl(context.workspaceState, runs, runsView);
  const runStatus = new RunStatusBar(folders);
  const notifications = new RunNotifications();
  const storeDirs = (): string[] => (vscode.workspace.workspaceFolders ?? []).map(storeDirFor);
  const mlflow = new MlflowEndpointPool(
    (dir) => readsFromClient(stores.get(dir)),
    (level, message) => log[level](message),
  );
  mlflowEndpoints = mlflow;
  const launcher = new Launcher(context, storeDirFor, log, () => {
    runs.refresh();
    // Runs launched here are reported when they end, even if the first news of them is their end.
    const { running, waiting } = launcher.active;
    for (const dir of storeDirs()) for (const id of [...running, ...waiting]) notifications.expect(dir, id);
    void runStatus.update();
  });
  launcher.useMlflowEnv((dir, runId) =>
    vscode.workspace.getConfiguration('runlog').get<boolean>('mlflowEndpoint', true)
      ? mlflow.env(dir, runId)
      : Promise.resolve({}),
  );
  const lifecycle = new RunLifecycle(folders, () => runs.refresh());
  const reproductions = new RunReproductions(launcher, folders);
  const models = new ModelsTreeProvider(folders, (message) => log.error(message));
  const modelsView = vscode.window.createTreeView('runlog.models', { treeDataProvider: models, canSelectMany: true });
  // Commands that act on runs or model versions, called without arguments (the Command Palette, a
  // key binding), act on the view's selection, or else on what the user picks (runTargets.ts).
  const runChooser: RunChooser = {
    folders,
    selection: () => runsView.selection,
    pick: runPick((store) =>
      folders().length > 1 ? folders().find((folder) => folder.store === store)?.name : undefined,
    ),
  };
  const versionChooser: VersionChooser = { folders, selection: () => modelsView.selection, pick: versionPick };
  const onRunsCommand = (
    id: string,
    options: RunPickOptions,
    handler: (first: unknown, selected: unknown, ...rest: unknown[]) => unknown,
  ): vscode.Disposable => vscode.commands.registerCommand(id, onRuns(runChooser, options, handler));
  const onVersionsCommand = (
    id: string,
    options: Parameters<typeof onVersions>[1],
    handler: (first: unknown, selected: unknown, ...rest: unknown[]) => unknown,
  ): vscode.Disposable => vscode.commands.registerCommand(id, onVersions(versionChooser, options, handler));
  const launchedHere = (run: { id: string }): boolean => {
    const { running, waiting } = launcher.active;
    return running.includes(run.id) || waiting.includes(run.id);
  };
  const modelCommands = new ModelCommands(launcher, context.extensionUri, folders, () => models.refresh());
  const diffs = new RunDiffDocuments((dir) => (storeDirs().includes(dir) ? stores.get(dir) : undefined));
  const chartsDeps: ChartsPanelDeps = {
    extensionUri: context.extensionUri,
    workspaceState: context.workspaceState,
    log,
    onStoreChanged: runsChanged.event,
    resolve: (runIds) => resolveRunTargets({ runIds }, undefined, folders),
    revealRun: (runId) => void vscode.commands.executeCommand('runlog.revealRunInTree', { runIds: [runId] }),
  };
  const insights = new CodeInsights({
    storeFor: (uri) => {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      return folder ? stores.get(storeDirFor(folder)) : undefined;
    },
    onDidChangeRuns: editorRunsChanged.event,
  });
  const mlflowRuns: MlflowRunsDeps = { folders, log, refresh: () => runs.refresh() };
  const lenses = new TrainingCodeLensProvider((script) => launcher.lastLaunch(script)?.values, insights.summaryLens);
  const mlprojectLenses = new MLprojectCodeLensProvider((mlproject, name) =>
    launcher.lastEntryPointLaunch(mlproject, name),
  );
  const runCode = new RunCodeDocuments(folders);
  const compare = new ComparePanels({
    extensionUri: context.extensionUri,
    folders,
    log,
    diffCode: (left, right) => runCode.diff(left, right),
  });
  const storesChanged = (): void => {
    runsView.message = undefined;
    // An endpoint reads through its folder's store worker: it goes when that worker goes.
    void mlflow.retainOnly((vscode.workspace.workspaceFolders ?? []).map(storeDirFor));
    void stores.retainOnly((vscode.workspace.workspaceFolders ?? []).map(storeDirFor)).then(() => {
      runs.refresh();
      editorRunsChanged.fire();
      // Only a shown item can be stale; a hidden one must not start the new folder's store.
      if (runStatus.text !== undefined) void runStatus.update();
    });
  };

  context.subscriptions.push(
    log,
    runs,
    runsView,
    refreshViews,
    notifyEditors,
    editorRunsChanged,
    insights,
    runsChanged,
    runStatus,
    reproductions,
    models,
    modelsView,
    modelCommands,
    vscode.commands.registerCommand('runlog.refreshModels', () => models.refresh()),
    onRunsCommand('runlog.registerModel', { title: 'Runlog: the run whose model to register', many: false }, (target) =>
      modelCommands.register(target),
    ),
    onVersionsCommand(
      'runlog.setModelAlias',
      { title: 'Runlog: the version to give an alias', many: false },
      (target, alias) => modelCommands.setAlias(target, alias),
    ),
    onVersionsCommand(
      'runlog.removeModelAlias',
      { title: 'Runlog: the version whose alias to remove', many: false },
      (target, alias) => modelCommands.removeAlias(target, alias),
    ),
    onVersionsCommand(
      'runlog.deleteModelVersion',
      { title: 'Runlog: the version to delete', many: false },
      (target, _selected, options) => modelCommands.deleteVersion(target, options as { confirm?: boolean } | undefined),
    ),
    onVersionsCommand(
      'runlog.copyModelUri',
      { title: 'Runlog: the version whose URI to copy', many: false },
      (target) => modelCommands.copyUri(target),
    ),
    onVersionsCommand(
      'runlog.compareModelVersions',
      { title: 'Runlog: versions to compare', many: true, preselect: 2 },
      (first, selected) => modelCommands.compareVersions(first, selected),
    ),
    onVersionsCommand('runlog.serveModel', { title: 'Runlog: the version to serve', many: false }, (target) =>
      modelCommands.serve(target),
    ),
    vscode.commands.registerCommand('runlog.showModelSummary', (target?: unknown) => modelCommands.showSummary(target)),
    runsChanged.event(({ runIds }) => {
      reproductions.changed(runIds).catch((error: unknown) => log.warn(`Reproduce Run: ${String(error)}`));
    }),
    vscode.workspace.registerTextDocumentContentProvider(RUN_TREE_SCHEME, new RunTreeDocuments()),
    onRunsCommand('runlog.reproduceRun', { title: 'Runlog: the run to reproduce', many: false }, (first, selected) =>
      reproductions.reproduce(first, selected),
    ),
    onRunsCommand(
      'runlog.checkOutRunCode',
      { title: 'Runlog: the run whose code to check out', many: false },
      (first, selected, options) => checkOutRunCode(folders, first, selected, options as { confirm?: boolean }),
    ),
    onRunsCommand(
      'runlog.showCodeChangesSinceRun',
      { title: 'Runlog: the run to compare the code with', many: false },
      (first, selected) => showCodeChangesSinceRun(folders, first, selected),
    ),
    runsChanged.event(({ storeDir, runIds }) => {
      diffs.clear();
      if (!storeDirs().includes(storeDir)) return;
      notifications
        .changed(storeDir, stores.get(storeDir), runIds)
        .catch((error: unknown) => log.warn(`Run notifications: ${String(error)}`));
    }),
    vscode.workspace.registerTextDocumentContentProvider(RUN_DIFF_SCHEME, diffs),
    vscode.workspace.onDidChangeWorkspaceFolders(storesChanged),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('runlog.storeDir')) storesChanged();
      if (e.affectsConfiguration('runlog.keyMetric') || e.affectsConfiguration('runlog.metricGoals')) {
        runs.refresh();
        editorRunsChanged.fire();
      }
    }),
    launcher,
    lenses,
    launcher.onDidChangeLast(() => lenses.refresh()),
    editorRunsChanged.event(() => lenses.runsChanged()),
    vscode.languages.registerCodeLensProvider({ language: 'python', scheme: 'file' }, lenses),
    new MLprojectDiagnostics(),
    mlprojectLenses,
    launcher.onDidChangeLast(() => mlprojectLenses.refresh()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => mlprojectLenses.refresh()),
    vscode.languages.registerCodeLensProvider(MLPROJECT_FILES, mlprojectLenses),
    vscode.languages.registerHoverProvider(
      MLPROJECT_FILES,
      new MLprojectHoverProvider({
        storeFor: (uri) => {
          const folder = vscode.workspace.getWorkspaceFolder(uri);
          return folder ? stores.get(storeDirFor(folder)) : undefined;
        },
      }),
    ),
    vscode.commands.registerCommand('runlog.startRun', (target?: vscode.Uri) => startRun(launcher, target)),
    vscode.commands.registerCommand('runlog.runScript', async (target?: unknown) => {
      const script = await scriptOf(target);
      return script ? launcher.launch(script, 'defaults') : [];
    }),
    vscode.commands.registerCommand('runlog.runWithParameters', async (target?: unknown) => {
      const script = await scriptOf(target);
      return script ? launcher.launch(script, 'form') : [];
    }),
    vscode.commands.registerCommand('runlog.rerunLast', async (target?: unknown) => {
      const script = await scriptOf(target);
      return script ? launcher.launch(script, 'last') : [];
    }),
    vscode.commands.registerCommand('runlog.runEntryPoint', (mlproject: unknown, name: unknown, mode?: unknown) =>
      mlproject instanceof vscode.Uri && typeof name === 'string'
        ? launcher.launchEntryPoint(mlproject, name, mode === 'defaults' || mode === 'last' ? mode : 'form')
        : startRun(launcher),
    ),
    onRunsCommand(
      'runlog.stopRun',
      {
        title: 'Runlog: runs to stop (queued ones are cancelled)',
        many: true,
        statuses: ['RUNNING', 'QUEUED'],
        only: launchedHere,
      },
      (first, selected) => stopRun(launcher, folders, first, selected),
    ),
    vscode.commands.registerCommand('runlog.openDemoProject', () =>
      openDemoProject(context.extensionUri, context.globalStorageUri),
    ),
    vscode.commands.registerCommand('runlog.installPythonClient', () =>
      installPythonClient(launcher, context.extensionUri),
    ),
    vscode.commands.registerCommand('runlog.refreshRuns', async () => {
      await Promise.all(folders().map((f) => f.store.call('sync').catch(() => [])));
      runs.refresh();
    }),
    vscode.commands.registerCommand('runlog.showLog', () => log.show()),
    onRunsCommand('runlog.copyRunId', { title: 'Runlog: the run whose id to copy', many: false }, (first, selected) =>
      copyRunId(folders, first, selected),
    ),
    onRunsCommand(
      'runlog.openOutputLog',
      { title: 'Runlog: the run whose output log to open', many: false },
      (first, selected) => openOutputLog(folders, first, selected),
    ),
    onRunsCommand(
      'runlog.revealRun',
      { title: 'Runlog: the run whose folder to reveal', many: false },
      (first, selected) => revealRun(folders, first, selected),
    ),
    vscode.commands.registerCommand('runlog.filterRuns', () => runsQuery.filter()),
    vscode.commands.registerCommand('runlog.clearRunsFilter', () => runsQuery.clearFilter()),
    vscode.commands.registerCommand('runlog.sortRuns', () => runsQuery.sort(folders())),
    vscode.commands.registerCommand('runlog.revealRunInTree', async (target?: unknown) => {
      const [runId] = ((target as { runIds?: unknown } | undefined)?.runIds as string[] | undefined) ?? [];
      if (typeof runId !== 'string') return false;
      const node = await runs.findRun(runId);
      if (!node) {
        void vscode.window.showInformationMessage('Runlog: that run is not in the Runs view (is a filter hiding it?).');
        return false;
      }
      await runsView.reveal(node, { select: true, focus: true });
      return true;
    }),
    onRunsCommand('runlog.openCharts', { title: 'Runlog: runs to chart', many: true }, (first, selected) =>
      openCharts(chartsDeps, folders, first, selected),
    ),
    vscode.window.registerWebviewPanelSerializer(ChartsPanel.viewType, {
      deserializeWebviewPanel: async (panel, state) => {
        await ChartsPanel.revive(panel, chartsDeps, state);
      },
    }),
    { dispose: () => ChartsPanel.active?.dispose() },
    vscode.commands.registerCommand('runlog.groupRuns', (group?: unknown) =>
      runsQuery.group(typeof group === 'string' ? (group as Parameters<typeof runsQuery.group>[0]) : undefined),
    ),
    onRunsCommand('runlog.renameRun', { title: 'Runlog: the run to rename', many: false }, (first, selected, name) =>
      lifecycle.rename(first, selected, typeof name === 'string' ? name : undefined),
    ),
    onRunsCommand('runlog.tagRuns', { title: 'Runlog: runs to tag', many: true }, (first, selected, tags) =>
      lifecycle.tag(first, selected, typeof tags === 'string' ? tags : undefined),
    ),
    onRunsCommand('runlog.pinRun', { title: 'Runlog: runs to pin', many: true, deleted: false }, (first, selected) =>
      lifecycle.pin(first, selected),
    ),
    onRunsCommand(
      'runlog.unpinRun',
      { title: 'Runlog: runs to unpin', many: true, deleted: false, only: (run) => run.pinned },
      (first, selected) => lifecycle.unpin(first, selected),
    ),
    onRunsCommand(
      'runlog.deleteRun',
      { title: 'Runlog: runs to move to the trash', many: true, deleted: false },
      (first, selected) => lifecycle.trash(first, selected),
    ),
    onRunsCommand(
      'runlog.restoreRun',
      { title: 'Runlog: runs to restore from the trash', many: true, deleted: true },
      (first, selected) => lifecycle.restore(first, selected),
    ),
    onRunsCommand(
      'runlog.deleteRunPermanently',
      {
        title: 'Runlog: runs to delete permanently',
        many: true,
        statuses: ['FINISHED', 'FAILED', 'KILLED', 'INTERRUPTED'],
      },
      (first, selected, options) => lifecycle.deletePermanently(first, selected, options as { confirm?: boolean }),
    ),
    onRunsCommand('runlog.rerunRun', { title: 'Runlog: runs to rerun', many: true }, async (first, selected) =>
      rerunRuns(launcher, await resolveRunTargets(first, selected, folders)),
    ),
    vscode.commands.registerCommand('runlog.openRunDiff', (ref?: unknown) => openRunDiff(diffs, ref)),
    vscode.commands.registerCommand('runlog.showRunningRuns', () =>
      runStatus.pick((runId) => Promise.resolve(vscode.commands.executeCommand('runlog.stopRun', runId))),
    ),
    compare,
    vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, compare),
    vscode.workspace.registerTextDocumentContentProvider(RUN_CODE_SCHEME, runCode),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('runlog.metricGoals')) compare.refreshAll();
    }),
    onRunsCommand(
      'runlog.compareRuns',
      { title: 'Runlog: runs to compare', many: true, preselect: 2 },
      (first, selected) => compareRuns(compare, folders, first, selected),
    ),
    onRunsCommand(
      'runlog.diffRunCode',
      { title: 'Runlog: two runs whose code to diff', many: true, preselect: 2 },
      (first, selected) => diffRunCode(runCode, folders, first, selected),
    ),
    vscode.commands.registerCommand('runlog.importMlflowRuns', (arg?: unknown) => importMlflowRuns(mlflowRuns, arg)),
    onRunsCommand(
      'runlog.exportRunsToMlflow',
      { title: 'Runlog: runs to export to MLflow', many: true },
      (first, selected) => exportRunsToMlflow(mlflowRuns, first, selected),
    ),
  );
  return {
    runs,
    runsView,
    launcher,
    compare,
    inlineValues: insights.inlineValues,
    storeFolders: folders,
    onDidChangeRuns: runsChanged.event,
    runStatus,
    reproductions,
    models,
    charts: () => ChartsPanel.active,
    reviveCharts: (state) =>
      ChartsPanel.revive(
        vscode.window.createWebviewPanel(ChartsPanel.viewType, 'Charts', vscode.ViewColumn.Active),
        chartsDeps,
        state,
      ),
  };
}

/** Saves unsaved store changes and releases the store locks; VS Code waits for this. */
export async function deactivate(): Promise<void> {
  await mlflowEndpoints?.closeAll();
  mlflowEndpoints = undefined;
  await pool?.closeAll();
  pool = undefined;
}
