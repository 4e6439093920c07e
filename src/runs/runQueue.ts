import type { EndStatus } from '../store/events';
import type { RunJournal } from './runJournal';

/** A run waiting for, or holding, one of the queue's slots. */
export interface QueuedRun {
  readonly journal: RunJournal;
  /** Starts the run; resolves when it has ended. */
  start(): Promise<EndStatus>;
  /** Asks a started run to stop. */
  stop(): void;
}

/**
 * Runs at most `limit()` runs at once (setting `runlog.maxParallelRuns`); the rest wait, in order,
 * as QUEUED runs that can be cancelled before they start.
 */
export class RunQueue {
  private readonly waiting: QueuedRun[] = [];
  private readonly running = new Map<string, QueuedRun>();

  constructor(
    private readonly limit: () => number,
    private readonly onChange: () => void = () => undefined,
  ) {}

  enqueue(run: QueuedRun): void {
    this.waiting.push(run);
    this.pump();
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.running.size < Math.max(1, this.limit())) {
      const next = this.waiting.shift() as QueuedRun;
      this.running.set(next.journal.runId, next);
      next
        .start()
        .catch(() => 'FAILED')
        .finally(() => {
          this.running.delete(next.journal.runId);
          this.pump();
          this.onChange();
        });
    }
    this.onChange();
  }

  /** Stops a running run, or cancels a waiting one (it ends KILLED without having started). */
  async stop(runId: string): Promise<boolean> {
    const running = this.running.get(runId);
    if (running) {
      running.stop();
      return true;
    }
    const index = this.waiting.findIndex((r) => r.journal.runId === runId);
    if (index === -1) return false;
    const [cancelled] = this.waiting.splice(index, 1);
    await cancelled?.journal.append({
      t: 'run_end',
      ts: Date.now(),
      status: 'KILLED',
      error: 'Cancelled before it started.',
    });
    this.onChange();
    return true;
  }

  /** Run ids that are running, then those waiting. */
  get active(): { running: string[]; waiting: string[] } {
    return { running: [...this.running.keys()], waiting: this.waiting.map((r) => r.journal.runId) };
  }
}
