import * as path from 'node:path';
import * as vscode from 'vscode';
import { findPythonScripts } from '../runs/launch';
import type { Launcher } from './launcher';

const EXCLUDE = '{**/node_modules/**,**/.venv/**,**/venv/**,**/.runlog/**,**/site-packages/**,**/.git/**}';

/** `Runlog: Start Run…`: picks a Python training script, then asks for its parameters and launches. */
export async function startRun(launcher: Launcher, target?: vscode.Uri): Promise<string[]> {
  const script = target ?? (await pickScript());
  return script ? launcher.launch(script, 'form') : [];
}

/** The script to act on: the argument, else the active Python editor, else one picked from the workspace. */
export async function scriptOf(target: unknown): Promise<vscode.Uri | undefined> {
  if (target instanceof vscode.Uri) return target;
  const active = vscode.window.activeTextEditor?.document;
  if (active?.languageId === 'python' && active.uri.scheme === 'file') return active.uri;
  return pickScript();
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
