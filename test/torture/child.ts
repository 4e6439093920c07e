// The process the torture harness kills: it plays both a producer (appending journal lines, as the
// Python client does, one whole-lines write per batch) and the editor (ingesting and snapshotting),
// as fast as it can, until SIGKILL arrives.
import { appendFileSync, mkdirSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RunStore } from '../../src/store/runStore';

const dir = process.argv[2];
const seed = Number(process.argv[3] ?? 1);
let state = seed;
const random = (): number => {
  // xorshift: deterministic per child, different between children.
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return ((state >>> 0) % 1_000_000) / 1_000_000;
};

/** A journal cut mid-line by an earlier kill gets a newline first, so the next line stays whole. */
function endsWithNewline(file: string): boolean {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return true;
  }
  if (size === 0) return true;
  const fd = openSync(file, 'r');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, size - 1);
  closeSync(fd);
  return byte[0] === 0x0a;
}

async function main(): Promise<void> {
  const store = await RunStore.open({ dir, writer: true, version: 'torture' });
  let step = Date.now() % 1_000_000;
  for (;;) {
    const runId = `run${Math.floor(random() * 5)}`;
    const runDir = join(dir, 'runs', runId);
    mkdirSync(runDir, { recursive: true });
    const file = join(runDir, 'events.jsonl');
    let lines = endsWithNewline(file) ? '' : '\n';
    const ts = Date.now();
    if (random() < 0.05)
      lines += JSON.stringify({ t: 'run_start', ts, run_id: runId, name: runId, experiment: 'torture' }) + '\n';
    if (random() < 0.1) lines += JSON.stringify({ t: 'param', ts, key: `p${step}`, value: String(step) }) + '\n';
    if (random() < 0.1) lines += JSON.stringify({ t: 'tag', ts, key: 'phase', value: String(step) }) + '\n';
    // Now and then a big batch, so series fill 2048-point chunks (written to chunk files) within a trial.
    const points = random() < 0.15 ? 1500 + Math.floor(random() * 1500) : 1 + Math.floor(random() * 200);
    for (let i = 0; i < points; i++) {
      lines += `{"t":"metric","ts":${ts},"key":"k${i % 3}","value":${random()},"step":${step++}}\n`;
    }
    appendFileSync(file, lines);
    if (random() < 0.5) await store.syncJournals();
    if (random() < 0.2) await store.snapshot();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
