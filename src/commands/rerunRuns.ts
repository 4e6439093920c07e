import type { App } from '../app/app';
import type { RerunPlan } from '../runs/rerun';
import { RERUN_OF_TAG, rerunPlan } from '../runs/rerun';
import type { Relocation } from '../runs/launchPlan';
import type { RunRef } from './runTargets';

/**
 * A recorded run's script or MLproject entry point launched again with its values, through the
 * launcher (queue, task, git state); resolves with the new runs' ids. Rerun and Reproduce Run use
 * it; relaunch.ts makes it from the Launcher.
 */
export type Relaunch = (plan: Exclude<RerunPlan, { kind: 'none' }>, relocation: Relocation) => Promise<string[]>;

/**
 * `Rerun`: launches each selected run's script (or MLproject entry point) again with the params it
 * recorded, tagged with the run it reruns. Returns the ids of the new runs.
 */
export async function rerunRuns(app: App, relaunch: Relaunch, targets: readonly RunRef[]): Promise<string[]> {
  const launched: string[] = [];
  for (const ref of targets) {
    const run = await ref.store.call('getRun', ref.runId);
    if (!run) continue;
    const plan = rerunPlan(run);
    if (plan.kind === 'none') {
      void app.showWarningMessage(`Runlog: ${plan.reason}`);
      continue;
    }
    try {
      launched.push(...(await relaunch(plan, { tags: { [RERUN_OF_TAG]: run.id } })));
    } catch (error) {
      void app.showErrorMessage(`Runlog could not rerun ${run.name}: ${(error as Error).message}`);
    }
  }
  return launched;
}
