import * as vscode from 'vscode';
import { formatRelativeTime } from '../runs/format';
import type { ChartsPanelDeps } from '../panels/chartsPanel';
import { ChartsPanel } from '../panels/chartsPanel';
import type { StoreFolder } from '../views/runsTreeProvider';
import type { RunRef } from './runTargets';
import { resolveRunTargets } from './runTargets';

const RECENT = 100;

/** A multi-select quick pick of the most recent runs of every store, newest first. */
export async function pickRuns(folders: () => readonly StoreFolder[], title: string): Promise<RunRef[]> {
  const pages = await Promise.all(
    folders().map(async ({ name, store }) => {
      const page = await store
        .call('listRuns', { sort: { key: 'start_time', descending: true }, limit: RECENT })
        .catch(() => ({ runs: [], total: 0 }));
      return page.runs.map((run) => ({ folder: name, store, run }));
    }),
  );
  const now = Date.now();
  const items = pages
    .flat()
    .sort((a, b) => b.run.startTime - a.run.startTime)
    .slice(0, RECENT)
    .map((entry) => ({
      label: entry.run.name,
      description: `${entry.run.status.toLowerCase()} · ${formatRelativeTime(entry.run.startTime, now)}`,
      detail: folders().length > 1 ? `${entry.folder} · ${entry.run.experiment}` : entry.run.experiment,
      ref: { store: entry.store, runId: entry.run.id },
    }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage('Runlog: there are no runs yet. Start one with "Runlog: Start Run…".');
    return [];
  }
  const picked = await vscode.window.showQuickPick(items, { title, canPickMany: true, matchOnDescription: true });
  return (picked ?? []).map((item) => item.ref);
}

/** `Runlog: Open Charts` on the runs selected in the Runs view, given by id, or picked. */
export async function openCharts(
  deps: ChartsPanelDeps,
  folders: () => readonly StoreFolder[],
  first?: unknown,
  selected?: unknown,
): Promise<ChartsPanel | undefined> {
  let refs = first === undefined ? [] : await resolveRunTargets(first, selected, folders);
  if (refs.length === 0 && first === undefined) refs = await pickRuns(folders, 'Runlog: runs to chart');
  if (refs.length === 0) return undefined;
  return ChartsPanel.show(deps, refs);
}
