import * as vscode from 'vscode';
import { FilterError, parseFilter } from '../store/filter';
import type { SortKey } from '../store/runStore';
import type { RunsQuery, RunsTreeProvider, StoreFolder } from '../views/runsTreeProvider';

const QUERY_KEY = 'runlog.runsQuery';

/** The Runs view's filter and order: kept per workspace, shown in the view's description. */
export class RunsQueryControl {
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
    this.runs.setQuery(query);
    void this.state.update(QUERY_KEY, query);
    this.describe(query);
  }

  private describe(query: RunsQuery): void {
    const sort =
      query.sort.key === 'start_time' && query.sort.descending
        ? ''
        : `sorted by ${query.sort.key}${query.sort.descending ? ' ↓' : ' ↑'}`;
    this.view.description =
      [query.filter ? `filter: ${query.filter}` : '', sort].filter(Boolean).join(' · ') || undefined;
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
    this.apply({ sort: this.runs.currentQuery.sort });
  }

  /** `Runlog: Sort Runs…`: by start time, name, duration, status, or any metric's last value or param. */
  async sort(folders: readonly StoreFolder[]): Promise<void> {
    const keys = new Set<string>();
    for (const folder of folders) {
      for (const kind of ['metrics', 'params'] as const) {
        for (const key of await folder.store.call('keys', kind).catch(() => [])) keys.add(`${kind}.${key}`);
      }
    }
    const options: { label: string; key: SortKey }[] = [
      { label: 'Start time', key: 'start_time' },
      { label: 'Name', key: 'name' },
      { label: 'Duration', key: 'duration' },
      { label: 'Status', key: 'status' },
      ...[...keys].sort().map((key) => ({ label: key, key: key as SortKey })),
    ];
    const picked = await vscode.window.showQuickPick(options, { title: 'Runlog: Sort Runs By' });
    if (!picked) return;
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
