import type { App } from '../app/app';
import type { StoreFolder } from '../workspaceStores';
import type { Launcher } from './launcher';
import type { RunsSelection, RunsTarget } from './runTargets';
import { resolveRunTargets } from './runTargets';

/** What Stop Run needs of the launcher: the runs it runs or queues, and stopping one. */
export type RunControl = Pick<Launcher, 'active' | 'stop'>;

/**
 * `Runlog: Stop Run`: stops running runs (SIGINT, then terminate after a grace period; they end
 * KILLED) or cancels queued ones: the clicked run or the Runs view's selection, a run id (the
 * status bar's list), or `{ runIds }`; from the palette, the registry chose them among the runs
 * this window launched (src/app/commands.ts).
 */
export async function stopRun(
  app: App,
  launcher: RunControl,
  folders: () => readonly StoreFolder[],
  first?: RunsTarget | string,
  selected?: RunsSelection,
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
    void app.showWarningMessage(
      'Runlog can stop only runs launched from this window; this one was started elsewhere (a terminal, another window).',
    );
  }
}
