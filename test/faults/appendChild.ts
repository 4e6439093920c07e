// A writer the compaction trial runs next to the compacting one (test/faults/compaction.ts): it
// appends a tag to one of the even-numbered finished runs every few milliseconds (the odd ones
// compact undisturbed) by the editor's and the endpoint's own rule (appendJournal, which writes
// again what lands in a journal compaction replaced), and prints each tag's number once its append
// has resolved: those are acknowledged, and must be in their run's journal exactly once whatever
// the kills did.
import { join } from 'node:path';
import { appendJournal } from '../../src/store/journalAppend';

const dir = process.argv[2] ?? '';
const runs = Number(process.argv[3] ?? 6);
const first = Number(process.argv[4] ?? 0);

async function main(): Promise<void> {
  for (let n = first; ; n++) {
    const runId = `run${(2 * n) % runs}`;
    const line = `${JSON.stringify({ t: 'tag', ts: Date.now(), key: `a${n}`, value: String(n) })}\n`;
    await appendJournal(join(dir, 'runs', runId, 'events.jsonl'), line);
    process.stdout.write(`${n}\n`);
    await new Promise((resolve) => setTimeout(resolve, 2 + (n % 5)));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
