import * as vscode from 'vscode';
import type { RunsTreeNode, StoreFolder } from '../views/runsTreeProvider';
import type { Launcher } from './launcher';

/**
 * `Runlog: Stop Run`: stops a running run (SIGINT, then terminate after a grace period; it ends
 * KILLED) or cancels a queued one. From the Runs view it acts on the clicked run; from the palette
 * it offers the runs this window launched.
 */
export async function stopRun(
  launcher: Launcher,
  folders: () => readonly StoreFolder[],
  target?: unknown,
): Promise<void> {
  let runId: string | undefined;
  if (typeof target === 'string') runId = target;
  else if ((target as RunsTreeNode | undefined)?.kind === 'run')
    runId = (target as Extract<RunsTreeNode, { kind: 'run' }>).run.id;
  if (!runId) {
    const { running, waiting } = launcher.active;
    if (running.length + waiting.length === 0) {
      void vscode.window.showInformationMessage('Runlog: no run launched from this window is running or queued.');
      return;
    }
    const names = new Map<string, string>();
    for (const folder of folders()) {
      for (const id of [...running, ...waiting]) {
        const run = await folder.store.call('getRun', id).catch(() => undefined);
        if (run) names.set(id, run.name);
      }
    }
    const picked = await vscode.window.showQuickPick(
      [
        ...running.map((id) => ({ id, label: `$(sync~spin) ${names.get(id) ?? id}`, description: 'running' })),
        ...waiting.map((id) => ({ id, label: `$(clock) ${names.get(id) ?? id}`, description: 'queued' })),
      ],
      { title: 'Runlog: Stop Run', placeHolder: 'The run to stop (or the queued run to cancel)' },
    );
    runId = picked?.id;
  }
  if (!runId) return;
  if (!(await launcher.stop(runId))) {
    void vscode.window.showWarningMessage(
      'Runlog can stop only runs launched from this window; this one was started elsewhere (a terminal, another window).',
    );
  }
}
