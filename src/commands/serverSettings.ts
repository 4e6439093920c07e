import * as vscode from 'vscode';
import type { ServerEntry, ServerSettings } from './trackingServers';

/** `runlog.servers` (kept in the user's settings: a server is the team's, not a folder's) and `runlog.autoPush`. */
export const vscodeServerSettings: ServerSettings = {
  servers: () => vscode.workspace.getConfiguration('runlog').get<unknown>('servers'),
  setServers: (servers: readonly ServerEntry[]) =>
    vscode.workspace.getConfiguration('runlog').update(
      'servers',
      servers.map(({ name, uri }) => ({ name, uri })),
      vscode.ConfigurationTarget.Global,
    ),
  autoPush: () => vscode.workspace.getConfiguration('runlog').get<unknown>('autoPush'),
  setAutoPush: (names: readonly string[]) =>
    vscode.workspace.getConfiguration('runlog').update('autoPush', [...names], vscode.ConfigurationTarget.Global),
};
