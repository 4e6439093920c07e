import * as vscode from 'vscode';
import { runCodeText } from '../runs/compareSnapshot';
import type { StoreFolder } from '../workspaceStores';
import { findRun } from '../panels/comparePanel';
import type { RunsSelection, RunsTarget } from './runTargets';
import { resolveRunTargets } from './runTargets';

/** Read-only documents `runlog-code:/<run id>/<name>.diff`: a run's commit, patch and untracked files. */
export const RUN_CODE_SCHEME = 'runlog-code';

export function runCodeUri(runId: string, name: string): vscode.Uri {
  // The name only titles the tab; the run id (first segment) is what the provider reads.
  const safeName = name.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'run';
  return vscode.Uri.from({ scheme: RUN_CODE_SCHEME, path: `/${encodeURIComponent(runId)}/${safeName}.diff` });
}

export class RunCodeDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly folders: () => readonly StoreFolder[]) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const runId = decodeURIComponent(uri.path.split('/')[1] ?? '');
    const run = await findRun(this.folders(), runId);
    return run ? runCodeText(run) : `# Run ${runId} is no longer in the store.\n`;
  }

  /**
   * The diff editor between two runs' code. Each side holds a run's commit line, its uncommitted
   * changes and its untracked sources, so the diff shows what differed beyond the commits (which
   * the first lines name).
   */
  async diff(left: string, right: string): Promise<void> {
    const folders = this.folders();
    const [a, b] = await Promise.all([findRun(folders, left), findRun(folders, right)]);
    if (!a || !b) {
      void vscode.window.showWarningMessage('Runlog: one of these runs is no longer in the store.');
      return;
    }
    await vscode.commands.executeCommand(
      'vscode.diff',
      runCodeUri(a.id, a.name),
      runCodeUri(b.id, b.name),
      `Code: ${a.name} ↔ ${b.name}`,
      { preview: true },
    );
  }
}

/** `Diff Code of Two Runs`: the two runs selected in the Runs view, or `{ runIds: [a, b] }`. */
export async function diffRunCode(
  documents: RunCodeDocuments,
  folders: () => readonly StoreFolder[],
  first?: RunsTarget,
  selected?: RunsSelection,
): Promise<void> {
  const refs = await resolveRunTargets(first, selected, folders);
  if (refs.length !== 2) {
    void vscode.window.showInformationMessage('Runlog: select exactly two runs to diff their code.');
    return;
  }
  await documents.diff(refs[0].runId, refs[1].runId);
}
