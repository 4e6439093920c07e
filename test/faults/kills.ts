// SIGKILL at random moments: a process that appends, ingests and snapshots (test/torture/child.ts),
// and `runlog serve` taking metric batches and params. After every kill the store must open
// without recovery, hold every complete journal line exactly once, and every acknowledged request
// must be in the journal.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Outcome } from './checks';
import { batchedPoints, journalFacts, miss, openStore, outcome, remove, scratch, sleep } from './checks';
import { Endpoint } from './processes';

const CHILD = join(__dirname, '..', 'torture', 'child.js');

/** What the journals hold: every complete, well-formed line, read without the store's code. */
function expectedFrom(dir: string): { points: Map<string, number>; params: Map<string, string> } {
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
    for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
      if (!line) continue;
      let event: { t: string; key: string; value: string };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        continue; // a line cut by a kill and then closed by the next writer's newline
      }
      const key = `${runId}/${event.key}`;
      if (event.t === 'metric') points.set(key, (points.get(key) ?? 0) + 1);
      if (event.t === 'metrics') {
        const batch = batchedPoints(event);
        if (batch.length > 0) points.set(key, (points.get(key) ?? 0) + batch.length);
      }
      if (event.t === 'param' && !params.has(key)) params.set(key, event.value);
    }
  }
  return { points, params };
}

/** Kills the ingesting, snapshotting child `kills` times; the store must hold every journal line. */
export async function killIngest(kills: number, log: (line: string) => void = () => undefined): Promise<Outcome> {
  const result = outcome();
  const root = scratch('kill-ingest');
  const dir = join(root, '.runlog');
  try {
    for (let i = 0; i < kills; i++) {
      const proc = spawn(process.execPath, [CHILD, dir, String(i + 1)], { stdio: ['ignore', 'ignore', 'inherit'] });
      // Node and sql.js take ~0.3 s to start: kill anywhere from start-up to well into the work.
      await sleep(100 + Math.random() * 900);
      proc.kill('SIGKILL');
      await new Promise((resolve) => proc.once('exit', resolve));
      result.trials++;
      const expected = expectedFrom(dir);
      const store = await openStore(dir, result);
      if (!store) continue;
      const runIds = store.query('listRuns').runs.map((r) => r.id);
      const stored = new Map<string, number>();
      for (const [runId, list] of store.query('metricSummaries', runIds)) {
        for (const m of list) stored.set(`${runId}/${m.key}`, m.count);
      }
      for (const [key, count] of expected.points) {
        const have = stored.get(key) ?? 0;
        if (have !== count) {
          result.lost += Math.abs(count - have);
          result.notes.push(`kill ${i + 1}: ${key} has ${have} points, the journal ${count}`);
          continue;
        }
        // The points themselves, read from the chunks (in rows and chunk files), not only the count.
        const [runId, name] = key.split('/') as [string, string];
        let read: number;
        try {
          read = store.query('series', runId, name).values.length;
        } catch (error) {
          result.corrupt++;
          result.notes.push(`kill ${i + 1}: ${key} could not be read: ${(error as Error).message}`);
          continue;
        }
        if (read !== count) {
          result.lost += Math.abs(count - read);
          result.notes.push(`kill ${i + 1}: ${key} reads ${read} points, the journal ${count}`);
        }
      }
      const params = new Map(store.query('params', runIds));
      for (const [key, value] of expected.params) {
        const [runId, name] = key.split('/') as [string, string];
        if (params.get(runId)?.[name] !== value) {
          result.lost++;
          result.notes.push(`kill ${i + 1}: param ${key} is missing`);
        }
      }
      store.close();
      if ((i + 1) % 50 === 0) log(`  ${i + 1} kills of the ingesting process`);
    }
  } finally {
    remove(root);
  }
  return result;
}

/**
 * Kills `runlog serve` while four clients send metric batches and params; every batch and param
 * it answered 200 must be in the run's journal, and the store must open.
 */
export async function killEndpoint(kills: number, log: (line: string) => void = () => undefined): Promise<Outcome> {
  const result = outcome();
  const root = scratch('kill-endpoint');
  const dir = join(root, '.runlog');
  try {
    for (let i = 0; i < kills; i++) {
      const endpoint = await Endpoint.start(dir);
      const runId = await endpoint.createRun();
      const acked = new Set<string>();
      const ackedParams = new Map<string, string>();
      let running = true;
      const client = async (worker: number): Promise<void> => {
        for (let batch = 0; running; batch++) {
          const metrics = Array.from({ length: 50 }, (_, j) => ({
            key: `w${worker}`,
            value: Math.random(),
            timestamp: Date.now(),
            step: batch * 50 + j,
          }));
          const params = batch % 5 === 0 ? [{ key: `p${worker}-${batch}`, value: `${batch}` }] : [];
          const reply = await endpoint.post('runs/log-batch', { run_id: runId, metrics, params });
          if (reply.status !== 200) return;
          for (const m of metrics) acked.add(`${m.key}/${m.step}`);
          for (const p of params) ackedParams.set(p.key, p.value);
        }
      };
      const clients = [0, 1, 2, 3].map(client);
      await sleep(50 + Math.random() * 500);
      await endpoint.kill();
      running = false;
      await Promise.all(clients);
      result.trials++;
      const facts = journalFacts(join(dir, 'runs', runId, 'events.jsonl'));
      const lostPoints = [...acked].filter((point) => !facts.points.has(point));
      miss(
        result,
        'lost',
        lostPoints.length,
        `endpoint kill ${i + 1}: acknowledged points missing: ${lostPoints.slice(0, 5).join(', ')}`,
      );
      const lostParams = [...ackedParams].filter(([key, value]) => facts.params.get(key)?.[0] !== value);
      miss(
        result,
        'lost',
        lostParams.length,
        `endpoint kill ${i + 1}: acknowledged params missing: ${lostParams
          .slice(0, 5)
          .map(([k]) => k)
          .join(', ')}`,
      );
      const store = await openStore(dir, result);
      if (store) {
        const counts = new Map(store.query('metricSummaries', [runId])).get(runId) ?? [];
        const stored = counts.reduce((sum, m) => sum + m.count, 0);
        if (stored !== facts.points.size) {
          result.lost += Math.abs(facts.points.size - stored);
          result.notes.push(`endpoint kill ${i + 1}: the store has ${stored} points, the journal ${facts.points.size}`);
        }
        store.close();
      }
      if ((i + 1) % 50 === 0) log(`  ${i + 1} kills of runlog serve`);
    }
  } finally {
    remove(root);
  }
  return result;
}
