import type { ChartsPanelDeps } from '../panels/chartsPanel';
import { ChartsPanel } from '../panels/chartsPanel';
import type { StoreFolder } from '../workspaceStores';
import type { RunsSelection, RunsTarget } from './runTargets';
import { resolveRunTargets } from './runTargets';

/**
 * `Runlog: Open Charts` on the runs selected in the Runs view (`(node, nodes)`) or given by id
 * (`{ runIds }`); called without arguments, `onRuns` chose them (extension.ts).
 */
export async function openCharts(
  deps: ChartsPanelDeps,
  folders: () => readonly StoreFolder[],
  first?: RunsTarget,
  selected?: RunsSelection,
): Promise<ChartsPanel | undefined> {
  const refs = await resolveRunTargets(first, selected, folders);
  if (refs.length === 0) return undefined;
  return ChartsPanel.show(deps, refs);
}
