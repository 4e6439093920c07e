import * as vscode from 'vscode';
import { Launcher } from './commands/launcher';
import { RunsQueryControl } from './commands/filterRuns';
import { compareRuns } from './commands/compareRuns';
import { RUN_CODE_SCHEME, RunCodeDocuments, diffRunCode } from './commands/diffRunCode';
import { openDemoProject } from './commands/openDemoProject';
import { copyRunId, openOutputLog, revealRun } from './commands/runActions';
import { scriptOf, startRun } from './commands/startRun';
import { stopRun } from './commands/stopRun';
import { TrainingCodeLensProvider } from './editor/trainingCodeLens';
import { COMPARE_VIEW_TYPE } from './panels/comparePanel';
import { ComparePanels } from './panels/comparePanels';
import { resolveStoreDir } from './store/storeLocation';
import { StorePool } from './store/storePool';
import type { StoreFolder } from './views/runsTreeProvider';
import { RunsTreeProvider } from './views/runsTreeProvider';

/** What the extension hands to other extensions (and to its own integration tests). */
export interface RunlogApi {
  readonly runs: RunsTreeProvider;
  readonly launcher: Launcher;
  /** The Compare panels (tests read what they rendered). */
  readonly compare: ComparePanels;
  /** The store folder of each workspace folder, as the stores see it. */
  storeFolders(): readonly StoreFolder[];
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
  const stores = new StorePool({
    workerFile: vscode.Uri.joinPath(dist, 'storeWorker.js').fsPath,
    wasmFile: vscode.Uri.joinPath(dist, 'sql-wasm.wasm').fsPath,
    version: `Runlog ${String((context.extension.packageJSON as { version?: string }).version)}`,
    // Runs log in bursts; coalesce their change notices into one refresh.
    changed: (_dir, runIds) => {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => runs.refresh(), 300);
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
  const runsView = vscode.window.createTreeView('runlog.runs', { treeDataProvider: runs, showCollapseAll: true });
  const runsQuery = new RunsQueryControl(context.workspaceState, runs, runsView);
  const launcher = new Launcher(context, storeDirFor, log, () => runs.refresh());
  const runCode = new RunCodeDocuments(folders);
  const compare = new ComparePanels({
    extensionUri: context.extensionUri,
    folders,
    log,
    diffCode: (left, right) => runCode.diff(left, right),
  });
  const lenses = new TrainingCodeLensProvider((script) => launcher.lastLaunch(script)?.values);
  const storesChanged = (): void => {
    runsView.message = undefined;
    void stores.retainOnly((vscode.workspace.workspaceFolders ?? []).map(storeDirFor)).then(() => runs.refresh());
  };

  context.subscriptions.push(
    log,
    runs,
    runsView,
    { dispose: () => clearTimeout(refreshTimer) },
    vscode.workspace.onDidChangeWorkspaceFolders(storesChanged),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('runlog.storeDir')) storesChanged();
    }),
    launcher,
    lenses,
    launcher.onDidChangeLast(() => lenses.refresh()),
    vscode.languages.registerCodeLensProvider({ language: 'python', scheme: 'file' }, lenses),
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
    vscode.commands.registerCommand('runlog.runEntryPoint', (mlproject: vscode.Uri, name: string) =>
      launcher.launchEntryPoint(mlproject, name),
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
  );
  return { runs, launcher, compare, storeFolders: folders };
}

/** Saves unsaved store changes and releases the store locks; VS Code waits for this. */
export async function deactivate(): Promise<void> {
  await pool?.closeAll();
  pool = undefined;
}
