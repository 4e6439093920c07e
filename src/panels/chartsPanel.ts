import * as vscode from 'vscode';
import type {
  ChartData,
  ChartLayout,
  ChartRun,
  ChartsHostMessage,
  ChartsHostReplies,
  ChartsViewMessage,
  ChartsViewReplies,
  RenderReport,
} from '../../shared/chartsProtocol';
import { DEFAULT_LAYOUT, isChartLayout, isChartsViewMessage, orderKeys } from '../../shared/chartsProtocol';
import type { MessageChannel, MessageOf, RequestHandlers } from '../../shared/messaging';
import { answering } from '../../shared/messaging';
import { chartsCsv, differingParams, runColor } from '../runs/chartModel';
import type { RunRef } from '../commands/runTargets';
import type { StoreClient } from '../store/storeClient';
import { serverHost } from '../sync/serverUri';
import { REMOTE_TAG } from '../sync/syncTags';
import { throttled } from '../util/throttle';
import { connectToWebview } from './panelChannel';
import { webviewHtml, webviewOptions } from './webviewHtml';

export interface ChartsPanelDeps {
  readonly extensionUri: vscode.Uri;
  readonly workspaceState: vscode.Memento;
  readonly log: vscode.LogOutputChannel;
  /** Fires with the runs whose journals changed. */
  readonly onStoreChanged: vscode.Event<{ readonly runIds: readonly string[] }>;
  /** Finds runs by id across the workspace's stores. */
  resolve(runIds: readonly string[]): Promise<RunRef[]>;
  /** Shows a run in the Runs view. */
  revealRun(runId: string): void;
}

/** What the webview keeps across reloads, and the serializer reads back. */
interface SavedState {
  readonly runIds: readonly string[];
  readonly layout: ChartLayout;
}

const LAYOUT_KEY = 'runlog.charts.layout';
/** While a shown run logs, its state is pushed at most this often (and after its last change). */
const STATE_THROTTLE_MS = 250;

/**
 * `Runlog: Open Charts`: one panel that overlays the chosen runs, one chart per metric key. The
 * host owns the state (runs, keys, layout) and pushes it whole; the webview asks for data sized to
 * its pixels (the store buckets it on a shared grid) and asks again when it zooms or a shown run
 * logs more points. There is one Charts panel: opening charts for other runs replaces its runs.
 */
export class ChartsPanel implements vscode.Disposable {
  static readonly viewType = 'runlog.charts';
  private static current: ChartsPanel | undefined;

  private readonly channel: MessageChannel<ChartsHostMessage, ChartsViewMessage, ChartsHostReplies>;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly rendered = new vscode.EventEmitter<RenderReport>();
  /** The webview's reports of what it drew (integration tests read them). */
  readonly onDidRender = this.rendered.event;
  /** The latest of those reports. */
  lastReport: RenderReport | undefined;
  private layout: ChartLayout;
  private statuses = new Map<string, string>();
  /** Shown runs that changed since the state was last pushed. */
  private readonly touched = new Set<string>();
  private readonly pushSoon = throttled(() => {
    const changed = [...this.touched];
    this.touched.clear();
    void this.pushState(changed);
  }, STATE_THROTTLE_MS);

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly deps: ChartsPanelDeps,
    private refs: RunRef[],
    layout: ChartLayout | undefined,
  ) {
    const saved = deps.workspaceState.get<unknown>(LAYOUT_KEY);
    this.layout = layout ?? (isChartLayout(saved) ? saved : DEFAULT_LAYOUT);
    panel.webview.options = webviewOptions(deps.extensionUri);
    this.channel = connectToWebview<ChartsHostMessage, ChartsViewMessage, ChartsHostReplies>(panel, {
      isMessage: isChartsViewMessage,
      onEvent: (message) => this.onEvent(message),
      onRequest: answering(this.requests),
      onInvalid: (reason) => deps.log.warn(`Charts panel: dropped a message from the webview (${reason})`),
    });
    panel.webview.html = webviewHtml(panel.webview, deps.extensionUri, 'charts', 'Runlog Charts', true);
    this.disposables.push(
      this.rendered,
      deps.onStoreChanged(({ runIds }) => this.storeChanged(runIds)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Opens (or reuses) the panel on these runs. */
  static show(deps: ChartsPanelDeps, refs: RunRef[]): ChartsPanel {
    const current = ChartsPanel.current;
    if (current) {
      current.refs = refs;
      current.panel.title = ChartsPanel.title(refs);
      current.panel.reveal(undefined, false);
      void current.pushState();
      return current;
    }
    const panel = vscode.window.createWebviewPanel(
      ChartsPanel.viewType,
      ChartsPanel.title(refs),
      vscode.ViewColumn.Active,
      webviewOptions(deps.extensionUri),
    );
    ChartsPanel.current = new ChartsPanel(panel, deps, refs, undefined);
    return ChartsPanel.current;
  }

  /** Restores a panel VS Code kept across a reload, from the webview's saved state. */
  static async revive(panel: vscode.WebviewPanel, deps: ChartsPanelDeps, state: unknown): Promise<ChartsPanel> {
    const saved = state as Partial<SavedState> | undefined;
    const ids = Array.isArray(saved?.runIds) ? saved.runIds.filter((id): id is string => typeof id === 'string') : [];
    const refs = await deps.resolve(ids);
    ChartsPanel.current?.panel.dispose();
    ChartsPanel.current = new ChartsPanel(panel, deps, refs, isChartLayout(saved?.layout) ? saved.layout : undefined);
    panel.title = ChartsPanel.title(refs);
    return ChartsPanel.current;
  }

  static get active(): ChartsPanel | undefined {
    return ChartsPanel.current;
  }

  private static title(refs: readonly RunRef[]): string {
    return refs.length === 1 ? 'Charts: 1 run' : `Charts: ${refs.length} runs`;
  }

  get runIds(): string[] {
    return this.refs.map((r) => r.runId);
  }

  /** Changes the layout as the toolbar would (axis, scale, smoothing, order, pins, hidden charts). */
  updateLayout(change: Partial<ChartLayout>): void {
    const layout = { ...this.layout, ...change };
    if (!isChartLayout(layout)) throw new Error('invalid chart layout');
    this.onEvent({ type: 'layout', layout });
  }

  /** Writes every point of the runs' `key` series as CSV. */
  async exportCsv(key: string, target: vscode.Uri): Promise<void> {
    const rows = await Promise.all(
      this.refs.map(async ({ store, runId }) => ({
        runId,
        name: (await store.call('getRun', runId))?.name ?? runId,
        points: await store.call('series', runId, key),
      })),
    );
    await vscode.workspace.fs.writeFile(target, Buffer.from(chartsCsv(key, rows), 'utf8'));
  }

  /** Saves the drawn chart of `key` as a PNG (the webview renders it). */
  async exportPng(key: string, target: vscode.Uri): Promise<boolean> {
    const dataUrl = await this.channel.request({ type: 'pngOf', key });
    if (typeof dataUrl !== 'string' || !dataUrl.startsWith('data:image/png;base64,')) return false;
    await vscode.workspace.fs.writeFile(target, Buffer.from(dataUrl.slice('data:image/png;base64,'.length), 'base64'));
    return true;
  }

  private onEvent(message: ChartsViewMessage): void {
    switch (message.type) {
      case 'ready':
        void this.pushState();
        return;
      case 'layout':
        this.layout = message.layout;
        void this.deps.workspaceState.update(LAYOUT_KEY, message.layout);
        void this.pushState();
        return;
      case 'revealRun':
        if (this.runIds.includes(message.runId)) this.deps.revealRun(message.runId);
        return;
      case 'openMedia':
        void vscode.commands.executeCommand('runlog.openMedia', { runIds: this.runIds });
        return;
      case 'rendered':
        this.lastReport = message.report;
        this.rendered.fire(message.report);
        return;
      default:
        return;
    }
  }

  /** The webview's requests, each answered as `ChartsViewReplies` says. */
  private readonly requests: RequestHandlers<ChartsViewMessage, ChartsViewReplies> = {
    chartData: (message) => this.chartData(message),
    exportPng: async (message) => {
      const target = await this.saveTarget(`${message.key}.png`, 'PNG image', 'png');
      if (!target) return null;
      const data = message.dataUrl.slice('data:image/png;base64,'.length);
      await vscode.workspace.fs.writeFile(target, Buffer.from(data, 'base64'));
      return target.fsPath;
    },
    exportCsv: async (message) => {
      const target = await this.saveTarget(`${message.key}.csv`, 'CSV', 'csv');
      if (!target) return null;
      await this.exportCsv(message.key, target);
      return target.fsPath;
    },
  };

  private async saveTarget(name: string, label: string, extension: string): Promise<vscode.Uri | undefined> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const safe = name.replace(/[\\/:*?"<>|]+/g, '_');
    return vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, safe) : undefined,
      filters: { [label]: [extension] },
    });
  }

  /** The runs grouped by store, in the panel's order. */
  private byStore(runIds?: readonly string[]): Map<StoreClient, string[]> {
    const wanted = runIds ? new Set(runIds) : undefined;
    const groups = new Map<StoreClient, string[]>();
    for (const { store, runId } of this.refs) {
      if (wanted && !wanted.has(runId)) continue;
      groups.set(store, [...(groups.get(store) ?? []), runId]);
    }
    return groups;
  }

  private async chartData(request: MessageOf<ChartsViewMessage, 'chartData'>): Promise<ChartData> {
    const groups = this.byStore(request.runIds);
    const buckets = Math.max(1, Math.min(4000, Math.floor(request.buckets)));
    const extents = await Promise.all(
      [...this.byStore()].map(([store, ids]) => store.call('chartExtent', ids, request.key, request.x)),
    );
    let extent: { lo: number; hi: number } | null = null;
    for (const e of extents) {
      if (e) extent = extent ? { lo: Math.min(extent.lo, e.lo), hi: Math.max(extent.hi, e.hi) } : e;
    }
    const empty: ChartData = { key: request.key, lo: 0, hi: 1, buckets, extent, runs: [] };
    if (!extent && !request.range) return empty;
    let lo = request.range?.from ?? extent?.lo ?? 0;
    let hi = request.range?.to ?? extent?.hi ?? 1;
    if (!request.range && this.refs.some((r) => ['RUNNING', 'QUEUED'].includes(this.statuses.get(r.runId) ?? ''))) {
      // Room to grow: a running run's new points land on the same grid until they pass its end.
      hi += Math.max(1, (hi - lo) * 0.25);
    }
    if (!(hi > lo)) hi = lo + 1;
    const series = await Promise.all(
      [...groups].map(([store, ids]) =>
        store.call('chartSeries', {
          runIds: ids,
          key: request.key,
          x: request.x,
          lo,
          hi,
          buckets,
          smoothing: request.smoothing,
        }),
      ),
    );
    const byRun = new Map(series.flat().map((s) => [s.runId, s]));
    const runs = this.refs.flatMap(({ runId }) => {
      const s = byRun.get(runId);
      return s ? [s] : [];
    });
    lo = Number.isFinite(lo) ? lo : 0;
    return { key: request.key, lo, hi, buckets, extent, runs };
  }

  private storeChanged(runIds: readonly string[]): void {
    const shown = new Set(this.runIds);
    const touched = runIds.filter((id) => shown.has(id));
    if (touched.length === 0) return;
    // Names, statuses and keys may have changed too.
    for (const id of touched) this.touched.add(id);
    this.pushSoon();
  }

  private async pushState(changed?: readonly string[]): Promise<void> {
    try {
      const runs: ChartRun[] = [];
      const keys = new Set<string>();
      const params = new Map<string, Record<string, string>>();
      const names = new Map<string, { name: string; status: string; remote?: string }>();
      for (const [store, ids] of this.byStore()) {
        const [summaries, values, details] = await Promise.all([
          store.call('metricSummaries', ids),
          store.call('params', ids),
          Promise.all(ids.map((id) => store.call('getRun', id))),
        ]);
        for (const [, list] of summaries) for (const m of list) keys.add(m.key);
        for (const [id, p] of values) params.set(id, p);
        for (const run of details) {
          const remote = run?.tags[REMOTE_TAG];
          if (run)
            names.set(run.id, {
              name: run.name,
              status: run.status,
              ...(remote ? { remote: serverHost(remote) } : {}),
            });
        }
      }
      const labels = differingParams(this.runIds.map((id) => params.get(id) ?? {}));
      this.refs.forEach(({ runId }, i) => {
        const known = names.get(runId);
        if (!known) return;
        this.statuses.set(runId, known.status);
        runs.push({
          id: runId,
          name: known.name,
          status: known.status,
          color: runColor(i),
          label: labels[i],
          ...(known.remote ? { remote: known.remote } : {}),
        });
      });
      const state = { runs, keys: orderKeys([...keys], this.layout), layout: this.layout };
      this.channel.send({ type: 'state', state });
      if (changed && changed.length > 0) this.channel.send({ type: 'runsChanged', runIds: changed });
    } catch (error) {
      this.deps.log.error(`Charts panel: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private disposed = false;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (ChartsPanel.current === this) ChartsPanel.current = undefined;
    this.pushSoon.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
