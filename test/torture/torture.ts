// `npm run torture`: a child process appends to journals, ingests and snapshots while this harness
// kills it with SIGKILL at random moments. After every kill the store must open without recovery
// and hold every event that reached a journal (every complete line) exactly once.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../src/store/runStore';

const KILLS = Number(process.argv[2] ?? 200);
const child = join(__dirname, 'child.js');

interface Expected {
  points: Map<string, number>;
  params: Map<string, string>;
}

/** What the journals hold: every complete, well-formed line, read without the store's code. */
function expectedFrom(dir: string): Expected {
  const points = new Map<string, number>();
  const params = new Map<string, string>();
  let runs: string[];
  try {
    runs = readdirSync(join(dir, 'runs'));
  } catch {
    return { points, params };
  }
  for (const runId of runs) {
    let text: string;
    try {
      text = readFileSync(join(dir, 'runs', runId, 'events.jsonl'), 'utf8');
    } catch {
      continue;
    }
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    for (const line of complete.split('\n')) {
      if (!line) continue;
      let event: { t: string; key: string; value: string };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        continue; // a line cut by a kill and then closed by the next writer's newline
      }
      if (event.t === 'metric') points.set(`${runId}/${event.key}`, (points.get(`${runId}/${event.key}`) ?? 0) + 1);
      if (event.t === 'param' && !params.has(`${runId}/${event.key}`)) params.set(`${runId}/${event.key}`, event.value);
    }
  }
  return { points, params };
}

async function runOnce(dir: string, seed: number): Promise<void> {
  const proc = spawn(process.execPath, [child, dir, String(seed)], { stdio: ['ignore', 'ignore', 'inherit'] });
  // Node and sql.js take ~0.3 s to start: kill anywhere from start-up to well into the work.
  const lifetime = 100 + Math.random() * 900;
  await new Promise((resolve) => setTimeout(resolve, lifetime));
  proc.kill('SIGKILL');
  await new Promise((resolve) => proc.once('exit', resolve));
}

async function main(): Promise<void> {
  const dir = join(await mkdtemp(join(tmpdir(), 'runlog-torture-')), '.runlog');
  let corrupt = 0;
  let lost = 0;
  let kills = 0;
  let points = 0;
  try {
    for (let i = 0; i < KILLS; i++) {
      await runOnce(dir, i + 1);
      kills++;
      const expected = expectedFrom(dir);
      // Open as a reader: nothing the harness does changes the files the next child starts from.
      const logs: string[] = [];
      const store = await RunStore.open({ dir, writer: false, version: 'torture', log: (m) => logs.push(m) });
      if (logs.some((m) => m.includes('unreadable'))) {
        corrupt++;
        console.error(`kill ${kills}: ${logs.join('; ')}`);
      }
      const runIds = store.listRuns().runs.map((r) => r.id);
      const summaries = store.metricSummaries(runIds);
      const params = store.params(runIds);
      const stored = new Map<string, number>();
      for (const [runId, list] of summaries) for (const m of list) stored.set(`${runId}/${m.key}`, m.count);
      for (const [key, count] of expected.points) {
        const have = stored.get(key) ?? 0;
        points += count;
        if (have !== count) {
          lost += Math.abs(count - have);
          console.error(`kill ${kills}: ${key} has ${have} points, the journal ${count}`);
        }
      }
      for (const [key, value] of expected.params) {
        const [runId, name] = key.split('/') as [string, string];
        if (params.get(runId)?.[name] !== value) {
          lost++;
          console.error(`kill ${kills}: param ${key} is missing`);
        }
      }
      store.close();
      if (kills % 20 === 0)
        console.log(`${kills} kills, ${points.toLocaleString('en-US')} points checked in the last round`);
      points = 0;
    }
  } finally {
    await rm(join(dir, '..'), { recursive: true, force: true });
  }
  console.log(`kills: ${kills}, corrupt: ${corrupt}, lost: ${lost}`);
  if (corrupt > 0 || lost > 0) process.exitCode = 1;
}

void main();
