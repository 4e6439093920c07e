import * as vscode from 'vscode';
import type { MetricGoal } from '../../shared/metricGoal';
import { metricGoal } from '../../shared/metricGoal';
import { FilterError, parseFilter } from '../store/filter';
import type { SortKey } from '../store/types';
import type { RunsGrouping, RunsQuery, RunsTreeProvider } from '../views/runsTreeProvider';
import type { StoreFolder } from '../workspaceStores';

const QUERY_KEY = 'runlog.runsQuery';

const GROUPINGS: readonly { label: string; group: RunsGrouping }[] = [
  { label: 'Experiment', group: 'experiment' },
  { label: 'Git branch', group: 'branch' },
  { label: 'Git commit', group: 'commit' },
  { label: 'Status', group: 'status' },
];

/**
 * The Runs view's filter, order and grouping: kept per workspace, shown in the view's description.
 * The runs table shares the filter: it reads `filterText`, sets it with `setFilter` and follows
 * `onDidChange`.
 */
export class RunsQueryControl implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly state: vscode.Memento,
    private readonly runs: RunsTreeProvider,
    private readonly view: vscode.TreeView<unknown>,
  ) {
    const saved = state.get<RunsQuery>(QUERY_KEY);
    if (saved) this.apply(saved);
    else this.describe(runs.currentQuery);
  }

  private apply(query: RunsQuery): void {
    const filterChanged = query.filter !== this.runs.currentQuery.filter;
    this.runs.setQuery(query);
    void this.state.update(QUERY_KEY, query);
    this.describe(query);
    if (filterChanged) this.changed.fire();
  }

  get filterText(): string {
    return this.runs.currentQuery.filter ?? '';
  }

  /** Filters the view (and the table) by `text`; empty clears. Throws FilterError on a filter the language refuses. */
  setFilter(text: string): void {
    const filter = text.trim();
    if (filter) parseFilter(filter);
    this.apply({ ...this.runs.currentQuery, ...(filter ? { filter } : { filter: undefined }) });
  }

  dispose(): void {
    this.changed.dispose();
  }

  private describe(query: RunsQuery): void {
    const value = query.sort.value && query.sort.value !== 'last' ? ` (best)` : '';
    const sort =
      query.sort.key === 'start_time' && query.sort.descending
        ? ''
        : `sorted by ${query.sort.key}${value}${query.sort.descending ? ' ↓' : ' ↑'}`;
    const group = query.group && query.group !== 'experiment' ? `by ${query.group}` : '';
    this.view.description =
      [group, query.filter ? `filter: ${query.filter}` : '', sort].filter(Boolean).join(' · ') || undefined;
    void vscode.commands.executeCommand('setContext', 'runlog.runsFiltered', query.filter !== undefined);
  }

  /** `Runlog: Filter Runs…`: MLflow's search syntax plus OR, NOT and parentheses, checked as you type. */
  async filter(): Promise<void> {
    const text = await vscode.window.showInputBox({
      title: 'Runlog: Filter Runs',
      prompt: "e.g. metrics.rmse < 0.3 AND params.model = 'forest' OR tags.note LIKE '%best%'",
      value: this.runs.currentQuery.filter ?? '',
      validateInput: (input) => {
        try {
          parseFilter(input);
          return undefined;
        } catch (error) {
          return error instanceof FilterError ? error.message : String(error);
        }
      },
    });
    if (text === undefined) return;
    const filter = text.trim();
    this.apply({ ...this.runs.currentQuery, ...(filter ? { filter } : { filter: undefined }) });
  }

  clearFilter(): void {
    const { group, sort } = this.runs.currentQuery;
    this.apply({ sort, ...(group ? { group } : {}) });
  }

  /** `Runlog: Group Runs By…`: experiment, git branch, git commit or status; `group` skips the pick. */
  async group(group?: RunsGrouping): Promise<void> {
    const current = this.runs.currentQuery.group ?? 'experiment';
    const chosen =
      group ??
      (
        await vscode.window.showQuickPick(
          GROUPINGS.map((g) => ({ ...g, description: g.group === current ? 'current' : undefined })),
          { title: 'Runlog: Group Runs By' },
        )
      )?.group;
    if (!chosen || !GROUPINGS.some((g) => g.group === chosen)) return;
    this.apply({ ...this.runs.currentQuery, group: chosen });
  }

  /** `Runlog: Sort Runs…`: by start time, name, duration, status, or any metric's last value or param. */
  async sort(folders: readonly StoreFolder[]): Promise<void> {
    const keys = new Set<string>();
    for (const folder of folders) {
      for (const kind of ['metrics', 'params'] as const) {
        for (const key of await folder.store.call('keys', kind).catch(() => [])) keys.add(`${kind}.${key}`);
      }
    }
    const goals = vscode.workspace.getConfiguration('runlog').get<Record<string, MetricGoal>>('metricGoals', {});
    const options: { label: string; key: SortKey; best?: MetricGoal; description?: string }[] = [
      { label: 'Start time', key: 'start_time' },
      { label: 'Name', key: 'name' },
      { label: 'Duration', key: 'duration' },
      { label: 'Status', key: 'status' },
      ...[...keys].sort().flatMap((key) => {
        if (!key.startsWith('metrics.')) return [{ label: key, key: key as SortKey }];
        const best = metricGoal(key.slice('metrics.'.length), goals);
        return [
          { label: key, key: key as SortKey, description: 'last value' },
          {
            label: `${key} (best)`,
            key: key as SortKey,
            best,
            description: `${best === 'min' ? 'lowest' : 'highest'} value, best first`,
          },
        ];
      }),
    ];
    const picked = await vscode.window.showQuickPick(options, { title: 'Runlog: Sort Runs By' });
    if (!picked) return;
    if (picked.best) {
      // Best first needs no second question: the metric's goal says which way is better.
      this.apply({
        ...this.runs.currentQuery,
        sort: { key: picked.key, descending: picked.best === 'max', value: picked.best },
      });
      return;
    }
    const order = await vscode.window.showQuickPick(
      [
        { label: 'Descending', descending: true },
        { label: 'Ascending', descending: false },
      ],
      { title: `Runlog: Sort by ${picked.label}` },
    );
    if (!order) return;
    this.apply({ ...this.runs.currentQuery, sort: { key: picked.key, descending: order.descending } });
  }
}
