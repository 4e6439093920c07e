import { ChunkFileGone } from './chunkFiles';
import { JOURNAL_FORMAT } from './events';
import type { RunStatus } from './events';

import type { JournalChange } from './journalWatcher';
import { JournalWatcher } from './journalWatcher';
import { HEARTBEAT_MS, StoreLock } from './lock';
import { findInterrupted, markInterrupted } from './reconcile';
import { RunStore } from './runStore';
import { recordStoreFormat } from './storeFormat';
import type {
  ServiceCalls,
  ServiceOptions,
  StoreApi,
  StoreCalls,
  StoreMethod,
  StoreRequest,
  StoreResult,
  StoreStatus,
} from './storeProtocol';
import type { QueryArgs } from './storeQueries';
import { isQueryName } from './storeQueries';

/** How often runs whose process died are looked for. */
const RECONCILE_MS = 30_000;
/** How often sealed runs' journals are looked at for compaction. */
const COMPACT_MS = 60_000;
/** Runs whose journals are still being written. */
const LIVE: readonly RunStatus[] = ['RUNNING', 'QUEUED'];

/** Journal reads asked for and not started yet: some runs, or every journal; and who waits for them. */
interface SyncRequest {
  all: boolean;
  readonly runs: Set<string>;
  readonly waiters: { resolve(changed: string[]): void; reject(error: unknown): void }[];
}

export interface ServiceEvents {
  changed(runIds: readonly string[]): void;
  log(level: 'info' | 'warn' | 'error', message: string): void;
}

/**
 * The store as one process runs it: the RunStore, the lock that decides whether this process writes
 * `runlog.db`, journal watching, and snapshot timing. It runs inside the store worker, so none of this
 * work ever lands on the extension host's event loop.
 */
export class StoreService implements ServiceCalls, StoreCalls {
  private lock: StoreLock | undefined;
  private readonly watcher: JournalWatcher;
  private readonly timers = new Set<NodeJS.Timeout>();
  private snapshotTimer: NodeJS.Timeout | undefined;
  private firstUnsaved: number | undefined;
  /** Reading journals, one pass after another while reads are asked for. */
  private syncing: Promise<void> = Promise.resolve();
  /** The snapshot being saved, if any (settled either way). */
  private saving: Promise<unknown> = Promise.resolve();
  private draining = false;
  private compacting = false;
  private queued: SyncRequest | undefined;
  private closed = false;
  /** Runs this process marked interrupted: never marked twice, whatever their journal still says. */
  private readonly marked = new Set<string>();

  private constructor(
    private readonly store: RunStore,
    private readonly options: ServiceOptions,
    private readonly events: ServiceEvents,
  ) {
    this.watcher = new JournalWatcher(options.dir, (change) => {
      this.requestSync(change).catch((error: unknown) => events.log('error', String(error)));
    });
  }

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
    if (lock) await service.recordFormat();
    service.watch(true);
    service.every(options.heartbeatMs ?? HEARTBEAT_MS, () => service.keepLock());
    // Rescan every pollMs as a safety net; every second while the store is not watched (its folder
    // does not exist yet), so the first run of a new store shows up quickly.
    let lastScan = Date.now();
    service.every(Math.min(1_000, options.pollMs ?? 5_000), () => {
      if (service.watch() && Date.now() - lastScan < (options.pollMs ?? 5_000)) return Promise.resolve();
      lastScan = Date.now();
      return service.requestSync();
    });
    if (store.hasUnsavedChanges) service.scheduleSnapshot();
    void service.moveChunksOut();
    // Runs whose process died with the last session are interrupted; checked again now and then,
    // for scripts that die while no Runlog window is watching.
    await service.reconcile();
    service.every(options.reconcileMs ?? RECONCILE_MS, () => service.reconcile());
    if ((options.compactMs ?? COMPACT_MS) > 0) service.every(options.compactMs ?? COMPACT_MS, () => service.compact());
    return service;
  }

  private every(ms: number, task: () => Promise<unknown>): void {
    const timer = setInterval(() => {
      task().catch((error: unknown) => this.events.log('error', String(error)));
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  /**
   * Watches what is not watched yet of the store, and reads what was written before the watch began:
   * just after the store was opened (which read everything), the running runs' journals; later, when
   * the store's folder appeared or came back, every journal. Returns whether it watches.
   */
  private watch(justOpened = false): boolean {
    if (this.watcher.watching) return true;
    if (!this.watcher.start()) return false;
    void this.requestSync(justOpened ? this.followLive() : undefined).catch((error: unknown) =>
      this.events.log('error', String(error)),
    );
    return true;
  }

  /** Follows every running or queued run's journal; returns the runs newly followed. */
  private followLive(): string[] {
    const live = this.store.query('listRuns', { statuses: LIVE, deleted: 'all', limit: 1_000 }).runs;
    return this.watcher.follow(live.map((run) => run.id));
  }

  /**
   * After reading `changed` runs: follow those that run, stop following those that ended. A folder
   * the store has no run for yet stays followed: its journal may not have its first line yet.
   */
  private followChanged(changed: readonly string[]): string[] {
    // Not the store-wide journals (`@registry`, `@models`): no run id starts with "@".
    const ids = changed.filter((id) => !id.startsWith('@'));
    if (ids.length === 0) return [];
    const known = this.store.query('listRuns', { runIds: ids, deleted: 'all', limit: ids.length }).runs;
    this.watcher.unfollow(known.filter((run) => !LIVE.includes(run.status)).map((run) => run.id));
    return this.watcher.follow(known.filter((run) => LIVE.includes(run.status)).map((run) => run.id));
  }

  /**
   * Reads the journals of `runIds` (all of them when undefined, and the registry's either way).
   * Requests coalesce: one pass at a time, and the next takes every request made meanwhile. Each
   * pass announces what it changed at once, so a run that keeps writing is shown as it goes rather
   * than when it falls quiet. Resolves with what the pass that covered this request changed.
   */
  requestSync(runIds?: JournalChange): Promise<string[]> {
    if (this.closed) return Promise.resolve([]);
    const request = (this.queued ??= { all: false, runs: new Set(), waiters: [] });
    if (runIds === undefined) request.all = true;
    else for (const id of runIds) request.runs.add(id);
    const done = new Promise<string[]>((resolve, reject) => request.waiters.push({ resolve, reject }));
    if (!this.draining) {
      this.draining = true;
      this.syncing = this.drain();
    }
    return done;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queued && !this.closed) {
        const request = this.queued;
        this.queued = undefined;
        try {
          const { changedRuns, unread } = await this.store.syncJournals(request.all ? undefined : [...request.runs]);
          if (changedRuns.length > 0) {
            this.events.changed(changedRuns);
            this.scheduleSnapshot();
          }
          // Runs followed only now may have written before their watch began: read them once more.
          // That includes folders with no line read yet: a run folder made with `runs/` itself (the
          // first run of a new store) appeared before `runs/` was watched, so no watch saw it come.
          const followed = [
            ...(request.all ? this.followLive() : []),
            ...this.followChanged(changedRuns),
            ...this.watcher.follow(unread),
          ];
          if (followed.length > 0) void this.requestSync(followed).catch(() => undefined);
          for (const waiter of request.waiters) waiter.resolve(changedRuns);
        } catch (error) {
          for (const waiter of request.waiters) waiter.reject(error);
        }
      }
      for (const waiter of this.queued?.waiters ?? []) waiter.resolve([]);
      this.queued = undefined;
    } finally {
      // In the same turn as the last look at `queued`: a request made after this starts a new drain.
      this.draining = false;
    }
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
      const saving = this.store.snapshot();
      this.saving = saving.catch(() => undefined);
      const wrote = await saving;
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
      await this.recordFormat();
      void this.moveChunksOut();
    }
  }

  /**
   * The writer moves full chunks kept in rows to chunk files (RunStore.moveChunksOut), a batch per
   * turn of the event loop so that queries and journal reads go on between batches.
   */
  private async moveChunksOut(): Promise<void> {
    try {
      while (!this.closed && this.store.moveChunksOut()) {
        this.scheduleSnapshot();
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.events.log('error', `Could not move metric chunks to chunk files: ${(error as Error).message}`);
    }
  }

  /**
   * The writer compacts sealed runs' journals (compaction.ts), one run at a time, starting only
   * between journal reads. A compaction reads its journal a piece at a time and lets the event loop
   * run between pieces (queries are answered, other journals read, snapshots saved); its last step,
   * which replaces the journal, checks that the database still has read the journal whole.
   */
  private async compact(): Promise<void> {
    if (this.compacting) return;
    this.compacting = true;
    const skip = new Set<string>();
    let compacted = 0;
    let saved = 0;
    try {
      while (!this.closed && this.store.isWriter) {
        if (this.draining) {
          await this.syncing;
          continue;
        }
        const steps = this.store.compactTurn({ skip, quietMs: this.options.compactQuietMs ?? 60_000 });
        let step = steps.next();
        while (!step.done) {
          await new Promise((resolve) => setImmediate(resolve));
          // Closing: the compaction stops where it is and removes what it wrote.
          if (this.closed) {
            steps.return(undefined);
            return;
          }
          step = steps.next();
        }
        const turn = step.value;
        if (!turn) break;
        if (turn.outcome.compacted) {
          compacted++;
          saved += turn.outcome.from - turn.outcome.to;
          // Lines another writer put in the old file meanwhile are in the new one, after what was read.
          if (turn.outcome.carried > 0) void this.requestSync([turn.runId]).catch(() => undefined);
        }
        if (this.store.hasUnsavedChanges) this.scheduleSnapshot();
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.events.log('error', `Could not compact run journals: ${(error as Error).message}`);
    } finally {
      this.compacting = false;
    }
    if (compacted > 0) {
      this.events.log(
        'info',
        `Compacted ${compacted} finished run journal(s), ${(saved / 1e6).toFixed(1)} MB smaller.`,
      );
    }
  }

  /** The writer records the journal format in the store folder, for older Python clients to notice. */
  private async recordFormat(): Promise<void> {
    try {
      const newer = await recordStoreFormat(this.options.dir, this.options.version);
      if (newer) {
        this.events.log(
          'warn',
          `This store's journals are format ${newer.journal_format}${newer.written_by ? ` (${newer.written_by})` : ''}, newer than ${this.options.version} reads (format ${JOURNAL_FORMAT}): update Runlog. Runs are shown as far as this version understands them.`,
        );
      }
    } catch (error) {
      this.events.log('warn', `Could not record the store's journal format: ${(error as Error).message}`);
    }
  }

  /**
   * Answers one StoreApi call: a query of the store (storeQueries.ts) or one of the service's own.
   * The worker forwards every request from the host here.
   */
  async call<K extends StoreMethod>(method: K, ...args: Parameters<StoreApi[K]>): Promise<StoreResult<K>> {
    const name: StoreMethod = method;
    switch (name) {
      case 'sync':
        return (await this.sync()) as StoreResult<K>;
      case 'snapshot':
        return (await this.snapshot()) as StoreResult<K>;
      case 'status':
        return this.status() as StoreResult<K>;
      default:
        try {
          return this.store.query(name, ...(args as QueryArgs<typeof name>)) as StoreResult<K>;
        } catch (error) {
          if (!(error instanceof ChunkFileGone)) throw error;
          // The writer replaced the run's chunk file after this process read the database (a second
          // window, the CLI): what this database says of the run is read again, then asked once more.
          this.events.log('info', `${error.message} Reading run ${error.runId} again from its journal.`);
          this.store.forgetRun(error.runId);
          await this.requestSync([error.runId]);
          return this.store.query(name, ...(args as QueryArgs<typeof name>)) as StoreResult<K>;
        }
    }
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
    // Intervals and timeouts alike (clearInterval clears both).
    for (const timer of this.timers) clearInterval(timer);
    clearTimeout(this.snapshotTimer);
    this.watcher.close();
    await this.syncing;
    // A snapshot under way finishes first (it removes the chunk files it retired once it is saved).
    await this.saving;
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

/** The service's own calls (a new one fails to compile until it is named here and in `call`). */
const SERVICE_CALLS: Readonly<Record<keyof ServiceCalls, true>> = { sync: true, snapshot: true, status: true };

/** Whether a message from the host is a request the service answers: a store query or one of its own calls. */
export function isStoreRequest(value: unknown): value is StoreRequest {
  const v = value as { type?: unknown; args?: unknown } | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    (isQueryName(v.type) || (typeof v.type === 'string' && Object.hasOwn(SERVICE_CALLS, v.type))) &&
    Array.isArray(v.args)
  );
}
