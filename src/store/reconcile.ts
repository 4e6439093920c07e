import { hostname } from 'node:os';
import { appendJournal, runJournalPath } from './journalAppend';
import { processAlive } from './lock';
import type { RunStore } from './runStore';

export interface Liveness {
  readonly host: string;
  isAlive(pid: number): boolean;
}

const LOCAL: Liveness = { host: hostname(), isAlive: processAlive };

/**
 * Runs that were going when their editor or script went away: RUNNING or QUEUED on this host, but
 * the process they depend on is gone. (Runs whose journal says they ended are already ended; runs
 * of other hosts cannot be checked from here and keep their status.)
 */
export function findInterrupted(store: RunStore, liveness: Liveness = LOCAL): string[] {
  return store
    .query('runsInFlight')
    .filter((run) => run.host === liveness.host && !liveness.isAlive(run.pid))
    .map((run) => run.id);
}

/** Records that runs were interrupted, in their journals (the store reads it back like any event). */
export async function markInterrupted(storeDir: string, runIds: readonly string[]): Promise<void> {
  const line = `${JSON.stringify({ t: 'status', ts: Date.now(), status: 'INTERRUPTED' })}\n`;
  await Promise.all(runIds.map(async (id) => appendJournal(await runJournalPath(storeDir, id), line)));
}
