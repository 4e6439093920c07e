import { join } from 'node:path';
import * as vscode from 'vscode';
import type {
  MediaHostMessage,
  MediaKey,
  MediaReport,
  MediaRun,
  MediaSeries,
  MediaView,
  MediaViewMessage,
  MediaViewReplies,
} from '../../shared/mediaProtocol';
import { isMediaView, isMediaViewMessage } from '../../shared/mediaProtocol';
import type { MessageChannel, RequestHandlers } from '../../shared/messaging';
import { answering } from '../../shared/messaging';
import type { RunRef } from '../commands/runTargets';
import { differingParams, runColor } from '../runs/chartModel';
import type { StoreClient } from '../store/storeClient';
import { throttled } from '../util/throttle';
import { connectToWebview } from './panelChannel';
import { webviewHtml, webviewRoot } from './webviewHtml';

export interface MediaPanelDeps {
  readonly extensionUri: vscode.Uri;
  readonly log: vscode.LogOutputChannel;
  /** Fires with the runs whose journals changed. */
  readonly onStoreChanged: vscode.Event<{ readonly runIds: readonly string[] }>;
  /** Finds runs by id across the workspace's stores. */
  resolve(runIds: readonly string[]): Promise<RunRef[]>;
  /** Shows a run in the Runs view. */
  revealRun(runId: string): void;
}

/** A shown run and where its files are. */
interface ShownRun extends RunRef {
  /** `<store>/runs/<id>/artifacts`: the only folders of the store the webview may load from. */
  readonly artifacts: string;
}

/** While a shown run logs, its state is pushed at most this often (and after its last change). */
const STATE_THROTTLE_MS = 250;

/**
 * `Runlog: Open Media`: one panel with a section per image key over the chosen runs. The host owns
 * which runs are shown and pushes them with their keys; each section asks for its series (steps and
 * file names) and the webview loads the images itself as webview resources. `localResourceRoots`
 * are the shown runs' artifacts folders and the bundle, nothing else, so a changed set of runs
 * reloads the page with new roots. Images never travel in messages.
 */
export class MediaPanel implements vscode.Disposable {
  static readonly viewType = 'runlog.media';
  private static current: MediaPanel | undefined;

  private readonly channel: MessageChannel<MediaHostMessage, MediaViewMessage>;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly rendered = new vscode.EventEmitter<MediaReport>();
  /** The webview's reports of what it shows (integration tests read them). */
  readonly onDidRender = this.rendered.event;
  lastReport: MediaReport | undefined;
  /** Shown runs that changed since the state was last pushed. */
  private readonly touched = new Set<string>();
  private readonly pushSoon = throttled(() => {
    const changed = [...this.touched];
    this.touched.clear();
    void this.pushState(changed);
  }, STATE_THROTTLE_MS);
  /** A key to scroll to once the page has its state. */
  private revealKey: string | undefined;
  /**
   * The view a revived panel had (each key's step, the mode, the pair, the size), given to its page
   * once: the page keeps it in its own state too, which a reload may not have restored.
   */
  private restoredView: MediaView | undefined;
  private disposed = false;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly deps: MediaPanelDeps,
    private runs: ShownRun[],
  ) {
    panel.webview.options = MediaPanel.options(deps.extensionUri, runs);
    this.channel = connectToWebview<MediaHostMessage, MediaViewMessage>(panel, {
      isMessage: isMediaViewMessage,
      onEvent: (message) => this.onEvent(message),
      onRequest: answering(this.requests),
      onInvalid: (reason) => deps.log.warn(`Media panel: dropped a message from the webview (${reason})`),
    });
    panel.webview.html = webviewHtml(panel.webview, deps.extensionUri, 'media', 'Runlog Media', true);
    panel.title = MediaPanel.title(runs);
    this.disposables.push(
      this.rendered,
      deps.onStoreChanged(({ runIds }) => this.storeChanged(runIds)),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** Opens (or reuses) the panel on these runs, scrolled to `key` when given. */
  static async show(deps: MediaPanelDeps, refs: readonly RunRef[], key?: string): Promise<MediaPanel> {
    const runs = await located(refs);
    const current = MediaPanel.current;
    if (current) {
      current.revealKey = key;
      current.setRuns(runs);
      current.panel.reveal(undefined, false);
      return current;
    }
    const panel = vscode.window.createWebviewPanel(
      MediaPanel.viewType,
      MediaPanel.title(runs),
      vscode.ViewColumn.Active,
      MediaPanel.options(deps.extensionUri, runs),
    );
    MediaPanel.current = new MediaPanel(panel, deps, runs);
    MediaPanel.current.revealKey = key;
    return MediaPanel.current;
  }

  /** Restores a panel VS Code kept across a reload, from the webview's saved state. */
  static async revive(panel: vscode.WebviewPanel, deps: MediaPanelDeps, state: unknown): Promise<MediaPanel> {
    const { runIds: saved, view } = (state ?? {}) as { runIds?: unknown; view?: unknown };
    const ids = Array.isArray(saved) ? saved.filter((id): id is string => typeof id === 'string') : [];
    const runs = await located(await deps.resolve(ids));
    MediaPanel.current?.panel.dispose();
    MediaPanel.current = new MediaPanel(panel, deps, runs);
    if (isMediaView(view)) MediaPanel.current.restoredView = view;
    return MediaPanel.current;
  }

  static get active(): MediaPanel | undefined {
    return MediaPanel.current;
  }

  private static title(runs: readonly RunRef[]): string {
    return runs.length === 1 ? 'Media: 1 run' : `Media: ${runs.length} runs`;
  }

  /** Scripts on; resources only from the bundle and the shown runs' artifacts. */
  private static options(
    extensionUri: vscode.Uri,
    runs: readonly ShownRun[],
  ): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      localResourceRoots: [webviewRoot(extensionUri), ...runs.map((r) => vscode.Uri.file(r.artifacts))],
      retainContextWhenHidden: false,
    };
  }

  get runIds(): string[] {
    return this.runs.map((r) => r.runId);
  }

  /** Changes the view as the user would (a key's step, the mode, the compared pair). */
  setView(view: Partial<MediaView>): void {
    this.channel.send({ type: 'setView', view });
  }

  private setRuns(runs: ShownRun[]): void {
    const roots = (list: readonly ShownRun[]): string => list.map((r) => r.artifacts).join('\n');
    const sameRoots = roots(runs) === roots(this.runs);
    this.runs = runs;
    this.panel.title = MediaPanel.title(runs);
    // New roots reload the page (VS Code sets the content again); it then says `ready`.
    if (!sameRoots) this.panel.webview.options = MediaPanel.options(this.deps.extensionUri, runs);
    else void this.pushState();
  }

  private onEvent(message: MediaViewMessage): void {
    switch (message.type) {
      case 'ready':
        if (this.restoredView) this.setView(this.restoredView);
        this.restoredView = undefined;
        void this.pushState();
        return;
      case 'revealRun':
        if (this.runIds.includes(message.runId)) this.deps.revealRun(message.runId);
        return;
      case 'rendered':
        this.lastReport = message.report;
        this.rendered.fire(message.report);
        return;
      default:
        return;
    }
  }

  private readonly requests: RequestHandlers<MediaViewMessage, MediaViewReplies> = {
    series: async (message) => {
      const wanted = message.runIds ? new Set(message.runIds) : undefined;
      const found = await Promise.all(
        [...this.byStore(wanted)].map(([store, ids]) => store.call('imageSeries', ids, message.key)),
      );
      const byRun = new Map<string, MediaSeries>(found.flat().map((s) => [s.runId, s]));
      return this.runIds.flatMap((id) => byRun.get(id) ?? []);
    },
  };

  /** The runs grouped by store, in the panel's order. */
  private byStore(wanted?: ReadonlySet<string>): Map<StoreClient, string[]> {
    const groups = new Map<StoreClient, string[]>();
    for (const { store, runId } of this.runs) {
      if (wanted && !wanted.has(runId)) continue;
      groups.set(store, [...(groups.get(store) ?? []), runId]);
    }
    return groups;
  }

  private storeChanged(runIds: readonly string[]): void {
    const shown = new Set(this.runIds);
    const touched = runIds.filter((id) => shown.has(id));
    if (touched.length === 0) return;
    for (const id of touched) this.touched.add(id);
    this.pushSoon();
  }

  private async pushState(changed?: readonly string[]): Promise<void> {
    try {
      const keys = new Map<string, MediaKey>();
      const params = new Map<string, Record<string, string>>();
      const details = new Map<string, { name: string; status: string }>();
      for (const [store, ids] of this.byStore()) {
        const [found, values, runs] = await Promise.all([
          store.call('imageKeys', ids),
          store.call('params', ids),
          Promise.all(ids.map((id) => store.call('getRun', id))),
        ]);
        for (const k of found) {
          const held = keys.get(k.key);
          keys.set(k.key, held ? { key: k.key, runs: held.runs + k.runs, images: held.images + k.images } : k);
        }
        for (const [id, p] of values) params.set(id, p);
        for (const run of runs) if (run) details.set(run.id, { name: run.name, status: run.status });
      }
      if (this.disposed) return;
      const labels = differingParams(this.runIds.map((id) => params.get(id) ?? {}));
      const runs: MediaRun[] = [];
      this.runs.forEach(({ runId, artifacts }, i) => {
        const known = details.get(runId);
        if (!known) return;
        const base = this.panel.webview.asWebviewUri(vscode.Uri.file(artifacts)).toString();
        runs.push({ id: runId, ...known, color: runColor(i), label: labels[i], base: `${base}/` });
      });
      const sorted = [...keys.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      this.channel.send({ type: 'state', state: { runs, keys: sorted } });
      if (changed && changed.length > 0) this.channel.send({ type: 'runsChanged', runIds: changed });
      if (this.revealKey !== undefined) {
        this.channel.send({ type: 'reveal', key: this.revealKey });
        this.revealKey = undefined;
      }
    } catch (error) {
      this.deps.log.error(`Media panel: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (MediaPanel.current === this) MediaPanel.current = undefined;
    this.pushSoon.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

/** Each run with its artifacts folder, from its store's folder. */
async function located(refs: readonly RunRef[]): Promise<ShownRun[]> {
  const dirs = new Map<StoreClient, Promise<string>>();
  return Promise.all(
    refs.map(async (ref) => {
      let dir = dirs.get(ref.store);
      if (!dir) dirs.set(ref.store, (dir = ref.store.call('status').then((s) => s.dir)));
      return { ...ref, artifacts: join(await dir, 'runs', ref.runId, 'artifacts') };
    }),
  );
}
