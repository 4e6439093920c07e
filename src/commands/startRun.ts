import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseMLproject } from '../params/mlproject';
import { findPythonScripts } from '../runs/trainingScripts';
import type { Launcher } from './launcher';

const EXCLUDE = '{**/node_modules/**,**/.venv/**,**/venv/**,**/.runlog/**,**/site-packages/**,**/.git/**}';

type Target = { readonly script: vscode.Uri } | { readonly mlproject: vscode.Uri; readonly entryPoint: string };

/**
 * `Runlog: Start Run…`: picks a Python training script or an MLproject entry point, then asks for
 * its parameters and launches.
 */
export async function startRun(launcher: Launcher, target?: vscode.Uri): Promise<string[]> {
  const picked: Target | undefined = target ? { script: target } : await pickTarget(true);
  if (!picked) return [];
  return 'script' in picked
    ? launcher.launch(picked.script, 'form')
    : launcher.launchEntryPoint(picked.mlproject, picked.entryPoint);
}

/** The script to act on: the argument, else the active Python editor, else one picked from the workspace. */
export async function scriptOf(target: unknown): Promise<vscode.Uri | undefined> {
  if (target instanceof vscode.Uri) return target;
  const active = vscode.window.activeTextEditor?.document;
  if (active?.languageId === 'python' && active.uri.scheme === 'file') return active.uri;
  const picked = await pickTarget(false);
  return picked && 'script' in picked ? picked.script : undefined;
}

async function read(uri: vscode.Uri): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

type Item = vscode.QuickPickItem & { readonly target: Target };

async function pickTarget(withEntryPoints: boolean): Promise<Target | undefined> {
  const active = vscode.window.activeTextEditor?.document;
  const [files, projects] = await Promise.all([
    vscode.workspace.findFiles('**/*.py', EXCLUDE, 2000),
    withEntryPoints ? vscode.workspace.findFiles('**/MLproject', EXCLUDE, 100) : Promise.resolve([]),
  ]);
  const scripts = await findPythonScripts(
    files.map((f) => f.fsPath),
    (file) => read(vscode.Uri.file(file)),
  );
  if (active?.languageId === 'python' && active.uri.scheme === 'file' && !scripts.includes(active.uri.fsPath)) {
    scripts.unshift(active.uri.fsPath);
  }
  const activePath = active?.uri.fsPath;
  scripts.sort((a, b) => Number(b === activePath) - Number(a === activePath) || a.localeCompare(b));
  const items: Item[] = scripts.map((file) => ({
    label: `$(file-code) ${path.basename(file)}`,
    description: vscode.workspace.asRelativePath(file),
    target: { script: vscode.Uri.file(file) },
  }));
  for (const project of projects) {
    try {
      for (const entryPoint of parseMLproject(await read(project)).entryPoints) {
        items.push({
          label: `$(package) ${entryPoint.name}`,
          description: `MLproject entry point · ${vscode.workspace.asRelativePath(project)}`,
          detail: entryPoint.command,
          target: { mlproject: project, entryPoint: entryPoint.name },
        });
      }
    } catch {
      // An unreadable MLproject offers nothing; its diagnostics say why.
    }
  }
  if (items.length === 0) {
    void vscode.window.showInformationMessage(
      'Runlog found no Python training script (a file with an `if __name__ == "__main__":` block) or MLproject entry point in this workspace.',
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Runlog: Start Run',
    placeHolder: 'Pick the training script or MLproject entry point to run',
    matchOnDescription: true,
  });
  return picked?.target;
}
