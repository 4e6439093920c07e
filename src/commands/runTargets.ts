import type { StoreClient } from '../store/storeClient';
import type { RunsTreeNode, StoreFolder } from '../views/runsTreeProvider';

/** A run and the store that holds it. */
export interface RunRef {
  readonly store: StoreClient;
  readonly runId: string;
}

/**
 * What run commands (Open Charts, Compare, Rename, Delete, …) accept as arguments:
 * - from the Runs view: the clicked node and the multi-selection (`(node, nodes[])`);
 * - from hovers, notifications and other code: `{ runIds: [...] }` (optionally with metric `keys`).
 */
export interface RunIdsArg {
  readonly runIds: readonly string[];
  readonly keys?: readonly string[];
}

export function isRunIdsArg(value: unknown): value is RunIdsArg {
  const ids = (value as { runIds?: unknown } | null)?.runIds;
  return Array.isArray(ids) && ids.every((id) => typeof id === 'string');
}

function runNodes(first: unknown, selected: unknown): Extract<RunsTreeNode, { kind: 'run' }>[] {
  const nodes = Array.isArray(selected) && selected.length > 0 ? (selected as unknown[]) : [first];
  return nodes.filter(
    (n): n is Extract<RunsTreeNode, { kind: 'run' }> => (n as RunsTreeNode | undefined)?.kind === 'run',
  );
}

/**
 * The runs a command was invoked on, in the order given, without duplicates. Ids that no store
 * knows are dropped (a run deleted in the meantime).
 */
export async function resolveRunTargets(
  first: unknown,
  selected: unknown,
  folders: () => readonly StoreFolder[],
): Promise<RunRef[]> {
  const seen = new Set<string>();
  const unique = (refs: RunRef[]): RunRef[] =>
    refs.filter((ref) => (seen.has(ref.runId) ? false : (seen.add(ref.runId), true)));
  if (!isRunIdsArg(first)) return unique(runNodes(first, selected).map((n) => ({ store: n.store, runId: n.run.id })));
  const stores = folders().map((f) => f.store);
  const found = await Promise.all(
    first.runIds.map(async (runId) => {
      for (const store of stores) {
        const run = await store.call('getRun', runId).catch(() => undefined);
        if (run) return { store, runId };
      }
      return undefined;
    }),
  );
  return unique(found.filter((ref): ref is RunRef => ref !== undefined));
}
