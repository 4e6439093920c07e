import * as vscode from 'vscode';
import type { Launcher } from './launcher';
import type { Relaunch } from './rerunRuns';

/** Rerun's and Reproduce Run's way into the launcher: the plan's script or entry point, with its values. */
export function relaunchWith(launcher: Launcher): Relaunch {
  return (plan, relocation) => {
    const chosen = { values: plan.values, extra: [] };
    return plan.kind === 'script'
      ? launcher.launchWith(vscode.Uri.file(plan.script), chosen, false, relocation)
      : launcher.launchEntryPoint(vscode.Uri.file(plan.mlproject), plan.name, chosen, relocation);
  };
}
