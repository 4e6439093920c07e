import * as vscode from 'vscode';
import { formatMetricValue, formatRelativeTime } from '../runs/format';
import type { RunStatus } from '../store/events';
import type { Experiment, MetricSummary, RunDetails, RunRecord, SortKey } from '../store/runStore';
import type { StoreClient } from '../store/storeClient';

/** Runs per page under an experiment; the rest come through a "Load more" item. */
export const RUNS_PAGE = 200;

export interface RunsQuery {
  readonly filter?: string;
  readonly sort: { readonly key: SortKey; readonly descending: boolean };
}

export interface StoreFolder {
  readonly name: string;
  readonly store: StoreClient;
}

export type RunsTreeNode =
  | { readonly kind: 'folder'; readonly folder: StoreFolder }
  | { readonly kind: 'experiment'; readonly store: StoreClient; readonly experiment: Experiment }
  | {
      readonly kind: 'run';
      readonly store: StoreClient;
      readonly run: RunRecord;
      readonly metrics: readonly MetricSummary[];
    }
  | { readonly kind: 'more'; readonly store: StoreClient; readonly experiment: Experiment; readonly offset: number }
  | {
      readonly kind: 'section';
      readonly store: StoreClient;
      readonly runId: string;
      readonly section: 'params' | 'metrics' | 'git' | 'artifacts' | 'inputs' | 'problems';
    }
  | { readonly kind: 'value'; readonly label: string; readonly value: string; readonly tooltip?: string };

const STATUS_ICONS: Record<RunStatus, vscode.ThemeIcon> = {
  RUNNING: new vscode.ThemeIcon('sync~spin'),
  QUEUED: new vscode.ThemeIcon('clock'),
  FINISHED: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  FAILED: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  KILLED: new vscode.ThemeIcon('circle-slash'),
  INTERRUPTED: new vscode.ThemeIcon('debug-disconnect'),
};

const SECTIONS = {
  params: ['Params', 'symbol-parameter'],
  metrics: ['Metrics', 'graph-line'],
  git: ['Git', 'git-commit'],
  artifacts: ['Artifacts', 'file'],
  inputs: ['Inputs', 'database'],
  problems: ['Journal problems', 'warning'],
} as const;

/**
 * The Runs view: experiments → runs → params, metrics, git, artifacts, inputs. Every read goes to
 * the store worker when VS Code asks for children (the view is visible), never at activation; an
 * empty store yields no items, which lets the welcome content show.
 */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** Run details fetched for expanded runs, dropped on refresh. */
  private readonly details = new Map<string, Promise<RunDetails | undefined>>();
  /** The view's query (the store's filter language) and order; set through the view's toolbar. */
  private query: RunsQuery = { sort: { key: 'start_time', descending: true } };

  constructor(
    private readonly folders: () => readonly StoreFolder[],
    private readonly onError: (message: string) => void,
    /** Says (or clears) why the view is empty when a filter hides every run. */
    private readonly onMessage: (message: string | undefined) => void = () => undefined,
  ) {}

  refresh(): void {
    this.details.clear();
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
    try {
      return await this.children(node);
    } catch (error) {
      this.onError(error instanceof Error ? error.message : String(error));
      return [];
    }
  }

  private async children(node?: RunsTreeNode): Promise<RunsTreeNode[]> {
    if (!node) {
      const roots = await this.roots();
      const filter = this.query.filter;
      this.onMessage(filter && roots.length === 0 ? `No run matches the filter: ${filter}` : undefined);
      return roots;
    }
    return this.below(node);
  }

  /** Experiments of the one workspace folder, or the folders that have runs when there are several. */
  private async roots(): Promise<RunsTreeNode[]> {
    const folders = this.folders();
    if (folders.length === 1 && folders[0]) return this.experiments(folders[0].store);
    const withRuns = await Promise.all(
      folders.map(async (folder) => ((await this.experiments(folder.store)).length > 0 ? folder : undefined)),
    );
    return withRuns.filter((f): f is StoreFolder => f !== undefined).map((folder) => ({ kind: 'folder', folder }));
  }

  private async below(node: RunsTreeNode): Promise<RunsTreeNode[]> {
    switch (node.kind) {
      case 'folder':
        return this.experiments(node.folder.store);
      case 'experiment':
        return this.runs(node.store, node.experiment, 0);
      case 'more':
        return this.runs(node.store, node.experiment, node.offset);
      case 'run':
        return this.sections(node.store, node.run.id);
      case 'section':
        return this.sectionValues(node);
      case 'value':
        return [];
    }
  }

  private async experiments(store: StoreClient): Promise<RunsTreeNode[]> {
    await store.ready;
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

  private async runs(store: StoreClient, experiment: Experiment, offset: number): Promise<RunsTreeNode[]> {
    const page = await store.call('listRuns', {
      experimentIds: [experiment.id],
      offset,
      limit: RUNS_PAGE,
      sort: this.query.sort,
      ...(this.query.filter ? { filter: this.query.filter } : {}),
    });
    const metrics = new Map(
      await store.call(
        'metricSummaries',
        page.runs.map((r) => r.id),
      ),
    );
    const nodes: RunsTreeNode[] = page.runs.map((run) => ({
      kind: 'run',
      store,
      run,
      metrics: metrics.get(run.id) ?? [],
    }));
    if (offset + page.runs.length < page.total) {
      nodes.push({ kind: 'more', store, experiment, offset: offset + page.runs.length });
    }
    return nodes;
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
      git: run.git !== null,
      artifacts: run.artifacts.length > 0,
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
    const value = (label: string, text: string, tooltip?: string): RunsTreeNode => ({
      kind: 'value',
      label,
      value: text,
      ...(tooltip ? { tooltip } : {}),
    });
    switch (node.section) {
      case 'params':
        return Object.entries(run.params).map(([key, v]) => value(key, v));
      case 'metrics':
        return run.metrics.map((m) =>
          value(
            m.key,
            `${formatMetricValue(m.last)} (min ${formatMetricValue(m.min)}, max ${formatMetricValue(m.max)})`,
            `${m.count} points; last at step ${m.lastStep}`,
          ),
        );
      case 'git': {
        if (!run.git) return [];
        const git = run.git;
        const rows = [value('commit', git.commit.slice(0, 12), git.commit)];
        if (git.branch) rows.push(value('branch', git.branch));
        if (git.remote) rows.push(value('remote', git.remote));
        rows.push(value('working tree', git.dirty ? 'dirty (the diff is stored)' : 'clean'));
        if (git.untracked.length > 0) rows.push(value('untracked files', String(git.untracked.length)));
        return rows;
      }
      case 'artifacts':
        return run.artifacts.map((a) => value(a.path, formatBytes(a.size), `sha256 ${a.sha256}`));
      case 'inputs':
        return run.inputs.map((i) => value(i.name, i.path, `digest ${i.digest}`));
      case 'problems':
        return run.rejected.map((r) => value(`line ${r.line}`, r.reason, r.reason));
    }
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
        item.description = `${experiment.runCount} run${experiment.runCount === 1 ? '' : 's'}`;
        item.contextValue = 'runlog.experiment';
        return item;
      }
      case 'run':
        return runItem(node.run, node.metrics);
      case 'more': {
        const item = new vscode.TreeItem('Load more runs…', vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        item.description = `${node.experiment.runCount - node.offset} more`;
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
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.description = node.value;
        item.tooltip = node.tooltip ?? `${node.label} = ${node.value}`;
        return item;
      }
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

function runItem(run: RunRecord, metrics: readonly MetricSummary[]): vscode.TreeItem {
  const item = new vscode.TreeItem(run.name, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `run:${run.id}`;
  item.iconPath = STATUS_ICONS[run.status];
  const key = metrics[0];
  const parts = [key ? `${key.key} ${formatMetricValue(key.last)}` : run.status.toLowerCase()];
  parts.push(formatRelativeTime(run.startTime, Date.now()));
  item.description = parts.join(' · ');
  item.tooltip = runTooltip(run, metrics);
  item.contextValue = `runlog.run.${run.status.toLowerCase()}`;
  return item;
}

/** Run names, params and metric keys come from user scripts: appended as text, never as markdown. */
function runTooltip(run: RunRecord, metrics: readonly MetricSummary[]): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  const line = (text: string): void => {
    md.appendText(text);
    md.appendMarkdown('  \n');
  };
  md.appendMarkdown('**');
  md.appendText(run.name);
  md.appendMarkdown('**  \n');
  line(`${run.status.toLowerCase()} · ${run.experiment} · run ${run.id}`);
  if (run.endTime !== null) line(`took ${formatDuration(run.endTime - run.startTime)}`);
  if (run.command) line(run.command);
  for (const metric of metrics) {
    line(
      `${metric.key}: ${formatMetricValue(metric.last)} (min ${formatMetricValue(metric.min)}, max ${formatMetricValue(metric.max)})`,
    );
  }
  if (run.error) line(run.error.split('\n').slice(-3).join(' / '));
  return md;
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
