import * as vscode from 'vscode';
import { formatMetricValue, formatRelativeTime } from '../runs/format';
import type { ComparePanels } from '../panels/comparePanels';
import type { StoreFolder } from '../views/runsTreeProvider';
import { resolveRunTargets } from './runTargets';

/** How many recent runs the quick pick offers when the command is run from the palette. */
const RECENT_RUNS = 200;

interface RunPick extends vscode.QuickPickItem {
  readonly runId: string;
}

async function pickRuns(folders: readonly StoreFolder[]): Promise<string[]> {
  const now = Date.now();
  const pages = await Promise.all(
    folders.map(async ({ store }) => {
      const page = await store
        .call('listRuns', { sort: { key: 'start_time', descending: true }, limit: RECENT_RUNS })
        .catch(() => ({ runs: [], total: 0 }));
      const summaries = new Map(
        await store
          .call(
            'metricSummaries',
            page.runs.map((r) => r.id),
          )
          .catch(() => []),
      );
      return page.runs.map((run) => ({ run, first: summaries.get(run.id)?.[0] }));
    }),
  );
  const items: RunPick[] = pages
    .flat()
    .sort((a, b) => b.run.startTime - a.run.startTime)
    .slice(0, RECENT_RUNS)
    .map(({ run, first }) => ({
      runId: run.id,
      label: run.name,
      description: [run.status.toLowerCase(), run.experiment, formatRelativeTime(run.startTime, now)].join(' · '),
      detail: first ? `${first.key} ${formatMetricValue(first.last)}` : undefined,
    }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage('Runlog: there are no runs to compare yet.');
    return [];
  }
  const picked = await vscode.window.showQuickPick(items, {
    canPickMany: true,
    title: 'Compare Runs',
    placeHolder: 'Pick the runs to compare',
    matchOnDescription: true,
  });
  return picked?.map((p) => p.runId) ?? [];
}

/**
 * `Runlog: Compare Runs`: the runs selected in the Runs view (`(node, selectedNodes)`), the runs
 * named by `{ runIds }`, or, with no argument, the runs picked from a list of recent ones.
 */
export async function compareRuns(
  panels: ComparePanels,
  folders: () => readonly StoreFolder[],
  first?: unknown,
  selected?: unknown,
): Promise<void> {
  const runIds =
    first === undefined
      ? await pickRuns(folders())
      : (await resolveRunTargets(first, selected, folders)).map((ref) => ref.runId);
  if (runIds.length === 0) {
    if (first !== undefined) void vscode.window.showInformationMessage('Runlog: none of these runs is in the store.');
    return;
  }
  panels.open(runIds);
}
