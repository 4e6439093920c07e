import type { RunStatus } from '../store/events';

const LIVE: ReadonlySet<RunStatus> = new Set(['RUNNING', 'QUEUED']);

export interface SeenRun {
  readonly id: string;
  readonly status: RunStatus;
  readonly deleted: boolean;
}

/**
 * Notices runs that end: it remembers which runs it saw running or queued, and reports those that
 * are later seen with an end status. A run first seen already ended is not reported (it ended
 * before this window looked), unless it was announced with `expect` (a run this window launched,
 * which may finish before the first change notice arrives). Keys are per store: `<store>\0<run>`.
 */
export class RunTransitions {
  private readonly live = new Map<string, RunStatus>();

  private key(store: string, runId: string): string {
    return `${store}\0${runId}`;
  }

  expect(store: string, runId: string): void {
    if (!this.live.has(this.key(store, runId))) this.live.set(this.key(store, runId), 'QUEUED');
  }

  /** Feeds the current state of some runs; returns the ones that ended since they were last seen live. */
  update<T extends SeenRun>(store: string, runs: readonly T[]): T[] {
    const ended: T[] = [];
    for (const run of runs) {
      const key = this.key(store, run.id);
      if (LIVE.has(run.status) && !run.deleted) {
        this.live.set(key, run.status);
      } else if (this.live.delete(key) && !run.deleted) {
        ended.push(run);
      }
    }
    return ended;
  }

  /** Forgets runs that vanished (deleted for good) so the map does not grow. */
  forget(store: string, runIds: readonly string[]): void {
    for (const id of runIds) this.live.delete(this.key(store, id));
  }
}
