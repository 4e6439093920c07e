import * as vscode from 'vscode';
import { endNotice } from '../runs/runPresentation';
import { RunTransitions } from '../runs/runTransitions';
import type { RunRecord } from '../store/types';
import type { StoreClient } from '../store/storeClient';

/**
 * A notification when a run finishes or fails: "bright-owl finished · val_loss 0.213" with Open
 * Charts and Compare with Previous (the run of the same script and experiment before it). It covers
 * every run this window saw running or queued — launched here, from a terminal or by another
 * window — plus runs launched here that ended before their first change notice. Killed and
 * interrupted runs stay quiet: someone stopped them on purpose, or nothing finished.
 * `runlog.notifications` turns them off.
 */
export class RunNotifications {
  private readonly transitions = new RunTransitions();

  /** A run this window launched: reported even if the first news of it is its end. */
  expect(dir: string, runId: string): void {
    this.transitions.expect(dir, runId);
  }

  /** Called with each store change notice (the runs whose journals changed). */
  async changed(dir: string, store: StoreClient, runIds: readonly string[]): Promise<void> {
    if (runIds.length === 0) return;
    const { runs } = await store.call('listRuns', { runIds, deleted: 'all' });
    const present = new Set(runs.map((r) => r.id));
    this.transitions.forget(
      dir,
      runIds.filter((id) => !present.has(id)),
    );
    const ended = this.transitions.update(dir, runs);
    if (!vscode.workspace.getConfiguration('runlog').get<boolean>('notifications', true)) return;
    for (const run of ended) {
      if (run.status === 'FINISHED' || run.status === 'FAILED') await this.notify(store, run);
    }
  }

  private async notify(store: StoreClient, run: RunRecord): Promise<void> {
    const [metrics, previous] = await Promise.all([
      store.call('metricSummaries', [run.id]).then((rows) => rows[0]?.[1] ?? []),
      previousRun(store, run),
    ]);
    const keyMetric = vscode.workspace.getConfiguration('runlog').get<string>('keyMetric', '');
    const text = `Runlog: ${endNotice(run, metrics, keyMetric)}`;
    const charts = 'Open Charts';
    const compare = 'Compare with Previous';
    const buttons = previous ? [charts, compare] : [charts];
    const show = run.status === 'FAILED' ? vscode.window.showErrorMessage : vscode.window.showInformationMessage;
    // Not awaited: a notification waits for a click that may never come.
    void show(text, ...buttons).then((choice) => {
      if (choice === charts) return vscode.commands.executeCommand('runlog.openCharts', { runIds: [run.id] });
      if (choice === compare && previous)
        return vscode.commands.executeCommand('runlog.compareRuns', { runIds: [previous.id, run.id] });
      return undefined;
    });
  }
}

/** The latest run of the same experiment and entry point (script) that started before `run`. */
export async function previousRun(store: StoreClient, run: RunRecord): Promise<RunRecord | undefined> {
  const { runs } = await store.call('listRuns', {
    experimentIds: [run.experimentId],
    filter: `attributes.start_time < ${run.startTime}`,
    sort: { key: 'start_time', descending: true },
    limit: 50,
  });
  return runs.find((r) => r.id !== run.id && r.entryPoint === run.entryPoint);
}
