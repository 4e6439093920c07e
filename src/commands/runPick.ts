import * as vscode from 'vscode';
import { formatMetricValue, formatRelativeTime } from '../../shared/formatValue';
import { keyMetricOf } from '../runs/runPresentation';
import type { MetricSummary } from '../store/types';
import type { StoreClient } from '../store/storeClient';
import type { RunChooser, VersionChooser } from './runTargets';

type RunPick = RunChooser['pick'];
type VersionPick = VersionChooser['pick'];

/**
 * The quick pick of recent runs a run command opens when nothing is selected in the Runs view:
 * newest first, with the newest already chosen (checked in a multi-select pick, focused in a
 * single one), so Enter acts on the latest run.
 */
export function runPick(folderName: (store: StoreClient) => string | undefined): RunPick {
  return async (candidates, preselected, options) => {
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage(
        options.statuses
          ? 'Runlog: no run this command can act on is running or queued.'
          : options.deleted
            ? 'Runlog: the trash is empty.'
            : 'Runlog: there are no runs yet. Start one with "Runlog: Start Run…".',
      );
      return [];
    }
    const keyMetric = vscode.workspace.getConfiguration('runlog').get<string>('keyMetric', '');
    const metrics = new Map<string, readonly MetricSummary[]>();
    for (const store of new Set(candidates.map((c) => c.ref.store))) {
      const ids = candidates.filter((c) => c.ref.store === store).map((c) => c.ref.runId);
      for (const [id, list] of await store.call('metricSummaries', ids).catch(() => [])) metrics.set(id, list);
    }
    const now = Date.now();
    const chosen = new Set(preselected);
    const items = candidates.map((candidate) => {
      const { run } = candidate;
      const key = keyMetricOf(metrics.get(run.id) ?? [], keyMetric);
      const folder = folderName(candidate.ref.store);
      return {
        candidate,
        label: run.name,
        description: [run.status.toLowerCase(), run.experiment, formatRelativeTime(run.startTime, now)].join(' · '),
        detail: [folder, key ? `${key.key} ${formatMetricValue(key.last)}` : undefined]
          .filter((part) => part !== undefined)
          .join(' · '),
        picked: chosen.has(candidate),
      };
    });
    const common = { title: options.title, matchOnDescription: true, matchOnDetail: true };
    if (options.many) {
      const picked = await vscode.window.showQuickPick(items, { ...common, canPickMany: true });
      return (picked ?? []).map((item) => item.candidate);
    }
    // A single pick focuses its first item, the newest run.
    const picked = await vscode.window.showQuickPick(items, common);
    return picked ? [picked.candidate] : [];
  };
}

/** The quick pick of registered versions for a Models view command, the newest registration first and chosen. */
export const versionPick: VersionPick = async (candidates, preselected, options) => {
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage('Runlog: no model is registered yet (Register Model… on a run).');
    return [];
  }
  const now = Date.now();
  const chosen = new Set(preselected);
  const items = candidates.map((candidate) => ({
    candidate,
    label: `${candidate.name} v${candidate.version.version}`,
    description: [
      ...candidate.version.aliases.map((alias) => `@${alias}`),
      `registered ${formatRelativeTime(candidate.version.created, now)}`,
    ].join(' · '),
    picked: chosen.has(candidate),
  }));
  const common = { title: options.title, matchOnDescription: true };
  if (options.many) {
    const picked = await vscode.window.showQuickPick(items, { ...common, canPickMany: true });
    return (picked ?? []).map((item) => item.candidate);
  }
  const picked = await vscode.window.showQuickPick(items, common);
  return picked ? [picked.candidate] : [];
};
