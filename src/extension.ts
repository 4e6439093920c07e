import * as vscode from 'vscode';
import { openDemoProject } from './commands/openDemoProject';
import { startRun } from './commands/startRun';
import { resolveStoreDir } from './store/storeLocation';
import { RunsTreeProvider } from './views/runsTreeProvider';

/** What the extension hands to other extensions (and to its own integration tests). */
export interface RunlogApi {
  readonly runs: RunsTreeProvider;
}

function storeDirFor(folder: vscode.WorkspaceFolder): string {
  return resolveStoreDir(
    folder.uri.fsPath,
    vscode.workspace.getConfiguration('runlog', folder).get<string>('storeDir'),
  );
}

/** Wires the pieces together and returns at once: nothing is read until a view or command needs it. */
export function activate(context: vscode.ExtensionContext): RunlogApi {
  const log = vscode.window.createOutputChannel('Runlog', { log: true });
  const storeDirs = (): string[] => (vscode.workspace.workspaceFolders ?? []).map(storeDirFor);
  const runs = new RunsTreeProvider(storeDirs, log);
  const runsView = vscode.window.createTreeView('runlog.runs', { treeDataProvider: runs, showCollapseAll: true });

  // Journals change whenever a run logs; coalesce bursts into one refresh.
  let refreshTimer: NodeJS.Timeout | undefined;
  const scheduleRefresh = (): void => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => runs.refresh(), 300);
  };
  const watcher = vscode.workspace.createFileSystemWatcher('**/runs/*/events.jsonl');
  watcher.onDidCreate(scheduleRefresh);
  watcher.onDidChange(scheduleRefresh);
  watcher.onDidDelete(scheduleRefresh);

  context.subscriptions.push(
    log,
    runs,
    runsView,
    watcher,
    { dispose: () => clearTimeout(refreshTimer) },
    vscode.workspace.onDidChangeWorkspaceFolders(() => runs.refresh()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('runlog.storeDir')) runs.refresh();
    }),
    vscode.commands.registerCommand('runlog.startRun', (target?: vscode.Uri) => startRun(storeDirFor, target)),
    vscode.commands.registerCommand('runlog.openDemoProject', () =>
      openDemoProject(context.extensionUri, context.globalStorageUri),
    ),
    vscode.commands.registerCommand('runlog.refreshRuns', () => runs.refresh()),
    vscode.commands.registerCommand('runlog.showLog', () => log.show()),
  );
  return { runs };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
