import type { FSWatcher } from 'node:fs';
import { watch } from 'node:fs';
import type { InsightQuery, ParamHistoryQuery, ScriptSummaryQuery } from './insightQueries';
import type { Range, XAxis } from './metrics';
import type { ChartSeriesQuery, ChartX } from './chartData';
import { HEARTBEAT_MS, StoreLock } from './lock';
import { findInterrupted, markInterrupted } from './reconcile';
import type { ListRunsQuery, RunGrouping } from './runStore';
import { REGISTRY_DIR, RUNS_DIR, RunStore } from './runStore';
import type { ServiceOptions, StoreApi, StoreStatus } from './storeProtocol';

/** How often runs whose process died are looked for. */
const RECONCILE_MS = 30_000;

export interface ServiceEvents {
  changed(runIds: readonly string[]): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/**
 * The store as one process runs it: the RunStore, the lock that decides whether this process writes
 * `runlog.db`, journal watching, and snapshot timing. It runs inside the store worker, so none of this
 * work ever lands on the extension host's event loop.
 */
export class StoreService implements StoreApi {
  private lock: StoreLock | undefined;
  private watcher: FSWatcher | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private snapshotTimer: NodeJS.Timeout | undefined;
  private firstUnsaved: number | undefined;
  private syncing: Promise<string[]> | undefined;
  private syncAgain = false;
  private closed = false;
  /** Runs this process marked interrupted: never marked twice, whatever their journal still says. */
  private readonly marked = new Set<string>();

  private constructor(
    private readonly store: RunStore,
    private readonly options: ServiceOptions,
    private readonly events: ServiceEvents,
  ) {}

  static async start(options: ServiceOptions, events: ServiceEvents): Promise<StoreService> {
    const lock = await StoreLock.tryAcquire(options.dir).catch(() => undefined);
    let store: RunStore;
    try {
      store = await RunStore.open({
        dir: options.dir,
        writer: lock !== undefined,
        version: options.version,
        ...(options.wasmFile ? { wasmFile: options.wasmFile } : {}),
        log: (message) => events.log('warn', message),
      });
    } catch (error) {
      await lock?.release();
      throw error;
    }
    const service = new StoreService(store, options, events);
    service.lock = lock;
    service.startWatching();
    service.every(options.heartbeatMs ?? HEARTBEAT_MS, () => service.keepLock());
    // Rescan every pollMs as a safety net; every second while there is no watcher (the runs
    // folder does not exist yet), so the first run of a new store shows up quickly.
    let lastScan = Date.now();
    service.every(Math.min(1_000, options.pollMs ?? 5_000), () => {
      if (service.watcher && Date.now() - lastScan < (options.pollMs ?? 5_000)) return Promise.resolve();
      lastScan = Date.now();
      return service.requestSync();
    });
    if (store.hasUnsavedChanges) service.scheduleSnapshot();
    // Runs whose process died with the last session are interrupted; checked again now and then,
    // for scripts that die while no Runlog window is watching.
    await service.reconcile();
    service.every(options.reconcileMs ?? RECONCILE_MS, () => service.reconcile());
    return service;
  }

  private every(ms: number, task: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      task().catch((error: unknown) => this.events.log('error', String(error)));
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  /** Watches the runs folder (recursively) so new journal lines are read within a fraction of a second. */
  private startWatching(): void {
    if (this.watcher) return;
    try {
      this.watcher = watch(this.options.dir, { recursive: true }, (_event, file) => {
        // Journals only: the snapshot this process writes must not wake it up again.
        const name = typeof file === 'string' ? file : '';
        if (name.startsWith(RUNS_DIR) || name.startsWith(REGISTRY_DIR)) void this.requestSync();
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      // The folder does not exist yet: the poll notices when it does and calls us again.
      this.watcher = undefined;
    }
  }

  /** Coalesces change notices: one sync at a time, and one more if notices arrived meanwhile. */
  requestSync(): Promise<string[]> {
    if (this.closed) return Promise.resolve([]);
    if (this.syncing) {
      this.syncAgain = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      const changed = new Set<string>();
      do {
        this.syncAgain = false;
        const result = await this.store.syncJournals();
        for (const id of result.changedRuns) changed.add(id);
      } while (this.syncAgain && !this.closed);
      this.startWatching();
      return [...changed];
    })().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing.then((changed) => {
      if (changed.length > 0) {
        this.events.changed(changed);
        this.scheduleSnapshot();
      }
      return changed;
    });
  }

  /** Snapshot `settleMs` after the last change, but no later than `maxDelayMs` after the first unsaved one. */
  private scheduleSnapshot(): void {
    if (!this.store.isWriter || this.closed) return;
    const now = Date.now();
    this.firstUnsaved ??= now;
    const due = Math.min(
      now + (this.options.settleMs ?? 2_000),
      this.firstUnsaved + (this.options.maxDelayMs ?? 10_000),
    );
    clearTimeout(this.snapshotTimer);
    this.snapshotTimer = setTimeout(
      () => {
        void this.writeSnapshot();
      },
      Math.max(0, due - now),
    );
  }

  private async writeSnapshot(): Promise<boolean> {
    // Reading journals and exporting interleave on this thread; export only between syncs.
    await this.syncing;
    try {
      const wrote = await this.store.snapshot();
      this.firstUnsaved = undefined;
      return wrote;
    } catch (error) {
      // Disk full, permissions: nothing is lost (the journals hold it all); say so and retry.
      this.events.log(
        'error',
        `Could not save the run database: ${(error as Error).message}. Retrying in 5 s; no run data is lost.`,
      );
      clearTimeout(this.snapshotTimer);
      this.snapshotTimer = setTimeout(() => void this.writeSnapshot(), 5_000);
      return false;
    }
  }

  /** Marks RUNNING or QUEUED runs whose process is gone as interrupted. Only the writer does. */
  private async reconcile(): Promise<void> {
    if (!this.store.isWriter || this.closed) return;
    const interrupted = findInterrupted(this.store).filter((id) => !this.marked.has(id));
    if (interrupted.length === 0) return;
    for (const id of interrupted) this.marked.add(id);
    await markInterrupted(this.options.dir, interrupted);
    this.events.log('info', `Marked ${interrupted.length} run(s) as interrupted: their process is gone.`);
    await this.requestSync();
  }

  /** Renews the lock, notices losing it, and takes it when the previous writer is gone. */
  private async keepLock(): Promise<void> {
    if (this.lock) {
      if (!(await this.lock.heartbeat())) {
        this.lock = undefined;
        this.store.setWriter(false);
        this.events.log('warn', 'Another window took over saving the run database; this one now only reads.');
      }
      return;
    }
    this.lock = await StoreLock.tryAcquire(this.options.dir).catch(() => undefined);
    if (this.lock) {
      this.store.setWriter(true);
      this.scheduleSnapshot();
    }
  }

  listRuns(query: ListRunsQuery): ReturnType<StoreApi['listRuns']> {
    return this.store.listRuns(query);
  }
  getRun(runId: string): ReturnType<StoreApi['getRun']> {
    return this.store.getRun(runId);
  }
  experiments(): ReturnType<StoreApi['experiments']> {
    return this.store.experiments();
  }
  keys(kind: 'metrics' | 'params'): string[] {
    return this.store.keys(kind);
  }
  metricSummaries(runIds: readonly string[]): ReturnType<StoreApi['metricSummaries']> {
    return [...this.store.metricSummaries(runIds)];
  }
  params(runIds: readonly string[]): ReturnType<StoreApi['params']> {
    return [...this.store.params(runIds)];
  }
  series(runId: string, key: string, x?: XAxis, range?: Range): ReturnType<StoreApi['series']> {
    return this.store.series(runId, key, x, range);
  }
  buckets(runId: string, key: string, buckets: number, x?: XAxis, range?: Range): ReturnType<StoreApi['buckets']> {
    return this.store.buckets(runId, key, buckets, x, range);
  }
  bucketsOfRuns(
    runIds: readonly string[],
    key: string,
    buckets: number,
    x?: XAxis,
    range?: Range,
  ): ReturnType<StoreApi['bucketsOfRuns']> {
    return this.store.bucketsOfRuns(runIds, key, buckets, x, range);
  }
  chartExtent(runIds: readonly string[], key: string, x: ChartX): ReturnType<StoreApi['chartExtent']> {
    return this.store.chartExtent(runIds, key, x);
  }
  chartSeries(query: ChartSeriesQuery): ReturnType<StoreApi['chartSeries']> {
    return this.store.chartSeries(query);
  }
  extremeSteps(runId: string): ReturnType<StoreApi['extremeSteps']> {
    return this.store.extremeSteps(runId);
  }
  lineage(runIds: readonly string[]): ReturnType<StoreApi['lineage']> {
    return this.store.lineage(runIds);
  }
  registeredModels(): ReturnType<StoreApi['registeredModels']> {
    return this.store.registeredModels();
  }
  metricInsights(query: InsightQuery): ReturnType<StoreApi['metricInsights']> {
    return this.store.metricInsights(query);
  }
  latestMetrics(query: Parameters<StoreApi['latestMetrics']>[0]): ReturnType<StoreApi['latestMetrics']> {
    return this.store.latestMetrics(query);
  }
  scriptSummary(query: ScriptSummaryQuery): ReturnType<StoreApi['scriptSummary']> {
    return this.store.scriptSummary(query);
  }
  paramHistory(query: ParamHistoryQuery): ReturnType<StoreApi['paramHistory']> {
    return this.store.paramHistory(query);
  }
  runGroups(
    by: RunGrouping,
    query?: Omit<ListRunsQuery, 'group' | 'sort' | 'offset' | 'limit'>,
  ): ReturnType<StoreApi['runGroups']> {
    return this.store.runGroups(by, query);
  }
  sync(): Promise<string[]> {
    return this.requestSync();
  }
  snapshot(): Promise<boolean> {
    return this.writeSnapshot();
  }
  status(): StoreStatus {
    return { dir: this.options.dir, writer: this.store.isWriter, recoveredFrom: this.store.recoveredFrom };
  }

  /** Stops watching, saves what is unsaved, and gives the lock back. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.snapshotTimer);
    this.watcher?.close();
    await this.syncing;
    try {
      await this.store.snapshot();
    } catch (error) {
      this.events.log(
        'error',
        `Could not save the run database on close: ${(error as Error).message}. The journals still hold every run.`,
      );
    }
    await this.lock?.release();
    this.store.close();
  }
}
