import type { AppLog } from '../app/app';
import { RunTransitions } from '../runs/runTransitions';
import type { StoreClient } from '../store/storeClient';
import { pushRuns } from '../sync/push';
import type { ServerEntry, TrackingServers } from './trackingServers';

// `runlog.autoPush`: each run this window saw running is pushed, when it ends, to the servers the
// setting names. Pushes to one server go one after another in the background (the training process
// never waits: it wrote its journal, and the push reads that); what is pending and what failed is
// reported to the status bar. A failed run is tried again when it changes or by Push to Server.

export interface AutoPushFailure {
  readonly runId: string;
  readonly run: string;
  readonly server: string;
  readonly reason: string;
}

export interface AutoPushState {
  readonly pending: number;
  readonly failed: readonly AutoPushFailure[];
}

export class AutoPush {
  private readonly transitions = new RunTransitions();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly failures = new Map<string, AutoPushFailure>();
  private pending = 0;

  constructor(
    private readonly servers: TrackingServers,
    private readonly log: AppLog,
    private readonly onState: (state: AutoPushState) => void,
  ) {}

  get state(): AutoPushState {
    return { pending: this.pending, failed: [...this.failures.values()] };
  }

  /** Called with each store change notice; resolves once the ended runs are queued. */
  async changed(dir: string, store: StoreClient, runIds: readonly string[]): Promise<void> {
    // Off, it costs nothing: runs that were running when it was turned on are pushed by hand.
    const targets = this.servers.autoPushTargets();
    if (runIds.length === 0 || targets.length === 0) return;
    const { runs } = await store.call('listRuns', { runIds, deleted: 'all' });
    const ended = this.transitions.update(dir, runs);
    for (const server of targets) {
      for (const run of ended) this.enqueue(server, store, dir, run.id);
    }
  }

  /** Runs this window launched: pushed when they end, even if the first news of them is their end. */
  expect(dirs: readonly string[], runIds: readonly string[]): void {
    if (this.servers.autoPushTargets().length === 0) return;
    for (const dir of dirs) for (const id of runIds) this.transitions.expect(dir, id);
  }

  /** Resolves when every push queued so far has ended (tests, and closing the window). */
  async idle(): Promise<void> {
    while (this.pending > 0) await Promise.all([...this.chains.values()]);
  }

  private enqueue(server: ServerEntry, store: StoreClient, dir: string, runId: string): void {
    this.pending++;
    this.report();
    const previous = this.chains.get(server.uri) ?? Promise.resolve();
    const next = previous.then(() => this.push(server, store, dir, runId));
    this.chains.set(server.uri, next);
  }

  private async push(server: ServerEntry, store: StoreClient, dir: string, runId: string): Promise<void> {
    const key = `${server.uri}\0${dir}\0${runId}`;
    let name = runId;
    try {
      const run = await store.call('getRun', runId);
      if (!run) return;
      name = run.name;
      const http = await this.servers.connect(server);
      try {
        const summary = await pushRuns({
          storeDir: dir,
          runs: [run],
          http,
          models: await store.call('registeredModels'),
        });
        const failed = summary.failed[0];
        if (failed) {
          this.failures.set(key, { runId, run: name, server: server.name, reason: failed.reason });
          this.log.warn(`Auto-push of ${name} to ${server.name}: ${failed.reason}`);
        } else {
          this.failures.delete(key);
          if (summary.pushed.length > 0) this.log.info(`Pushed ${name} to ${server.name} (${summary.points} points)`);
        }
      } finally {
        http.close();
      }
    } catch (error) {
      const reason = (error as Error).message;
      this.failures.set(key, { runId, run: name, server: server.name, reason });
      this.log.warn(`Auto-push of ${name} to ${server.name}: ${reason}`);
    } finally {
      this.pending--;
      this.report();
    }
  }

  private report(): void {
    this.onState(this.state);
  }
}
