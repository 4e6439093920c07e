import * as vscode from 'vscode';
import type { StoreClient } from './store/storeClient';
import { resolveStoreDir } from './store/storeLocation';

// Which store belongs to which workspace folder: host-wide, used by every surface folder.

/** A workspace folder's run store, as views and commands see it. */
export interface StoreFolder {
  readonly name: string;
  readonly store: StoreClient;
}

/** The store folder of a workspace folder: `runlog.storeDir` (relative to the folder) or `.runlog`. */
export function storeDirFor(folder: vscode.WorkspaceFolder): string {
  return resolveStoreDir(
    folder.uri.fsPath,
    vscode.workspace.getConfiguration('runlog', folder).get<string>('storeDir'),
  );
}
