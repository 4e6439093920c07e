import * as vscode from 'vscode';
import { MlflowEndpointPool } from './mlflow/endpointPool';
import { readsFromClient } from './mlflow/storeReads';
import type { StoreClient } from './store/storeClient';
import { resolveStoreDir } from './store/storeLocation';
import { StorePool } from './store/storePool';

// Which store belongs to which workspace folder: host-wide, used by every surface folder.

/** A workspace folder's run store, as views and commands see it. */
export interface StoreFolder {
  readonly name: string;
  readonly store: StoreClient;
}

/** A store's change notice: the store folder and the runs whose journals it read. */
export interface RunsChange {
  readonly storeDir: string;
  readonly runIds: readonly string[];
}

/** The store folder of a workspace folder: `runlog.storeDir` (relative to the folder) or `.runlog`. */
export function storeDirFor(folder: vscode.WorkspaceFolder): string {
  return resolveStoreDir(
    folder.uri.fsPath,
    vscode.workspace.getConfiguration('runlog', folder).get<string>('storeDir'),
  );
}

/**
 * The stores of the open workspace folders, and what lives per store folder: one store worker
 * (started when a view or command first asks) and one MLflow endpoint for launched runs. When the
 * folders or `runlog.storeDir` change, the stores of folders no longer open close; the views and
 * editors follow `onDidChangeFolders`.
 */
export class WorkspaceStores implements vscode.Disposable {
  private readonly pool: StorePool;
  private readonly mlflow: MlflowEndpointPool;
  private readonly runsChanged = new vscode.EventEmitter<RunsChange>();
  private readonly foldersChanged = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[];
  /** Fires when a store has read new journal lines: the store folder and the runs that changed. */
  readonly onDidChangeRuns = this.runsChanged.event;
  /** Fires once the stores of folders no longer open have closed. */
  readonly onDidChangeFolders = this.foldersChanged.event;

  constructor(context: vscode.ExtensionContext, log: vscode.LogOutputChannel) {
    const dist = vscode.Uri.joinPath(context.extensionUri, 'dist');
    this.pool = new StorePool({
      workerFile: vscode.Uri.joinPath(dist, 'storeWorker.js').fsPath,
      wasmFile: vscode.Uri.joinPath(dist, 'sql-wasm.wasm').fsPath,
      version: `Runlog ${String((context.extension.packageJSON as { version?: string }).version)}`,
      changed: (storeDir, runIds) => this.runsChanged.fire({ storeDir, runIds }),
      log: (level, message) => log[level](message),
    });
    this.mlflow = new MlflowEndpointPool(
      (dir) => readsFromClient(this.pool.get(dir)),
      (level, message) => log[level](message),
    );
    this.subscriptions = [
      this.runsChanged,
      this.foldersChanged,
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.retainOpen()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('runlog.storeDir')) this.retainOpen();
      }),
    ];
  }

  /** The store folder of each open workspace folder. */
  storeDirs(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).map(storeDirFor);
  }

  /** Each open workspace folder with its store. */
  readonly folders = (): StoreFolder[] =>
    (vscode.workspace.workspaceFolders ?? []).map((folder) => ({
      name: folder.name,
      store: this.pool.get(storeDirFor(folder)),
    }));

  /** The store of the workspace folder that holds `uri`; undefined outside the workspace. */
  readonly storeFor = (uri: vscode.Uri): StoreClient | undefined => {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    return folder ? this.pool.get(storeDirFor(folder)) : undefined;
  };

  /** The store of an open folder's store folder; undefined for any other folder. */
  readonly storeAt = (storeDir: string): StoreClient | undefined =>
    this.storeDirs().includes(storeDir) ? this.pool.get(storeDir) : undefined;

  /** MLFLOW_TRACKING_URI, _TOKEN and _RUN_ID for a launched run (none when `runlog.mlflowEndpoint` is off). */
  readonly mlflowEnv = (storeDir: string, runId: string): Promise<Record<string, string>> =>
    vscode.workspace.getConfiguration('runlog').get<boolean>('mlflowEndpoint', true)
      ? this.mlflow.env(storeDir, runId)
      : Promise.resolve({});

  private retainOpen(): void {
    // An endpoint reads through its folder's store worker: it goes when that worker goes.
    void this.mlflow.retainOnly(this.storeDirs());
    void this.pool.retainOnly(this.storeDirs()).then(() => this.foldersChanged.fire());
  }

  /** Saves unsaved store changes and releases the store locks (deactivate waits for this). */
  async closeAll(): Promise<void> {
    await this.mlflow.closeAll();
    await this.pool.closeAll();
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
