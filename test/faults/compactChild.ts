// The process the compaction trial kills (test/faults/compaction.ts): the store's writer reading a
// store of finished runs, saving snapshots and compacting the runs' journals one after another, as
// the store service does, until SIGKILL arrives. Between compactions it appends a tag to a run now
// and then, as the editor does to a finished run.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../../src/store/runStore';

const dir = process.argv[2];
const seed = Number(process.argv[3] ?? 1);
/** 'nosnap': never save the database, so what is on disk is the one saved before this process (an early one). */
const snapshots = process.argv[4] !== 'nosnap';
let state = seed;
const random = (): number => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return ((state >>> 0) % 1_000_000) / 1_000_000;
};

async function main(): Promise<void> {
  const store = await RunStore.open({ dir, writer: true, version: 'faults' });
  process.stdout.write('open\n');
  if (snapshots && random() < 0.3) await store.snapshot();
  const skip = new Set<string>();
  for (;;) {
    // What the trial's appender wrote since: a journal is compacted only once read to its end.
    await store.syncJournals();
    // A pause after each step of a compaction (the new file written; renamed over the journal) widens
    // the moments between them, so that kills land there often.
    const turn = store.compactNext({
      quietMs: 0,
      skip,
      after: () => {
        const until = Date.now() + random() * 40;
        while (Date.now() < until);
      },
    });
    if (random() < 0.3) {
      const runId = `run${Math.floor(random() * 6)}`;
      appendFileSync(
        join(dir, 'runs', runId, 'events.jsonl'),
        `${JSON.stringify({ t: 'tag', ts: Date.now(), key: `edit${seed}`, value: String(random()) })}\n`,
      );
      await store.syncJournals([runId]);
    }
    if (snapshots && random() < 0.25) await store.snapshot();
    if (!turn) {
      if (snapshots) await store.snapshot();
      // Done: wait for the kill.
      await new Promise((resolve) => setTimeout(resolve, 60_000));
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
