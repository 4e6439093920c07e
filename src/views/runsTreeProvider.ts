import * as vscode from 'vscode';
import type { MetricGoal } from '../../shared/metricGoal';
import { bestValue, metricGoal } from '../../shared/metricGoal';
import type { GpuUsage } from '../../shared/systemMetrics';
import type { PresentationSettings } from '../runs/runPresentation';
import { RUNS_PAGE } from '../runs/runPresentation';
import type {
  Experiment,
  ListRunsQuery,
  RunDetails,
  RunGrouping,
  RunRecord,
  LineageChange,
  MetricSummary,
  SortKey,
} from '../store/types';
import type { StoreClient } from '../store/storeClient';
import type { PushedTo } from '../sync/syncState';
import { pushedRuns } from '../sync/syncState';
import { REMOTE_TAG } from '../sync/syncTags';
import type { StoreFolder } from '../workspaceStores';
import { EXPERIMENT_ITEM, TRASH_ITEM, groupItem } from './contextValues';
import type { Section, ValueNode } from './runSections';
import { sectionValues, userTags } from './runSections';
import { runTreeItem, statusIcon } from './runsTreeItems';
import type { ServerTree, ServerTreeNode } from './serverTree';

export { RUNS_PAGE };
export type { RunFileRef } from './runSections';

export type RunsGrouping = 'experiment' | RunGrouping;

export interface RunsQuery {
  readonly filter?: string;
  readonly sort: {
    readonly key: SortKey;
    readonly descending: boolean;
    /** For a metric: its last value (default) or its lowest or highest (the metric's best). */
    readonly value?: 'last' | 'min' | 'max';
  };
  /** What the top level lists: experiments (the default), branches, commits or statuses. */
  readonly group?: RunsGrouping;
}

/** What a page of runs hangs under. */
export type RunsParent =
  | { readonly kind: 'experiment'; readonly store: StoreClient; readonly experiment: Experiment }
  | {
      readonly kind: 'group';
      readonly store: StoreClient;
      readonly by: RunGrouping;
      readonly value: string | null;
      readonly runCount: number;
    }
  | { readonly kind: 'trash'; readonly store: StoreClient; readonly runCount: number };

export type RunsTreeNode =
  | { readonly kind: 'folder'; readonly folder: StoreFolder }
  | RunsParent
  | {
      readonly kind: 'run';
      readonly store: StoreClient;
      readonly run: RunRecord;
      readonly metrics: readonly MetricSummary[];
      /** For the tooltip; absent where a command built the node. */
      readonly params?: Readonly<Record<string, string>>;
      /** Inputs that differ from those of the run it reran or reproduced. */
      readonly lineage?: LineageChange;
      /** What it used of its GPUs (its system metrics), for the tooltip. */
      readonly gpus?: readonly GpuUsage[];
      /** The server it was pulled from, or those it was pushed to. */
      readonly origin?: RunOrigin;
      /** Its Markdown note (the tag `mlflow.note.content`), for the tooltip. */
      readonly note?: string;
      /** Where the view lists it, and how many child runs it shows under it there. */
      readonly nested?: { readonly scope: RunsParent; readonly children: number };
    }
  | {
      readonly kind: 'more';
      readonly store: StoreClient;
      readonly parent: RunsParent;
      readonly offset: number;
      /** Paging through this run's children rather than the parent's top-level runs. */
      readonly under?: { readonly runId: string; readonly runCount: number };
    }
  | {
      readonly kind: 'section';
      readonly store: StoreClient;
      readonly runId: string;
      readonly section: Section;
    }
  | ValueNode
  | ServerTreeNode;

const SECTIONS = {
  params: ['Params', 'symbol-parameter'],
  metrics: ['Metrics', 'graph-line'],
  tags: ['Tags', 'tag'],
  git: ['Git', 'git-commit'],
  environment: ['Environment', 'server-environment'],
  artifacts: ['Artifacts', 'file'],
  models: ['Models', 'package'],
  inputs: ['Inputs', 'database'],
  problems: ['Journal problems', 'warning'],
} as const;

const GROUP_ICONS: Record<RunGrouping, string> = { branch: 'git-branch', commit: 'git-commit', status: 'pulse' };
const NO_GROUP: Record<RunGrouping, string> = {
  branch: '(no branch)',
  commit: '(no git)',
  status: '(no status)',
};

/**
 * The Runs view: experiments (or branches, commits, statuses) → runs → params, metrics, tags, git,
 * artifacts, inputs, and a Trash of deleted runs. Every read goes to the store worker when VS Code
 * asks for children (the view is visible), never at activation; an empty store yields no items,
 * which lets the welcome content show.
 */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** Run details fetched for expanded runs, dropped on refresh. */
  private readonly details = new Map<string, Promise<RunDetails | undefined>>();
  /** The view's query (the store's filter language), order and grouping; set through the view's toolbar. */
  private query: RunsQuery = { sort: { key: 'start_time', descending: true } };
  private settings: PresentationSettings = readSettings();
  /** The runs each store pushed, read once per refresh (`<store>/sync/`). */
  private readonly pushes = new Map<StoreClient, Promise<Map<string, PushedTo[]>>>();
  /** Each node's parent as the view last asked for it: what `reveal` walks up. */
  private readonly parents = new WeakMap<RunsTreeNode, RunsTreeNode>();

  constructor(
    private readonly folders: () => readonly StoreFolder[],
    private readonly onError: (message: string) => void,
    /** Says (or clears) why the view is empty when a filter hides every run. */
    private readonly onMessage: (message: string | undefined) => void = () => undefined,
    /** The roots of the team's tracking servers, after the workspace's. */
    private readonly servers?: ServerTree,
  ) {}

  /** Asks the tracking servers again (what they show), leaving the local stores alone. */
  refreshServers(): void {
    for (const root of this.servers?.shownRoots() ?? []) this.changed.fire(root);
  }

  refresh(): void {
    this.details.clear();
    this.pushes.clear();
    this.settings = readSettings();
    this.changed.fire(undefined);
  }

  get currentQuery(): RunsQuery {
    return this.query;
  }

  setQuery(query: RunsQuery): void {
    this.query = query;
    this.refresh();
  }

  async getChildren(node?: RunsTreeNode): Promise<RunsTreeNode[]> {
    const asked = this.folders().map((f) => f.store);
    try {
      const children = await this.children(node);
      if (node) for (const child of children) this.parents.set(child, node);
      return children;
    } catch (error) {
      // A store closed while it was asked (the store folder changed, and with it the stores): not
      // an error to show; the refresh that follows the change asks the new store.
      const current = this.folders().map((f) => f.store);
      const nodeStore = node && 'store' in node ? node.store : undefined;
      const stale = asked.some((s) => !current.includes(s)) || (nodeStore && !current.includes(nodeStore));
      if (!stale) this.onError(error instanceof Error ? error.message : String(error));
      return [];
    }
  }

  getParent(node: RunsTreeNode): RunsTreeNode | undefined {
    return this.parents.get(node);
  }

  /**
   * A run's node as the view shows it (under its experiment, group or the Trash, paging through
   * "Load more" as needed), or undefined when the view's filter hides it.
   */
  async findRun(runId: string): Promise<RunsTreeNode | undefined> {
    let where: { store: StoreClient; experimentId: number; deleted: boolean } | undefined;
    for (const { store } of this.folders()) {
      const run = await store.call('getRun', runId).catch(() => undefined);
      if (run) where = { store, experimentId: run.experimentId, deleted: run.deleted };
    }
    if (!where) return undefined;
    const queue = await this.getChildren();
    while (queue.length > 0) {
      const node = queue.shift() as RunsTreeNode;
      if (node.kind === 'run') {
        if (node.run.id === runId) return node;
        // A child run is listed under its parent: look among the children (not the sections).
        if (node.nested && node.nested.children > 0) {
          queue.push(...(await this.getChildren(node)).filter((n) => n.kind === 'run' || n.kind === 'more'));
        }
        continue;
      }
      if (node.kind === 'folder' && node.folder.store !== where.store) continue;
      if (node.kind === 'experiment' && (where.deleted || node.experiment.id !== where.experimentId)) continue;
      if (node.kind === 'group' && where.deleted) continue;
      if (node.kind === 'trash' && !where.deleted) continue;
      if (['folder', 'experiment', 'group', 'trash', 'more'].includes(node.kind))
        queue.push(...(await this.getChildren(node)));
    }
    return undefined;
  }

  private async children(node?: RunsTreeNode): Promise<RunsTreeNode[]> {
    if (!node) {
      const roots = await this.roots();
      const filter = this.query.filter;
      this.onMessage(filter && roots.length === 0 ? `No run matches the filter: ${filter}` : undefined);
      return [...roots, ...(this.servers?.roots() ?? [])];
    }
    return this.below(node);
  }

  /** The top level of the one workspace folder, or the folders that have runs when there are several. */
  private async roots(): Promise<RunsTreeNode[]> {
    const folders = this.folders();
    if (folders.length === 1 && folders[0]) return this.topLevel(folders[0].store);
    const withRuns = await Promise.all(
      folders.map(async (folder) => ((await this.topLevel(folder.store)).length > 0 ? folder : undefined)),
    );
    return withRuns.filter((f): f is StoreFolder => f !== undefined).map((folder) => ({ kind: 'folder', folder }));
  }

  private async below(node: RunsTreeNode): Promise<RunsTreeNode[]> {
    switch (node.kind) {
      case 'folder':
        return this.topLevel(node.folder.store);
      case 'experiment':
      case 'group':
      case 'trash':
        return this.runs(node, 0);
      case 'more':
        return this.runs(node.parent, node.offset, node.under);
      case 'run': {
        // Child runs (a grid search's candidates, nested start_run) first, then the run's own sections.
        const nested = node.nested;
        const children =
          nested && nested.children > 0
            ? await this.runs(nested.scope, 0, { runId: node.run.id, runCount: nested.children })
            : [];
        return [...children, ...(await this.sections(node.store, node.run.id))];
      }
      case 'section':
        return this.sectionValues(node);
      case 'value':
        return [...(node.children ?? [])];
      case 'remoteRun':
      case 'remoteProblem':
      case 'remoteEmpty':
        return [];
      case 'server':
      case 'remoteExperiment':
      case 'remoteMore':
        return this.servers ? this.servers.children(node, this.query.filter) : [];
    }
  }

  private filterQuery(): Pick<ListRunsQuery, 'filter'> {
    return this.query.filter ? { filter: this.query.filter } : {};
  }

  /** Experiments or groups, then the Trash when it holds runs. */
  private async topLevel(store: StoreClient): Promise<RunsTreeNode[]> {
    await store.ready;
    const by = this.query.group ?? 'experiment';
    const [nodes, trash] = await Promise.all([
      by === 'experiment' ? this.experiments(store) : this.groups(store, by),
      store.call('listRuns', { ...this.filterQuery(), deleted: 'deleted', limit: 0 }),
    ]);
    return trash.total > 0 ? [...nodes, { kind: 'trash', store, runCount: trash.total }] : nodes;
  }

  private async groups(store: StoreClient, by: RunGrouping): Promise<RunsTreeNode[]> {
    const groups = await store.call('runGroups', by, this.filterQuery());
    return groups.map((g) => ({ kind: 'group', store, by, value: g.value, runCount: g.runCount }));
  }

  private async experiments(store: StoreClient): Promise<RunsTreeNode[]> {
    const experiments = (await store.call('experiments')).filter((e) => e.runCount > 0);
    const filter = this.query.filter;
    if (!filter) return experiments.map((experiment) => ({ kind: 'experiment', store, experiment }));
    // With a filter, experiments show how many of their runs match, and those without a match hide.
    const counted = await Promise.all(
      experiments.map(async (experiment) => ({
        ...experiment,
        runCount: (await store.call('listRuns', { experimentIds: [experiment.id], filter, limit: 0 })).total,
      })),
    );
    return counted.filter((e) => e.runCount > 0).map((experiment) => ({ kind: 'experiment', store, experiment }));
  }

  /**
   * A page of the runs under an experiment or group (children under their parent run, where the
   * filter shows the parent too), of one run's children (`under`), or of the Trash (flat).
   */
  private async runs(
    parent: RunsParent,
    offset: number,
    under?: { readonly runId: string; readonly runCount: number },
  ): Promise<RunsTreeNode[]> {
    const { store } = parent;
    const where: ListRunsQuery =
      parent.kind === 'experiment'
        ? { experimentIds: [parent.experiment.id], pinnedFirst: true }
        : parent.kind === 'group'
          ? { group: { by: parent.by, value: parent.value }, pinnedFirst: true }
          : { deleted: 'deleted' };
    const nesting = parent.kind === 'trash' ? {} : { nesting: { parent: under?.runId ?? null } };
    const page = await store.call('listRuns', {
      ...where,
      ...nesting,
      ...this.filterQuery(),
      offset,
      limit: RUNS_PAGE,
      sort: this.query.sort,
    });
    const ids = page.runs.map((r) => r.id);
    const [summaries, values, changes, notes, usage, remotes, pushed] = await Promise.all([
      store.call('metricSummaries', ids),
      store.call('params', ids),
      store.call('lineage', ids),
      store.call('notes', ids),
      store.call('gpuUsage', ids),
      store.call('tagValues', ids, REMOTE_TAG),
      this.pushedBy(store),
    ]);
    const pulledFrom = new Map(remotes);
    const metrics = new Map(summaries);
    const params = new Map(values);
    const lineage = new Map(changes);
    const gpus = new Map(usage);
    const noteOf = new Map(notes);
    const nodes: RunsTreeNode[] = page.runs.map((run) => ({
      kind: 'run',
      store,
      run,
      metrics: metrics.get(run.id) ?? [],
      params: params.get(run.id) ?? {},
      ...(lineage.has(run.id) ? { lineage: lineage.get(run.id) } : {}),
      ...(gpus.has(run.id) ? { gpus: gpus.get(run.id) } : {}),
      ...(noteOf.has(run.id) ? { note: noteOf.get(run.id) } : {}),
      ...(page.children ? { nested: { scope: parent, children: page.children[run.id] ?? 0 } } : {}),
      ...originOf(pulledFrom.get(run.id), pushed.get(run.id)),
    }));
    if (offset + page.runs.length < page.total) {
      nodes.push({ kind: 'more', store, parent, offset: offset + page.runs.length, ...(under ? { under } : {}) });
    }
    return nodes;
  }

  private pushedBy(store: StoreClient): Promise<Map<string, PushedTo[]>> {
    let pushed = this.pushes.get(store);
    if (!pushed) {
      pushed = store
        .call('status')
        .then(({ dir }) => pushedRuns(dir))
        .catch(() => new Map<string, PushedTo[]>());
      this.pushes.set(store, pushed);
    }
    return pushed;
  }

  private detailsOf(store: StoreClient, runId: string): Promise<RunDetails | undefined> {
    let details = this.details.get(runId);
    if (!details) {
      details = store.call('getRun', runId);
      this.details.set(runId, details);
    }
    return details;
  }

  private async sections(store: StoreClient, runId: string): Promise<RunsTreeNode[]> {
    const run = await this.detailsOf(store, runId);
    if (!run) return [];
    const present: Record<keyof typeof SECTIONS, boolean> = {
      params: Object.keys(run.params).length > 0,
      metrics: run.metrics.length > 0,
      tags: userTags(run.tags).length > 0,
      git: run.git !== null,
      environment: run.environment !== null,
      artifacts: run.artifacts.length > 0,
      models: run.models.length > 0 || run.loggedModels.length > 0,
      inputs: run.inputs.length > 0,
      problems: run.rejected.length > 0,
    };
    return (Object.keys(SECTIONS) as (keyof typeof SECTIONS)[])
      .filter((section) => present[section])
      .map((section) => ({ kind: 'section', store, runId, section }));
  }

  private async sectionValues(node: Extract<RunsTreeNode, { kind: 'section' }>): Promise<RunsTreeNode[]> {
    const run = await this.detailsOf(node.store, node.runId);
    if (!run) return [];
    const needsDir = node.section === 'git' || node.section === 'artifacts';
    const dir = needsDir ? (await node.store.call('status')).dir : '';
    if (node.section !== 'metrics') return sectionValues(run, node.section, dir);
    const goals = vscode.workspace.getConfiguration('runlog').get<Record<string, MetricGoal>>('metricGoals', {});
    const steps = new Map(await node.store.call('extremeSteps', run.id));
    const best = new Map(
      run.metrics.map((m) => {
        const goal = metricGoal(m.key, goals);
        const at = steps.get(m.key);
        return [m.key, { value: bestValue(m, goal), step: (goal === 'min' ? at?.minStep : at?.maxStep) ?? null }];
      }),
    );
    return sectionValues(run, node.section, dir, best);
  }

  getTreeItem(node: RunsTreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'folder': {
        const item = new vscode.TreeItem(node.folder.name, vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = vscode.ThemeIcon.Folder;
        return item;
      }
      case 'experiment': {
        const { experiment } = node;
        const item = new vscode.TreeItem(experiment.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `experiment:${experiment.id}:${experiment.name}`;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.description = runCount(experiment.runCount);
        item.contextValue = EXPERIMENT_ITEM;
        return item;
      }
      case 'group': {
        const label =
          node.value === null ? NO_GROUP[node.by] : node.by === 'commit' ? node.value.slice(0, 12) : node.value;
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `group:${node.by}:${node.value ?? ''}`;
        item.iconPath =
          node.by === 'status' && node.value !== null
            ? statusIcon(node.value as RunRecord['status'])
            : new vscode.ThemeIcon(GROUP_ICONS[node.by]);
        item.description = runCount(node.runCount);
        if (node.value !== null) item.tooltip = node.value;
        item.contextValue = groupItem(node.by);
        return item;
      }
      case 'trash': {
        const item = new vscode.TreeItem('Trash', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = 'trash';
        item.iconPath = new vscode.ThemeIcon('trash');
        item.description = runCount(node.runCount);
        item.tooltip = 'Deleted runs: restore them, or delete them permanently.';
        item.contextValue = TRASH_ITEM;
        return item;
      }
      case 'run':
        return runTreeItem(node.run, node.metrics, this.settings, {
          params: node.params,
          lineage: node.lineage,
          note: node.note,
          children: node.nested?.children ?? 0,
          ...(node.gpus ? { gpus: node.gpus } : {}),
          ...(node.origin ? { origin: node.origin } : {}),
        });
      case 'more': {
        const item = new vscode.TreeItem('Load more runs…', vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        const total =
          node.under?.runCount ??
          (node.parent.kind === 'experiment' ? node.parent.experiment.runCount : node.parent.runCount);
        item.description = `${total - node.offset} more`;
        return item;
      }
      case 'section': {
        const [label, icon] = SECTIONS[node.section];
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `run:${node.runId}:${node.section}`;
        item.iconPath = new vscode.ThemeIcon(icon);
        return item;
      }
      case 'value': {
        const item = new vscode.TreeItem(
          node.label,
          node.children ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
        );
        item.description = node.value;
        if (node.id) item.id = node.id;
        item.tooltip = node.tooltip ?? `${node.label} = ${node.value}`;
        if (node.command) item.command = node.command;
        if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon);
        return item;
      }
      default:
        if (!this.servers) throw new Error(`no tracking servers to show ${node.kind}`);
        return this.servers.item(node);
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function readSettings(): PresentationSettings {
  const config = vscode.workspace.getConfiguration('runlog');
  return {
    keyMetric: config.get<string>('keyMetric', ''),
    goals: config.get<Record<string, MetricGoal>>('metricGoals', {}),
  };
}

function runCount(n: number): string {
  return `${n} run${n === 1 ? '' : 's'}`;
}

/** Where a run lives besides here: the server it was pulled from, or the servers it was pushed to. */
export interface RunOrigin {
  readonly pulledFrom?: string;
  readonly pushedTo: readonly PushedTo[];
}

function originOf(pulledFrom: string | undefined, pushedTo: readonly PushedTo[] | undefined): { origin?: RunOrigin } {
  if (pulledFrom === undefined && !pushedTo) return {};
  return { origin: { ...(pulledFrom !== undefined ? { pulledFrom } : {}), pushedTo: pushedTo ?? [] } };
}
