import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RunsTreeNode } from '../views/runsTreeProvider';

type RunNode = Extract<RunsTreeNode, { kind: 'run' }>;

function runNode(target: unknown): RunNode | undefined {
  return (target as RunsTreeNode | undefined)?.kind === 'run' ? (target as RunNode) : undefined;
}

/** The run's folder in its store: `<store>/runs/<run-id>`. */
async function runFolder(node: RunNode): Promise<string> {
  const { dir } = await node.store.call('status');
  return join(dir, 'runs', node.run.id);
}

/** `Copy Run ID` on a run in the Runs view. */
export async function copyRunId(target: unknown): Promise<void> {
  const node = runNode(target);
  if (node) await vscode.env.clipboard.writeText(node.run.id);
}

/** `Open Output Log`: the output a launched run printed (its output.log artifact). */
export async function openOutputLog(target: unknown): Promise<void> {
  const node = runNode(target);
  if (!node) return;
  const file = join(await runFolder(node), 'artifacts', 'output.log');
  if (!existsSync(file)) {
    void vscode.window.showInformationMessage(
      `Runlog: ${node.run.name} has no output log: only runs launched from the editor keep one.`,
    );
    return;
  }
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
}

/** `Reveal Run Folder`: the run's folder (journal and artifacts) in the Explorer, or the system's file manager. */
export async function revealRun(target: unknown): Promise<void> {
  const node = runNode(target);
  if (!node) return;
  const folder = vscode.Uri.file(await runFolder(node));
  const inWorkspace = vscode.workspace.getWorkspaceFolder(folder) !== undefined;
  await vscode.commands.executeCommand(inWorkspace ? 'revealInExplorer' : 'revealFileInOS', folder);
}
