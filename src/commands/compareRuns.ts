import * as vscode from 'vscode';
import type { ComparePanels } from '../panels/comparePanels';
import type { StoreFolder } from '../workspaceStores';
import type { RunsSelection, RunsTarget } from './runTargets';
import { resolveRunTargets } from './runTargets';

/**
 * `Runlog: Compare Runs`: the runs selected in the Runs view (`(node, selectedNodes)`) or named by
 * `{ runIds }`; called without arguments, `onRuns` chose them (extension.ts).
 */
export async function compareRuns(
  panels: ComparePanels,
  folders: () => readonly StoreFolder[],
  first?: RunsTarget,
  selected?: RunsSelection,
): Promise<void> {
  const runIds = (await resolveRunTargets(first, selected, folders)).map((ref) => ref.runId);
  if (runIds.length === 0) {
    void vscode.window.showInformationMessage('Runlog: none of these runs is in the store.');
    return;
  }
  panels.open(runIds);
}
