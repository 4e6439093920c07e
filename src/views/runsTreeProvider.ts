import * as vscode from 'vscode';
import type { Catalog, ExperimentGroup } from '../runs/runCatalog';
import { groupByExperiment, readCatalog } from '../runs/runCatalog';
import type { RunSummary } from '../runs/runSummary';
import type { RunStatus } from '../store/events';
import { formatMetricValue, formatRelativeTime } from '../runs/format';

export type RunsTreeNode =
  | { readonly kind: 'experiment'; readonly group: ExperimentGroup }
  | { readonly kind: 'run'; readonly run: RunSummary }
  | { readonly kind: 'section'; readonly run: RunSummary; readonly section: 'params' | 'metrics' }
  | { readonly kind: 'value'; readonly label: string; readonly value: string };

const STATUS_ICONS: Record<RunStatus, vscode.ThemeIcon> = {
  RUNNING: new vscode.ThemeIcon('sync~spin'),
  QUEUED: new vscode.ThemeIcon('clock'),
  FINISHED: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  FAILED: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  KILLED: new vscode.ThemeIcon('circle-slash'),
  INTERRUPTED: new vscode.ThemeIcon('debug-disconnect'),
};

/**
 * The Runs view: experiments → runs → params and metrics. Reading happens when VS Code asks for
 * children (the view is visible), never at activation; an empty result lets the welcome show.
 */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private catalog: Promise<Catalog> | undefined;

  constructor(
    private readonly storeDirs: () => readonly string[],
    private readonly log: vscode.LogOutputChannel,
  ) {}

  refresh(): void {
    this.catalog = undefined;
    this.changed.fire(undefined);
  }

  /** Every run in every workspace folder's store, newest first. */
  async runs(): Promise<RunSummary[]> {
    this.catalog ??= this.load();
    return (await this.catalog).runs;
  }

  private async load(): Promise<Catalog> {
    const catalogs = await Promise.all(
      this.storeDirs().map(async (dir) => {
        try {
          return await readCatalog(dir);
        } catch (error) {
          this.log.error(`Could not read the run store at ${dir}: ${(error as Error).message}`);
          return { runs: [], problems: [] };
        }
      }),
    );
    const runs = catalogs.flatMap((c) => c.runs).sort((a, b) => b.startTime - a.startTime);
    const problems = catalogs.flatMap((c) => c.problems);
    for (const problem of problems) {
      const detail =
        typeof problem.problems === 'string'
          ? problem.problems
          : problem.problems.map((p) => `line ${p.line}: ${p.reason}`).join('; ');
      this.log.warn(`Skipped unreadable journal lines in ${problem.file}: ${detail}`);
    }
    return { runs, problems };
  }

  async getChildren(node?: RunsTreeNode): Promise<RunsTreeNode[]> {
    if (!node) {
      return groupByExperiment(await this.runs()).map((group) => ({ kind: 'experiment', group }));
    }
    switch (node.kind) {
      case 'experiment':
        return node.group.runs.map((run) => ({ kind: 'run', run }));
      case 'run': {
        const sections: RunsTreeNode[] = [];
        if (node.run.params.size > 0) sections.push({ kind: 'section', run: node.run, section: 'params' });
        if (node.run.metrics.size > 0) sections.push({ kind: 'section', run: node.run, section: 'metrics' });
        return sections;
      }
      case 'section':
        if (node.section === 'params') {
          return [...node.run.params].map(([label, value]) => ({ kind: 'value', label, value }));
        }
        return [...node.run.metrics].map(([label, m]) => ({
          kind: 'value',
          label,
          value: `${formatMetricValue(m.last)} (min ${formatMetricValue(m.min)}, max ${formatMetricValue(m.max)})`,
        }));
      case 'value':
        return [];
    }
  }

  getTreeItem(node: RunsTreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'experiment': {
        const item = new vscode.TreeItem(node.group.name, vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.description = `${node.group.runs.length} run${node.group.runs.length === 1 ? '' : 's'}`;
        item.contextValue = 'runlog.experiment';
        return item;
      }
      case 'run': {
        const { run } = node;
        const item = new vscode.TreeItem(run.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `run:${run.id}`;
        item.iconPath = STATUS_ICONS[run.status];
        item.description = `${run.status.toLowerCase()} · ${formatRelativeTime(run.startTime, Date.now())}`;
        item.tooltip = runTooltip(run);
        item.contextValue = `runlog.run.${run.status.toLowerCase()}`;
        return item;
      }
      case 'section': {
        const label = node.section === 'params' ? 'Params' : 'Metrics';
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `run:${node.run.id}:${node.section}`;
        item.iconPath = new vscode.ThemeIcon(node.section === 'params' ? 'symbol-parameter' : 'graph-line');
        return item;
      }
      case 'value': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.description = node.value;
        item.tooltip = `${node.label} = ${node.value}`;
        return item;
      }
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** Run names, params and metric keys come from user scripts: appended as text, never as markdown. */
function runTooltip(run: RunSummary): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.appendMarkdown('**');
  md.appendText(run.name);
  md.appendMarkdown('**  \n');
  md.appendText(`${run.status.toLowerCase()} · run ${run.id}`);
  md.appendMarkdown('  \n');
  if (run.git) {
    md.appendText(
      `git ${run.git.commit.slice(0, 8)}${run.git.branch ? ` on ${run.git.branch}` : ''}${run.git.dirty ? ' (dirty)' : ''}`,
    );
    md.appendMarkdown('  \n');
  }
  if (run.command) {
    md.appendText(run.command);
    md.appendMarkdown('  \n');
  }
  for (const [key, value] of run.params) {
    md.appendText(`${key} = ${value}`);
    md.appendMarkdown('  \n');
  }
  for (const [key, metric] of run.metrics) {
    md.appendText(`${key}: ${formatMetricValue(metric.last)}`);
    md.appendMarkdown('  \n');
  }
  return md;
}
