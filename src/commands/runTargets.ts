import type { RunStatus } from '../store/events';
import type { ModelVersion, RunRecord } from '../store/types';
import type { StoreClient } from '../store/storeClient';
import type { ModelsTreeNode } from '../views/modelsTreeProvider';
import type { RunsTreeNode } from '../views/runsTreeProvider';
import type { StoreFolder } from '../workspaceStores';

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

/** What a run command is invoked on: a Runs view node (with the multi-selection), or `{ runIds }`. */
export type RunsTarget = RunsTreeNode | RunIdsArg;
/** The Runs view's selection as a context menu passes it (nodes of any kind; only runs count). */
export type RunsSelection = readonly RunsTreeNode[];

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

/**
 * What a command that acts on runs (or model versions) acts on when it is called without
 * arguments (the Command Palette, a key binding): the rule every such command follows.
 */
export interface TargetChoice<T> {
  /** What is selected in the command's view now (VS Code keeps the selection while the palette is open). */
  readonly selection: () => readonly T[];
  /** What a pick offers instead, newest first. */
  readonly recent: () => Promise<readonly T[]>;
  /** Asks the user, `preselected` already chosen; resolves with the choice ([] when dismissed). */
  readonly pick: (candidates: readonly T[], preselected: readonly T[]) => Promise<readonly T[]>;
}

/**
 * The view's selection when it holds anything the command acts on; otherwise a pick of the recent
 * ones with the newest `preselect` of them already chosen, so Enter acts on the latest run.
 */
export async function chooseTargets<T>(choice: TargetChoice<T>, preselect: number): Promise<T[]> {
  const selected = choice.selection();
  if (selected.length > 0) return [...selected];
  const candidates = await choice.recent();
  return [...(await choice.pick(candidates, candidates.slice(0, preselect)))];
}

/**
 * A command handler `(first, selected, ...rest)` that, called without arguments, is called with
 * the targets `choose` found as its arguments instead (and not at all when there are none).
 * Called with arguments — from a view's context menu, a hover's link, other code — it runs as is.
 */
export function withTargets<T, R>(
  choose: () => Promise<T[]>,
  asArguments: (targets: T[]) => [first: unknown, selected: unknown],
  handler: (first: unknown, selected: unknown, ...rest: unknown[]) => R | Promise<R>,
): (first?: unknown, selected?: unknown, ...rest: unknown[]) => Promise<R | undefined> {
  return async (first, selected, ...rest) => {
    if (first !== undefined || selected !== undefined) return handler(first, selected, ...rest);
    const targets = await choose();
    return targets.length > 0 ? handler(...asArguments(targets), ...rest) : undefined;
  };
}

/** A run a pick offers, with what it shows of it. */
export interface RunCandidate {
  readonly ref: RunRef;
  readonly run: RunRecord;
}

/** Which runs a run command offers when it has to ask, and how. */
export interface RunPickOptions {
  readonly title: string;
  /** Several runs (a multi-select pick) or one. */
  readonly many: boolean;
  /** How many of the newest runs the pick has chosen already (Compare: 2); 1 when omitted. */
  readonly preselect?: number;
  /** Only runs in these states (Stop: running and queued). */
  readonly statuses?: readonly RunStatus[];
  /** Runs in the trash instead of the others (Restore). */
  readonly deleted?: boolean;
  /** Only the runs this window launched and still runs or queues (Stop). */
  readonly launchedHere?: boolean;
  /** Only runs this command can act on (Unpin: pinned runs). */
  readonly only?: (run: RunRecord) => boolean;
}

/** Where run commands find their runs: the stores, the Runs view's selection, and a pick. */
export interface RunChooser {
  readonly folders: () => readonly StoreFolder[];
  /** The Runs view's selection (tree nodes of any kind). */
  readonly selection: () => readonly unknown[];
  /** Whether this window launched the run and still runs or queues it (`launchedHere` options). */
  readonly launchedHere?: (runId: string) => boolean;
  readonly pick: (
    candidates: readonly RunCandidate[],
    preselected: readonly RunCandidate[],
    options: RunPickOptions,
  ) => Promise<readonly RunCandidate[]>;
}

/** How many recent runs a pick offers. */
export const RECENT_RUNS = 200;

/** The most recent runs of every store that fit `options`, newest first. */
async function recentRuns(chooser: RunChooser, options: RunPickOptions): Promise<RunCandidate[]> {
  const pages = await Promise.all(
    chooser.folders().map(async ({ store }) => {
      const page = await store
        .call('listRuns', {
          sort: { key: 'start_time', descending: true },
          limit: RECENT_RUNS,
          ...(options.statuses ? { statuses: options.statuses } : {}),
          ...(options.deleted ? { deleted: 'deleted' as const } : {}),
        })
        .catch(() => ({ runs: [], total: 0 }));
      return page.runs.map((run) => ({ ref: { store, runId: run.id }, run }));
    }),
  );
  return pages
    .flat()
    .filter(({ run }) => chosenBy(chooser, run, options))
    .sort((a, b) => b.run.startTime - a.run.startTime)
    .slice(0, RECENT_RUNS);
}

/**
 * Whether a run is one `options` lets the command act on, by what the run records (its status, the
 * trash, `only`). The Runs view's context menus offer each command on such runs only
 * (test/unit/commands/contributions.test.ts holds package.json to this).
 */
export function fits(run: RunRecord, options: RunPickOptions): boolean {
  return (
    (!options.statuses || options.statuses.includes(run.status)) &&
    (options.deleted === undefined || run.deleted === options.deleted) &&
    (!options.only || options.only(run))
  );
}

/** `fits`, and launched here when the command asks for that. */
function chosenBy(chooser: RunChooser, run: RunRecord, options: RunPickOptions): boolean {
  return fits(run, options) && (!options.launchedHere || (chooser.launchedHere?.(run.id) ?? false));
}

/**
 * The runs a run command acts on when called without arguments: the runs selected in the Runs
 * view that it can act on, else the runs picked from the recent ones (the newest preselected).
 */
export function chooseRuns(chooser: RunChooser, options: RunPickOptions): Promise<RunRef[]> {
  const selection = (): RunCandidate[] => {
    const seen = new Set<string>();
    return runNodes(undefined, chooser.selection())
      .filter((node) => chosenBy(chooser, node.run, options) && !seen.has(node.run.id) && seen.add(node.run.id))
      .map((node) => ({ ref: { store: node.store, runId: node.run.id }, run: node.run }));
  };
  return chooseTargets<RunCandidate>(
    {
      selection: () => (options.many ? selection() : selection().slice(0, 1)),
      recent: () => recentRuns(chooser, options),
      pick: (candidates, preselected) => chooser.pick(candidates, preselected, options),
    },
    options.many ? (options.preselect ?? 1) : 1,
  ).then((chosen) => chosen.map((c) => c.ref));
}

/**
 * A run command's handler `(first, selected, ...rest)`; called without arguments it gets the
 * chosen runs as `{ runIds }`, which every run command accepts (see `resolveRunTargets`).
 */
export function onRuns<R>(
  chooser: RunChooser,
  options: RunPickOptions,
  handler: (first: unknown, selected: unknown, ...rest: unknown[]) => R | Promise<R>,
): (first?: unknown, selected?: unknown, ...rest: unknown[]) => Promise<R | undefined> {
  return withTargets(
    () => chooseRuns(chooser, options),
    (refs) => [{ runIds: refs.map((ref) => ref.runId) } satisfies RunIdsArg, undefined],
    handler,
  );
}

/** A model version a Models view command acts on: `{ name, version }` is what those commands accept. */
export interface VersionCandidate {
  readonly store: StoreClient;
  readonly name: string;
  readonly version: ModelVersion;
}

/** Where Models view commands find their versions: the stores, the view's selection, and a pick. */
export interface VersionChooser {
  readonly folders: () => readonly StoreFolder[];
  /** The Models view's selection (tree nodes of any kind). */
  readonly selection: () => readonly unknown[];
  readonly pick: (
    candidates: readonly VersionCandidate[],
    preselected: readonly VersionCandidate[],
    options: VersionPickOptions,
  ) => Promise<readonly VersionCandidate[]>;
}

/** How a Models view command asks for versions when it has to. */
export interface VersionPickOptions {
  readonly title: string;
  readonly many: boolean;
  /** How many of the newest versions the pick has chosen already (Compare Versions: 2); 1 when omitted. */
  readonly preselect?: number;
}

/** Every registered version of every store, the newest registration first. */
export async function recentVersions(folders: readonly StoreFolder[]): Promise<VersionCandidate[]> {
  const models = await Promise.all(
    folders.map(async ({ store }) =>
      (await store.call('registeredModels').catch(() => [])).flatMap((model) =>
        model.versions.map((version) => ({ store, name: model.name, version })),
      ),
    ),
  );
  return models.flat().sort((a, b) => b.version.created - a.version.created);
}

/**
 * A Models view command's handler `(first, selected, ...rest)`; called without arguments it gets
 * the versions selected in the Models view, else the ones picked (the newest preselected), as
 * `({ name, version }, [{ name, version }, …])`.
 */
export function onVersions<R>(
  chooser: VersionChooser,
  options: VersionPickOptions,
  handler: (first: unknown, selected: unknown, ...rest: unknown[]) => R | Promise<R>,
): (first?: unknown, selected?: unknown, ...rest: unknown[]) => Promise<R | undefined> {
  const selection = (): VersionCandidate[] =>
    chooser
      .selection()
      .filter(
        (node): node is Extract<ModelsTreeNode, { kind: 'version' }> => (node as ModelsTreeNode)?.kind === 'version',
      )
      .map((node) => ({ store: node.store, name: node.model, version: node.version }))
      .slice(0, options.many ? undefined : 1);
  const asArgument = (c: VersionCandidate): { name: string; version: number } => ({
    name: c.name,
    version: c.version.version,
  });
  return withTargets(
    () =>
      chooseTargets<VersionCandidate>(
        {
          selection,
          recent: () => recentVersions(chooser.folders()),
          pick: (candidates, preselected) => chooser.pick(candidates, preselected, options),
        },
        options.many ? (options.preselect ?? 1) : 1,
      ),
    (versions) => [asArgument(versions[0]), versions.map(asArgument)],
    handler,
  );
}
