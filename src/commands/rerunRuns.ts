import * as vscode from 'vscode';
import { RERUN_OF_TAG, rerunPlan } from '../runs/rerun';
import type { Launcher } from './launcher';
import type { RunRef } from './runTargets';

/**
 * `Rerun`: launches each selected run's script (or MLproject entry point) again with the params it
 * recorded, through the launcher (queue, task, git state). Returns the ids of the new runs.
 */
export async function rerunRuns(launcher: Launcher, targets: readonly RunRef[]): Promise<string[]> {
  const launched: string[] = [];
  for (const ref of targets) {
    const run = await ref.store.call('getRun', ref.runId);
    if (!run) continue;
    const plan = rerunPlan(run);
    try {
      switch (plan.kind) {
        case 'none':
          void vscode.window.showWarningMessage(`Runlog: ${plan.reason}`);
          break;
        case 'script':
          launched.push(
            ...(await launcher.launchWith(vscode.Uri.file(plan.script), { values: plan.values, extra: [] }, false, {
              tags: { [RERUN_OF_TAG]: run.id },
            })),
          );
          break;
        case 'entryPoint':
          launched.push(
            ...(await launcher.launchEntryPoint(
              vscode.Uri.file(plan.mlproject),
              plan.name,
              { values: plan.values, extra: [] },
              { tags: { [RERUN_OF_TAG]: run.id } },
            )),
          );
          break;
      }
    } catch (error) {
      void vscode.window.showErrorMessage(`Runlog could not rerun ${run.name}: ${(error as Error).message}`);
    }
  }
  return launched;
}
