import * as vscode from 'vscode';
import { Launcher } from './commands/launcher';
import { RunsQueryControl } from './commands/filterRuns';
import { ModelCommands } from './commands/modelCommands';
import { exportRunsToMlflow, importMlflowRuns } from './commands/mlflowRuns';
import type { MlflowRunsDeps } from './commands/mlflowRuns';
import { openCharts } from './commands/openCharts';
import { compareRuns } from './commands/compareRuns';
import { RUN_CODE_SCHEME, RunCodeDocuments, diffRunCode } from './commands/diffRunCode';
import { openDemoProject } from './commands/openDemoProject';
import { RUN_DIFF_SCHEME, RunDiffDocuments, openRunDiff } from './commands/openRunDiff';
import { rerunRuns } from './commands/rerunRuns';
import { RunReproductions } from './commands/reproduceRun';
import { RUN_TREE_SCHEME, RunTreeDocuments, checkOutRunCode, showCodeChangesSinceRun } from './commands/runCode';
import { RunLifecycle } from './commands/runLifecycle';
import { resolveRunTargets } from './commands/runTargets';
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
import { resolveStoreDir } from './store/storeLocation';
import { StorePool } from './store/storePool';
import { RunNotifications } from './views/runNotifications';
import { RunStatusBar } from './views/runStatusBar';
import type { StoreFolder } from './views/runsTreeProvider';
import { throttled } from './util/throttle';
import { RunsTreeProvider } from './views/runsTreeProvider';
import { ModelsTreeProvider } from './views/modelsTreeProvider';

/** What the extension hands to other extensions (and to its own integration tests). */
export interface RunlogApi {
  readonly runs: RunsTreeProvider;
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

function storeDirFor(folder: vscode.WorkspaceFolder): string {
  return resolveStoreDir(
    folder.uri.fsPath,
    vscode.workspace.getConfiguration('runlog', folder).get<string>('storeDir'),
  );
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
  const lifecycle = new RunLifecycle(
    folders,
    () => runsView.selection,
    () => runs.refresh(),
  );
  const reproductions = new RunReproductions(launcher, folders);
  const models = new ModelsTreeProvider(folders, (message) => log.error(message));
  const modelsView = vscode.window.createTreeView('runlog.models', { treeDataProvider: models });
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
    vscode.commands.registerCommand('runlog.registerModel', (target?: unknown) => modelCommands.register(target)),
    vscode.commands.registerCommand('runlog.setModelAlias', (target?: unknown, alias?: unknown) =>
      modelCommands.setAlias(target, alias),
    ),
    vscode.commands.registerCommand('runlog.removeModelAlias', (target?: unknown, alias?: unknown) =>
      modelCommands.removeAlias(target, alias),
    ),
    vscode.commands.registerCommand(
      'runlog.deleteModelVersion',
      (target?: unknown, _selected?: unknown, options?: { confirm?: boolean }) =>
        modelCommands.deleteVersion(target, options),
    ),
    vscode.commands.registerCommand('runlog.copyModelUri', (target?: unknown) => modelCommands.copyUri(target)),
    vscode.commands.registerCommand('runlog.compareModelVersions', (first?: unknown, selected?: unknown) =>
      modelCommands.compareVersions(first, selected),
    ),
    vscode.commands.registerCommand('runlog.serveModel', (target?: unknown) => modelCommands.serve(target)),
    vscode.commands.registerCommand('runlog.showModelSummary', (target?: unknown) => modelCommands.showSummary(target)),
    runsChanged.event(({ runIds }) => {
      reproductions.changed(runIds).catch((error: unknown) => log.warn(`Reproduce Run: ${String(error)}`));
    }),
    vscode.workspace.registerTextDocumentContentProvider(RUN_TREE_SCHEME, new RunTreeDocuments()),
    vscode.commands.registerCommand('runlog.reproduceRun', (first?: unknown, selected?: unknown) =>
      reproductions.reproduce(first, selected),
    ),
    vscode.commands.registerCommand(
      'runlog.checkOutRunCode',
      (first?: unknown, selected?: unknown, options?: { confirm?: boolean }) =>
        checkOutRunCode(folders, first, selected, options),
    ),
    vscode.commands.registerCommand('runlog.showCodeChangesSinceRun', (first?: unknown, selected?: unknown) =>
      showCodeChangesSinceRun(folders, first, selected),
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
    vscode.commands.registerCommand('runlog.stopRun', (target?: unknown) => stopRun(launcher, folders, target)),
    vscode.commands.registerCommand('runlog.openDemoProject', () =>
      openDemoProject(context.extensionUri, context.globalStorageUri),
    ),
    vscode.commands.registerCommand('runlog.refreshRuns', async () => {
      await Promise.all(folders().map((f) => f.store.call('sync').catch(() => [])));
      runs.refresh();
    }),
    vscode.commands.registerCommand('runlog.showLog', () => log.show()),
    vscode.commands.registerCommand('runlog.copyRunId', copyRunId),
    vscode.commands.registerCommand('runlog.openOutputLog', openOutputLog),
    vscode.commands.registerCommand('runlog.revealRun', revealRun),
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
    vscode.commands.registerCommand('runlog.openCharts', (first?: unknown, selected?: unknown) =>
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
    vscode.commands.registerCommand('runlog.renameRun', (first?: unknown, selected?: unknown, name?: unknown) =>
      lifecycle.rename(first, selected, typeof name === 'string' ? name : undefined),
    ),
    vscode.commands.registerCommand('runlog.tagRuns', (first?: unknown, selected?: unknown, tags?: unknown) =>
      lifecycle.tag(first, selected, typeof tags === 'string' ? tags : undefined),
    ),
    vscode.commands.registerCommand('runlog.pinRun', (first?: unknown, selected?: unknown) =>
      lifecycle.pin(first, selected),
    ),
    vscode.commands.registerCommand('runlog.unpinRun', (first?: unknown, selected?: unknown) =>
      lifecycle.unpin(first, selected),
    ),
    vscode.commands.registerCommand('runlog.deleteRun', (first?: unknown, selected?: unknown) =>
      lifecycle.trash(first, selected),
    ),
    vscode.commands.registerCommand('runlog.restoreRun', (first?: unknown, selected?: unknown) =>
      lifecycle.restore(first, selected),
    ),
    vscode.commands.registerCommand(
      'runlog.deleteRunPermanently',
      (first?: unknown, selected?: unknown, options?: { confirm?: boolean }) =>
        lifecycle.deletePermanently(first, selected, options),
    ),
    vscode.commands.registerCommand('runlog.rerunRun', async (first?: unknown, selected?: unknown) => {
      const targets = await resolveRunTargets(
        first ?? runsView.selection[0],
        first === undefined ? runsView.selection : selected,
        folders,
      );
      return rerunRuns(launcher, targets);
    }),
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
    vscode.commands.registerCommand('runlog.compareRuns', (first?: unknown, selected?: unknown) =>
      compareRuns(compare, folders, first, selected),
    ),
    vscode.commands.registerCommand('runlog.diffRunCode', (first?: unknown, selected?: unknown) =>
      diffRunCode(runCode, folders, first, selected),
    ),
    vscode.commands.registerCommand('runlog.importMlflowRuns', (arg?: unknown) => importMlflowRuns(mlflowRuns, arg)),
    vscode.commands.registerCommand('runlog.exportRunsToMlflow', (first?: unknown, selected?: unknown) =>
      exportRunsToMlflow(mlflowRuns, first, selected),
    ),
  );
  return {
    runs,
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
