import * as vscode from 'vscode';
import type { App, InputOptions, PickItem, PickOptions } from './app';

/** The `App` of the running extension: each call is the VS Code API call of the same name. */
export function vscodeApp(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): App {
  return {
    log,
    workspaceState: context.workspaceState,
    secrets: context.secrets,
    get isTrusted() {
      return vscode.workspace.isTrusted;
    },
    showInformationMessage: async (message, ...actions) => vscode.window.showInformationMessage(message, ...actions),
    showWarningMessage: async (message, ...actions) => vscode.window.showWarningMessage(message, ...actions),
    showErrorMessage: async (message, ...actions) => vscode.window.showErrorMessage(message, ...actions),
    confirm: async (message, action, detail) =>
      (await vscode.window.showWarningMessage(
        message,
        detail === undefined ? { modal: true } : { modal: true, detail },
        action,
      )) === action,
    showQuickPick: async <T extends PickItem>(items: readonly T[], options: PickOptions) =>
      vscode.window.showQuickPick([...items], options),
    showQuickPickMany: async <T extends PickItem>(items: readonly T[], options: PickOptions) =>
      vscode.window.showQuickPick([...items], { ...options, canPickMany: true }),
    showInputBox: async (options: InputOptions) => vscode.window.showInputBox(options),
    withProgress: async (title, task) =>
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title, cancellable: true },
        async (progress, token) => {
          const abort = new AbortController();
          const cancelled = token.onCancellationRequested(() => abort.abort());
          let shown = 0;
          try {
            return await task((message, done) => {
              const at = done === undefined ? shown : Math.min(100, Math.max(shown, done * 100));
              progress.report({ message, increment: at - shown });
              shown = at;
            }, abort.signal);
          } finally {
            cancelled.dispose();
          }
        },
      ),
    writeClipboard: async (text) => vscode.env.clipboard.writeText(text),
    executeCommand: async (command, ...args) => vscode.commands.executeCommand(command, ...args),
    registerCommand: (command, handler) => vscode.commands.registerCommand(command, handler),
  };
}
