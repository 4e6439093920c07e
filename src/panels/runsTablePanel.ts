import * as vscode from 'vscode';
import type { MetricGoal } from '../../shared/metricGoal';
import { metricGoal } from '../../shared/metricGoal';
import type { MessageChannel, RequestHandlers } from '../../shared/messaging';
import { answering } from '../../shared/messaging';
import type { ColumnId, TableLayout, TableSort } from '../../shared/runsTable';
import {
  DEFAULT_TABLE_LAYOUT,
  allColumns,
  columnKey,
  columnKind,
  columnTitle,
  isColumnVisible,
  isTableLayout,
  shownByDefault,
  statOf,
  visibleColumns,
} from '../../shared/runsTable';
import type {
  TableCommand,
  TableHostMessage,
  TableHostReplies,
  TableReport,
  TableState,
  TableViewMessage,
  TableViewReplies,
} from '../../shared/runsTableProtocol';
import { isTableViewMessage } from '../../shared/runsTableProtocol';
import { readGoals } from '../runs/compareSnapshot';
import { FilterError, parseFilter } from '../store/filter';
import { withTerm } from '../store/filterText';
import type { TableQuery } from '../store/tableQueries';
import type { RunSort, SortKey } from '../store/types';
import { throttled } from '../util/throttle';
import type { RunsChange, StoreFolder } from '../workspaceStores';
import { connectToWebview } from './panelChannel';
import type { QuickFilterAnswer } from './tableQuickFilter';
import { quickFilterTerm } from './tableQuickFilter';
import { webviewHtml, webviewOptions } from './webviewHtml';

/** The Runs view's filter, shared with the table both ways. */
export interface SharedFilter {
  current(): string;
  /** Applies a filter the store's language accepts (throws FilterError otherwise). */
  set(text: string): void;
  readonly onDidChange: vscode.Event<void>;
}

export interface RunsTableDeps {
  readonly extensionUri: vscode.Uri;
  readonly workspaceState: vscode.Memento;
  readonly log: vscode.LogOutputChannel;
  readonly folders: () => readonly StoreFolder[];
  readonly onStoreChanged: vscode.Event<RunsChange>;
  readonly filter: SharedFilter;
  /** The Runs view's selection changed: the run ids it selects. */
  readonly onViewSelection: vscode.Event<readonly string[]>;
  /** Shows (and selects) a run in the Runs view. */
  revealInView(runId: string): void;
}

const LAYOUT_KEY = 'runlog.runsTable.layout';
/** A running run changes several times a second; the table asks again at most this often. */
const CHANGE_THROTTLE_MS = 400;

const COMMAND_TITLES: Readonly<Record<TableCommand, string>> = {
  'runlog.openCharts': 'Open Charts',
  'runlog.compareRuns': 'Compare',
  'runlog.rerunRun': 'Rerun',
  'runlog.reproduceRun': 'Reproduce',
  'runlog.stopRun': 'Stop',
  'runlog.tagRuns': 'Tag…',
  'runlog.editNote': 'Edit Note…',
  'runlog.pinRun': 'Pin',
  'runlog.unpinRun': 'Unpin',
  'runlog.renameRun': 'Rename…',
  'runlog.deleteRun': 'Delete',
  'runlog.restoreRun': 'Restore',
  'runlog.deleteRunPermanently': 'Delete Permanently…',
  'runlog.registerModel': 'Register Model…',
  'runlog.exportRunsToMlflow': 'Export to MLflow…',
  'runlog.diffRunCode': 'Diff Code',
  'runlog.copyRunId': 'Copy Run ID',
  'runlog.revealRunInTree': 'Reveal in Runs View',
};

/** The sort key of a column, in the store's terms; columns without an order (tags, notes, sparklines) have none. */
function sortOf(
  sort: TableSort,
  layout: TableLayout,
  goals: Readonly<Record<string, MetricGoal>>,
): RunSort | undefined {
  const attribute: Partial<Record<string, SortKey>> = {
    'run.status': 'status',
    'run.name': 'name',
    'run.experiment': 'experiment',
    'run.start': 'start_time',
    'run.duration': 'duration',
    'git.commit': 'git_commit',
    'git.branch': 'git_branch',
    'git.dirty': 'git_dirty',
  };
  const kind = columnKind(sort.column);
  const key = columnKey(sort.column);
  if (kind === 'attribute') {
    const found = attribute[sort.column];
    return found ? { key: found, descending: sort.descending } : undefined;
  }
  if (kind === 'param') return { key: `params.${key}`, descending: sort.descending };
  if (kind === 'tag') return { key: `tags.${key}`, descending: sort.descending };
  if (kind !== 'metric') return undefined;
  const stat = statOf(sort.column, layout);
  const value = stat === 'best' ? metricGoal(key, goals) : stat;
  return { key: `metrics.${key}`, descending: sort.descending, value };
}

/**
 * `Runlog: Open Runs Table`: every run of the workspace's store as a row, a column per param and
 * metric. The host owns the state (layout, filter, keys) and pushes it whole; the webview asks for
 * pages of rows sized to its viewport, which the store sorts, filters and groups in SQL
 * (tableQueries.ts). One table per window.
 */
export class RunsTablePanel implements vscode.Disposable {
  static readonly viewType = 'runlog.runsTable';
  private static current: RunsTablePanel | undefined;

  private readonly channel: MessageChannel<TableHostMessage, TableViewMessage, TableHostReplies>;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly rendered = new vscode.EventEmitter<TableReport>();
  /** The webview's reports of what it drew (integration tests read them). */
  readonly onDidRender = this.rendered.event;
  lastReport: TableReport | undefined;
  private layout: TableLayout;
  private version = 0;
  private selected: readonly string[] = [];
  /** The run last shown in the Runs view for the table's selection. */
  private echo: string | undefined;
  /** The keys last pushed: a new param or metric key is a new column, so a new state. */
  private keys = '';
  private readonly changedSoon = throttled(() => void this.storeChanged(), CHANGE_THROTTLE_MS);

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly deps: RunsTableDeps,
  ) {
    const saved = deps.workspaceState.get<unknown>(LAYOUT_KEY);
    this.layout = isTableLayout(saved) ? saved : DEFAULT_TABLE_LAYOUT;
    panel.webview.options = webviewOptions(deps.extensionUri);
    this.channel = connectToWebview<TableHostMessage, TableViewMessage, TableHostReplies>(panel, {
      isMessage: isTableViewMessage,
      onEvent: (message) => void this.onEvent(message),
      onRequest: answering(this.requests),
      onInvalid: (reason) => deps.log.warn(`Runs table: dropped a message from the webview (${reason})`),
    });
    panel.webview.html = webviewHtml(panel.webview, deps.extensionUri, 'runsTable', 'Runs', true);
    this.disposables.push(
      this.rendered,
      this.changedSoon,
      deps.onStoreChanged(({ storeDir }) => {
        if (this.storeDir === undefined || this.storeDir === storeDir) this.changedSoon();
      }),
      deps.filter.onDidChange(() => void this.pushState()),
      deps.onViewSelection((runIds) => {
        // The view selecting the run the table just showed it is no news to the table.
        const echo = this.echo;
        this.echo = undefined;
        if (runIds.length === 1 && runIds[0] === echo) return;
        if (runIds.length === 0 || sameIds(runIds, this.selected)) return;
        this.selected = runIds;
        this.channel.send({ type: 'select', runIds, reveal: true });
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('runlog.metricGoals') || e.affectsConfiguration('runlog.keyMetric')) {
          void this.pushState();
        }
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  static show(deps: RunsTableDeps): RunsTablePanel {
    const current = RunsTablePanel.current;
    if (current) {
      current.panel.reveal(undefined, false);
      return current;
    }
    const panel = vscode.window.createWebviewPanel(
      RunsTablePanel.viewType,
      'Runs',
      vscode.ViewColumn.Active,
      webviewOptions(deps.extensionUri),
    );
    RunsTablePanel.current = new RunsTablePanel(panel, deps);
    return RunsTablePanel.current;
  }

  static revive(panel: vscode.WebviewPanel, deps: RunsTableDeps): RunsTablePanel {
    RunsTablePanel.current?.panel.dispose();
    RunsTablePanel.current = new RunsTablePanel(panel, deps);
    panel.title = 'Runs';
    return RunsTablePanel.current;
  }

  static get active(): RunsTablePanel | undefined {
    return RunsTablePanel.current;
  }

  /** The runs selected in the table. */
  get selection(): readonly string[] {
    return this.selected;
  }

  get currentLayout(): TableLayout {
    return this.layout;
  }

  /** Changes the layout as the webview would (sorts, grouping, columns); tests drive the table with it. */
  updateLayout(change: Partial<TableLayout>): void {
    const layout = { ...this.layout, ...change };
    if (!isTableLayout(layout)) throw new Error('invalid table layout');
    this.setLayout(layout);
  }

  private storeDir: string | undefined;

  /** The store the table shows: the first workspace folder's. */
  private folder(): StoreFolder | undefined {
    return this.deps.folders()[0];
  }

  private goals(): Record<string, MetricGoal> {
    return readGoals(vscode.workspace.getConfiguration('runlog').get('metricGoals'));
  }

  private query(): TableQuery {
    const goals = this.goals();
    const keyMetric = vscode.workspace.getConfiguration('runlog').get<string>('keyMetric', '');
    const filter = this.deps.filter.current();
    return {
      ...(filter ? { filter } : {}),
      deleted: this.layout.trash,
      sorts: this.layout.sorts.flatMap((s) => sortOf(s, this.layout, goals) ?? []),
      group: this.layout.group,
      keyMetric: keyMetric ? { key: keyMetric, goal: metricGoal(keyMetric, goals) } : null,
      collapsed: this.layout.collapsed,
      expanded: this.layout.expanded,
    };
  }

  /** The rows may have changed (a run logged, a new run): the same question again, or a new state for new keys. */
  private async storeChanged(): Promise<void> {
    const folder = this.folder();
    const keys = folder ? JSON.stringify(await folder.store.call('tableKeys')) : '';
    if (keys !== this.keys) {
      await this.pushState();
      return;
    }
    this.version++;
    this.channel.send({ type: 'changed', version: this.version });
  }

  private async pushState(): Promise<void> {
    const folder = this.folder();
    const keys = folder ? await folder.store.call('tableKeys') : { params: [], metrics: [], tags: [] };
    this.keys = folder ? JSON.stringify(keys) : '';
    if (folder) this.storeDir = (await folder.store.call('status')).dir;
    const filter = this.deps.filter.current();
    let filterError: TableState['filterError'] = null;
    try {
      if (filter) parseFilter(filter);
    } catch (error) {
      if (!(error instanceof FilterError)) throw error;
      filterError = { message: error.message, position: error.position, length: error.length };
    }
    this.version++;
    const several = this.deps.folders().length > 1;
    this.channel.send({
      type: 'state',
      state: {
        version: this.version,
        layout: this.layout,
        keys,
        filter,
        filterError,
        goals: this.goals(),
        keyMetric: vscode.workspace.getConfiguration('runlog').get<string>('keyMetric', ''),
        folder: several && folder ? folder.name : null,
      },
    });
  }

  private setLayout(layout: TableLayout): void {
    this.layout = layout;
    void this.deps.workspaceState.update(LAYOUT_KEY, layout);
    void this.pushState();
  }

  private async onEvent(message: TableViewMessage): Promise<void> {
    try {
      switch (message.type) {
        case 'ready':
          // A hidden webview is discarded and loads again when shown: it gets the selection back too.
          await this.pushState();
          if (this.selected.length > 0) this.channel.send({ type: 'select', runIds: this.selected, reveal: false });
          return;
        case 'layout':
          this.setLayout(message.layout);
          return;
        case 'filter':
          this.setFilter(message.text);
          return;
        case 'selection':
          this.selected = message.runIds;
          if (message.focused) {
            this.echo = message.focused;
            this.deps.revealInView(message.focused);
          }
          return;
        case 'command':
          await this.runCommand(message.command, message.runIds);
          return;
        case 'open':
          await vscode.commands.executeCommand('runlog.openCharts', { runIds: [message.runId] });
          return;
        case 'pickColumns':
          await this.pickColumns();
          return;
        case 'quickFilter':
          await this.quickFilter(message.column);
          return;
        case 'rendered':
          this.lastReport = message.report;
          this.rendered.fire(message.report);
          return;
        default:
          return;
      }
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      this.deps.log.error(`Runs table: ${message.type} failed: ${text}`);
      void vscode.window.showErrorMessage(`Runlog: ${text}`);
    }
  }

  /** A column's quick filter ANDed to the shared filter, so the Runs view follows; `answer` skips the inputs. */
  async quickFilter(column: ColumnId, answer?: QuickFilterAnswer): Promise<void> {
    const folder = this.folder();
    const term = folder ? await quickFilterTerm(column, folder.store, answer) : undefined;
    if (term !== undefined) this.setFilter(withTerm(this.deps.filter.current(), term));
  }

  /** A filter typed in the table: the Runs view shows the same runs; a bad one is shown, not applied. */
  private setFilter(text: string): void {
    try {
      this.deps.filter.set(text.trim());
    } catch (error) {
      if (!(error instanceof FilterError)) throw error;
      this.version++;
      this.channel.send({
        type: 'state',
        state: {
          version: this.version,
          layout: this.layout,
          keys: { params: [], metrics: [], tags: [] },
          filter: text,
          filterError: { message: error.message, position: error.position, length: error.length },
          goals: this.goals(),
          keyMetric: '',
          folder: null,
        },
      });
    }
  }

  /** A command on the selected runs; with none given, the user picks which. */
  async runCommand(command: TableCommand | null, runIds: readonly string[]): Promise<void> {
    if (runIds.length === 0) return;
    let chosen = command;
    if (chosen === null) {
      const picked = await vscode.window.showQuickPick(
        (Object.keys(COMMAND_TITLES) as TableCommand[]).map((id) => ({ label: COMMAND_TITLES[id], id })),
        { title: `Runlog: ${runIds.length === 1 ? 'the selected run' : `${runIds.length} selected runs`}` },
      );
      if (!picked) return;
      chosen = picked.id;
    }
    await vscode.commands.executeCommand(chosen, { runIds });
  }

  /** Columns…: a searchable pick of every column (shown ones picked), then which to pin. */
  private async pickColumns(): Promise<void> {
    const folder = this.folder();
    if (!folder) return;
    const keys = await folder.store.call('tableKeys');
    const all = allColumns(keys);
    type Item = vscode.QuickPickItem & { column: ColumnId };
    const items: Item[] = all.map((column) => ({
      label: columnTitle(column),
      description: column,
      column,
      picked: isColumnVisible(column, this.layout),
    }));
    const shown = await vscode.window.showQuickPick(items, {
      title: 'Runlog: Columns of the Runs Table',
      placeHolder: 'Type to search; checked columns are shown',
      canPickMany: true,
      matchOnDescription: true,
    });
    if (!shown) return;
    const on = new Set(shown.map((item) => item.column));
    const next: TableLayout = {
      ...this.layout,
      hidden: all.filter((c) => shownByDefault(c) && !on.has(c)),
      shown: all.filter((c) => !shownByDefault(c) && on.has(c)),
    };
    const visible = visibleColumns(keys, next);
    const pins = await vscode.window.showQuickPick(
      visible.map((column) => ({
        label: columnTitle(column),
        description: column,
        column,
        picked: next.pinned.includes(column),
      })),
      { title: 'Runlog: Columns pinned to the left', canPickMany: true, matchOnDescription: true },
    );
    this.setLayout(pins ? { ...next, pinned: pins.map((p) => p.column) } : next);
  }

  /** The webview's requests, each answered as `TableViewReplies` says. */
  private readonly requests: RequestHandlers<TableViewMessage, TableViewReplies> = {
    rows: async (message) => {
      const folder = this.folder();
      const empty = { total: 0, runs: 0, offset: message.offset, entries: [], version: message.version };
      if (!folder || message.version !== this.version) return empty;
      const page = await folder.store.call('tableRows', this.query(), message.offset, message.limit, message.columns);
      return { ...page, version: message.version };
    },
    ids: async (message) => {
      const folder = this.folder();
      return folder ? folder.store.call('tableIds', this.query(), message.from, message.to) : [];
    },
    bests: async (message) => {
      const folder = this.folder();
      return folder ? folder.store.call('tableBests', this.query(), message.metrics) : [];
    },
    exportCsv: async () => {
      const folder = this.folder();
      if (!folder) return null;
      const keys = await folder.store.call('tableKeys');
      const base = vscode.workspace.workspaceFolders?.[0]?.uri;
      const target = await vscode.window.showSaveDialog({
        ...(base ? { defaultUri: vscode.Uri.joinPath(base, 'runs.csv') } : {}),
        filters: { CSV: ['csv'] },
        title: 'Save the runs table as CSV',
      });
      if (!target) return null;
      await this.writeCsv(target, visibleColumns(keys, this.layout));
      return target.fsPath;
    },
  };

  /** The table as CSV: the rows the filter selects in the table's order, these columns, full precision. */
  async writeCsv(target: vscode.Uri, columns?: readonly ColumnId[]): Promise<void> {
    const folder = this.folder();
    if (!folder) return;
    const shown = columns ?? visibleColumns(await folder.store.call('tableKeys'), this.layout);
    const csv = await folder.store.call('tableCsv', this.query(), {
      columns: shown,
      stats: this.layout.stats,
      goals: this.goals(),
    });
    await vscode.workspace.fs.writeFile(target, Buffer.from(csv, 'utf8'));
  }

  dispose(): void {
    if (RunsTablePanel.current === this) RunsTablePanel.current = undefined;
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
