import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { notificationText } from '../mlruns/mlrunsSummary';
import { requirementsText } from '../runs/runEnvironment';
import type { RunDetails } from '../store/types';
import type { StoreFolder } from '../workspaceStores';
import type { RunsSelection, RunsTarget } from './runTargets';
import { resolveRunTargets } from './runTargets';

/** Where the file goes without asking (tests, and callers that chose already). */
export interface RequirementsOptions {
  readonly to?: string;
}

/**
 * `requirements.txt` beside the run's script when there is none there yet, else
 * `requirements-<run name>.txt`: a suggestion for the save dialog, never an overwrite by itself.
 */
function suggestedTarget(run: RunDetails): vscode.Uri | undefined {
  const inWorkspace = [run.source, run.cwd].find(
    (file) => file && vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file)),
  );
  const folder =
    (inWorkspace && (inWorkspace === run.source ? dirname(inWorkspace) : inWorkspace)) ??
    vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) return undefined;
  const plain = join(folder, 'requirements.txt');
  const safe = run.name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return vscode.Uri.file(existsSync(plain) ? join(folder, `requirements-${safe}.txt`) : plain);
}

/**
 * `Runlog: Write Run's requirements.txt…`: the packages the run's Python had (its `environment`
 * event) as `name==version` lines, so `pip install -r` rebuilds that environment. Returns the file
 * written, or undefined (no environment recorded, or the dialog cancelled).
 */
export async function writeRunRequirements(
  folders: () => readonly StoreFolder[],
  first?: RunsTarget,
  selected?: RunsSelection,
  options: RequirementsOptions = {},
): Promise<string | undefined> {
  const [ref] = await resolveRunTargets(first, selected, folders);
  const run = ref ? await ref.store.call('getRun', ref.runId) : undefined;
  if (!run) return undefined;
  if (!run.environment) {
    void vscode.window.showInformationMessage(
      notificationText(
        `Runlog: ${run.name} recorded no Python environment: only runs that log through the Python client (import runlog) do.`,
      ),
    );
    return undefined;
  }
  const target =
    options.to ??
    (
      await vscode.window.showSaveDialog({
        defaultUri: suggestedTarget(run),
        filters: { 'pip requirements': ['txt'] },
        title: `The packages ${run.name} ran with`,
      })
    )?.fsPath;
  if (!target) return undefined;
  await writeFile(target, requirementsText(run, run.environment));
  await vscode.window.showTextDocument(vscode.Uri.file(target), { preview: true });
  return target;
}
