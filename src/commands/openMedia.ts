import type { MediaPanelDeps } from '../panels/mediaPanel';
import { MediaPanel } from '../panels/mediaPanel';
import type { StoreFolder } from '../workspaceStores';
import type { RunsSelection, RunsTarget } from './runTargets';
import { isRunIdsArg, resolveRunTargets } from './runTargets';

/**
 * `Runlog: Open Media` on the runs selected in the Runs view (`(node, nodes)`) or given by id
 * (`{ runIds, keys? }`: a hover's link names the key to scroll to); called without arguments,
 * `onRuns` chose them.
 */
export async function openMedia(
  deps: MediaPanelDeps,
  folders: () => readonly StoreFolder[],
  first?: RunsTarget,
  selected?: RunsSelection,
): Promise<MediaPanel | undefined> {
  const refs = await resolveRunTargets(first, selected, folders);
  if (refs.length === 0) return undefined;
  return MediaPanel.show(deps, refs, isRunIdsArg(first) ? first.keys?.[0] : undefined);
}
