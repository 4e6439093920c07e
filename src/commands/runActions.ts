import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RunlogCommands } from '../app/commands';
import type { RunRecord } from '../store/types';
import type { StoreClient } from '../store/storeClient';
import type { StoreFolder } from '../workspaceStores';
import type { RunsSelection, RunsTarget } from './runTargets';
import { resolveRunTargets } from './runTargets';

/**
 * Open Output Log and Reveal Run Folder: a run's files in an editor, the Explorer or the system's
 * file manager. From the palette, the registry chose the run (src/app/commands.ts).
 */
export function runFileCommands(
  folders: () => readonly StoreFolder[],
): Pick<RunlogCommands, 'runlog.openOutputLog' | 'runlog.revealRun'> {
  return {
    'runlog.openOutputLog': (target, selected) => openOutputLog(folders, target, selected),
    'runlog.revealRun': (target, selected) => revealRun(folders, target, selected),
  };
}

/** The run a one-run command acts on: the clicked run (or the first selected), or the first of `{ runIds }`. */
async function targetRun(
  folders: () => readonly StoreFolder[],
  first: RunsTarget | undefined,
  selected: RunsSelection | undefined,
): Promise<{ store: StoreClient; run: RunRecord } | undefined> {
  const [ref] = await resolveRunTargets(first, selected, folders);
  const run = ref ? await ref.store.call('getRun', ref.runId) : undefined;
  return ref && run ? { store: ref.store, run } : undefined;
}

/** The run's folder in its store: `<store>/runs/<run-id>`. */
async function runFolder(store: StoreClient, run: RunRecord): Promise<string> {
  const { dir } = await store.call('status');
  return join(dir, 'runs', run.id);
}

/** `Open Output Log`: the output a launched run printed (its output.log artifact). */
async function openOutputLog(
  folders: () => readonly StoreFolder[],
  first: RunsTarget | undefined,
  selected: RunsSelection | undefined,
): Promise<void> {
  const target = await targetRun(folders, first, selected);
  if (!target) return;
  const file = join(await runFolder(target.store, target.run), 'artifacts', 'output.log');
  if (!existsSync(file)) {
    void vscode.window.showInformationMessage(
      `Runlog: ${target.run.name} has no output log: only runs launched from the editor keep one.`,
    );
    return;
  }
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
}

/** `Reveal Run Folder`: the run's folder (journal and artifacts) in the Explorer, or the system's file manager. */
async function revealRun(
  folders: () => readonly StoreFolder[],
  first: RunsTarget | undefined,
  selected: RunsSelection | undefined,
): Promise<void> {
  const target = await targetRun(folders, first, selected);
  if (!target) return;
  const folder = vscode.Uri.file(await runFolder(target.store, target.run));
  const inWorkspace = vscode.workspace.getWorkspaceFolder(folder) !== undefined;
  await vscode.commands.executeCommand(inWorkspace ? 'revealInExplorer' : 'revealFileInOS', folder);
}
