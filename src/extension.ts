import * as vscode from 'vscode';
import { Launcher } from './commands/launcher';
import { RunsQueryControl } from './commands/filterRuns';
import { openCharts } from './commands/openCharts';
import { openDemoProject } from './commands/openDemoProject';
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
import { resolveStoreDir } from './store/storeLocation';
import { StorePool } from './store/storePool';
import type { StoreFolder } from './views/runsTreeProvider';
import { throttled } from './util/throttle';
import { RunsTreeProvider } from './views/runsTreeProvider';

/** What the extension hands to other extensions (and to its own integration tests). */
export interface RunlogApi {
  readonly runs: RunsTreeProvider;
  readonly launcher: Launcher;
  /** The open Charts panel, if any. */
  readonly charts: () => ChartsPanel | undefined;
  /** The inline values shown after metric-logging lines (`shown(uri)`), and when they update. */
  readonly inlineValues: InlineValues;
  /** The store folder of each workspace folder, as the stores see it. */
  readonly storeFolders: () => readonly StoreFolder[];
}

function storeDirFor(folder: vscode.WorkspaceFolder): string {
  return resolveStoreDir(
    folder.uri.fsPath,
    vscode.workspace.getConfiguration('runlog', folder).get<string>('storeDir'),
  );
}

let pool: StorePool | undefined;

/** Wires the pieces together and returns at once: no store opens until a view or command needs it. */
export function activate(context: vscode.ExtensionContext): RunlogApi {
  const log = vscode.window.createOutputChannel('Runlog', { log: true });
  const dist = vscode.Uri.joinPath(context.extensionUri, 'dist');
  let refreshTimer: NodeJS.Timeout | undefined;
  const storeChanged = new vscode.EventEmitter<{ readonly dir: string; readonly runIds: readonly string[] }>();
  // The editor's insights (hovers, inline values, the summary lens) follow the runs live, at most once a second.
  const runsChanged = new vscode.EventEmitter<void>();
  const notifyEditors = throttled(() => runsChanged.fire(), 1_000);
  const stores = new StorePool({
    workerFile: vscode.Uri.joinPath(dist, 'storeWorker.js').fsPath,
    wasmFile: vscode.Uri.joinPath(dist, 'sql-wasm.wasm').fsPath,
    version: `Runlog ${String((context.extension.packageJSON as { version?: string }).version)}`,
    // Runs log in bursts; coalesce their change notices into one refresh.
    changed: (dir, runIds) => {
      storeChanged.fire({ dir, runIds });
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => runs.refresh(), 300);
      notifyEditors();
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
  const runsView = vscode.window.createTreeView('runlog.runs', { treeDataProvider: runs, showCollapseAll: true });
  const runsQuery = new RunsQueryControl(context.workspaceState, runs, runsView);
  const launcher = new Launcher(context, storeDirFor, log, () => runs.refresh());
  const chartsDeps: ChartsPanelDeps = {
    extensionUri: context.extensionUri,
    workspaceState: context.workspaceState,
    log,
    onStoreChanged: storeChanged.event,
    resolve: (runIds) => resolveRunTargets({ runIds }, undefined, folders),
    revealRun: (runId) => void vscode.commands.executeCommand('runlog.revealRunInTree', { runIds: [runId] }),
  };
  const insights = new CodeInsights({
    storeFor: (uri) => {
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      return folder ? stores.get(storeDirFor(folder)) : undefined;
    },
    onDidChangeRuns: runsChanged.event,
  });
  const lenses = new TrainingCodeLensProvider((script) => launcher.lastLaunch(script)?.values, insights.summaryLens);
  const mlprojectLenses = new MLprojectCodeLensProvider((mlproject, name) =>
    launcher.lastEntryPointLaunch(mlproject, name),
  );
  const storesChanged = (): void => {
    runsView.message = undefined;
    void stores.retainOnly((vscode.workspace.workspaceFolders ?? []).map(storeDirFor)).then(() => {
      runs.refresh();
      runsChanged.fire();
    });
  };

  context.subscriptions.push(
    log,
    storeChanged,
    runs,
    runsView,
    { dispose: () => clearTimeout(refreshTimer) },
    notifyEditors,
    runsChanged,
    insights,
    vscode.workspace.onDidChangeWorkspaceFolders(storesChanged),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('runlog.storeDir')) storesChanged();
    }),
    launcher,
    lenses,
    launcher.onDidChangeLast(() => lenses.refresh()),
    runsChanged.event(() => lenses.runsChanged()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('runlog.keyMetric') || e.affectsConfiguration('runlog.metricGoals')) {
        runsChanged.fire();
      }
    }),
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
    vscode.commands.registerCommand('runlog.openCharts', (first?: unknown, selected?: unknown) =>
      openCharts(chartsDeps, folders, first, selected),
    ),
    vscode.window.registerWebviewPanelSerializer(ChartsPanel.viewType, {
      deserializeWebviewPanel: async (panel, state) => {
        await ChartsPanel.revive(panel, chartsDeps, state);
      },
    }),
    { dispose: () => ChartsPanel.active?.dispose() },
  );
  return {
    runs,
    launcher,
    inlineValues: insights.inlineValues,
    storeFolders: folders,
    charts: () => ChartsPanel.active,
  };
}

/** Saves unsaved store changes and releases the store locks; VS Code waits for this. */
export async function deactivate(): Promise<void> {
  await pool?.closeAll();
  pool = undefined;
}
