import * as vscode from 'vscode';
import type { StoreFolder } from '../workspaceStores';
import type { Launcher } from './launcher';
import { resolveRunTargets } from './runTargets';

/**
 * `Runlog: Stop Run`: stops running runs (SIGINT, then terminate after a grace period; they end
 * KILLED) or cancels queued ones: the clicked run or the Runs view's selection, a run id (the
 * status bar's list), or `{ runIds }`; from the palette, `onRuns` chose them among the runs this
 * window launched (extension.ts).
 */
export async function stopRun(
  launcher: Launcher,
  folders: () => readonly StoreFolder[],
  first?: unknown,
  selected?: unknown,
): Promise<void> {
  const refs = await resolveRunTargets(typeof first === 'string' ? { runIds: [first] } : first, selected, folders);
  const { running, waiting } = launcher.active;
  const ours = new Set([...running, ...waiting]);
  await Promise.all(refs.filter((ref) => ours.has(ref.runId)).map((ref) => launcher.stop(ref.runId)));
  // Runs that are still going but not from here: say why they keep going (ended ones need no word).
  const elsewhere = await Promise.all(
    refs
      .filter((ref) => !ours.has(ref.runId))
      .map(async (ref) => (await ref.store.call('getRun', ref.runId).catch(() => undefined))?.status),
  );
  if (elsewhere.some((status) => status === 'RUNNING' || status === 'QUEUED')) {
    void vscode.window.showWarningMessage(
      'Runlog can stop only runs launched from this window; this one was started elsewhere (a terminal, another window).',
    );
  }
}
