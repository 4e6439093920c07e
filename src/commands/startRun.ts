import * as path from 'node:path';
import * as vscode from 'vscode';
import { findPythonScripts, pickInterpreter } from '../runs/launch';

const EXCLUDE = '{**/node_modules/**,**/.venv/**,**/venv/**,**/.runlog/**,**/site-packages/**,**/.git/**}';

/**
 * `Runlog: Start Run…`: picks a Python script and runs it as a VS Code task, so its output streams
 * into the terminal panel. The environment names the store, so the Runlog client logs into it.
 */
export async function startRun(
  storeDirFor: (folder: vscode.WorkspaceFolder) => string,
  target?: vscode.Uri,
): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    const manage = 'Manage Workspace Trust';
    const choice = await vscode.window.showWarningMessage(
      'Runlog cannot start a run in a restricted workspace: launching a training script runs its code. Trust this workspace to launch runs; browsing runs keeps working.',
      manage,
    );
    if (choice === manage) await vscode.commands.executeCommand('workbench.trust.manage');
    return;
  }
  const script = target ?? (await pickScript());
  if (!script) return;
  const folder = vscode.workspace.getWorkspaceFolder(script);
  if (!folder) {
    void vscode.window.showErrorMessage(
      `Runlog runs scripts that are inside the open workspace; ${script.fsPath} is not.`,
    );
    return;
  }
  const configured = vscode.workspace.getConfiguration('runlog', folder).get<string>('pythonPath');
  const python = pickInterpreter(configured, process.platform);
  const relative = path.relative(folder.uri.fsPath, script.fsPath);
  const execution = new vscode.ProcessExecution(python, [script.fsPath], {
    cwd: folder.uri.fsPath,
    env: { RUNLOG_DIR: storeDirFor(folder), PYTHONUNBUFFERED: '1' },
  });
  const task = new vscode.Task({ type: 'runlog', script: relative }, folder, `Run ${relative}`, 'runlog', execution);
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated };
  await vscode.tasks.executeTask(task);
}

async function pickScript(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document;
  const files = await vscode.workspace.findFiles('**/*.py', EXCLUDE, 2000);
  const scripts = await findPythonScripts(
    files.map((f) => f.fsPath),
    async (file) => new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(file))),
  );
  if (active?.languageId === 'python' && active.uri.scheme === 'file' && !scripts.includes(active.uri.fsPath)) {
    scripts.unshift(active.uri.fsPath);
  }
  if (scripts.length === 0) {
    void vscode.window.showInformationMessage(
      'Runlog found no Python training script (a file with an `if __name__ == "__main__":` block) in this workspace.',
    );
    return undefined;
  }
  const activePath = active?.uri.fsPath;
  scripts.sort((a, b) => Number(b === activePath) - Number(a === activePath) || a.localeCompare(b));
  const picked = await vscode.window.showQuickPick(
    scripts.map((file) => ({
      label: path.basename(file),
      description: vscode.workspace.asRelativePath(file),
      file,
    })),
    { title: 'Runlog: Start Run', placeHolder: 'Pick the training script to run' },
  );
  return picked ? vscode.Uri.file(picked.file) : undefined;
}
