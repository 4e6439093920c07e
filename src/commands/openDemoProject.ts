import * as vscode from 'vscode';

/**
 * Copies the demo project shipped with the extension into the extension's global storage (once;
 * later runs keep the user's edits and runs) and returns where it is.
 */
export async function prepareDemoProject(extensionUri: vscode.Uri, storageUri: vscode.Uri): Promise<vscode.Uri> {
  const source = vscode.Uri.joinPath(extensionUri, 'examples');
  const target = vscode.Uri.joinPath(storageUri, 'demo-project');
  try {
    await vscode.workspace.fs.stat(target);
  } catch {
    await vscode.workspace.fs.createDirectory(storageUri);
    await vscode.workspace.fs.copy(source, target, { overwrite: false });
  }
  return target;
}

/** `Runlog: Open the Demo Project`: opens a copy of the demo in a new window. */
export async function openDemoProject(extensionUri: vscode.Uri, storageUri: vscode.Uri): Promise<void> {
  try {
    const folder = await prepareDemoProject(extensionUri, storageUri);
    await vscode.commands.executeCommand('vscode.openFolder', folder, { forceNewWindow: true });
  } catch (error) {
    void vscode.window.showErrorMessage(`Runlog could not open the demo project: ${(error as Error).message}`);
  }
}
