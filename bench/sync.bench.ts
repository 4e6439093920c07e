// `npm run bench -- --only sync`: pushing a store to a tracking server. `runlog serve` runs in its own
// process over loopback; the store is 100 runs × 10,000 points. Figures:
//   - the push, in points per second, beside the endpoint's own log-batch figure measured on the
//     same server in the same run (1000-point batches, 4 in flight, bodies built beforehand);
//   - pushing the unchanged store again (target ≤ 1 s and no write at all), beside one runs/search
//     of those 100 runs — the least a push that asked the server anything would cost.
//   --runs N, --points N   the store's size (default 100 × 10,000)
//   --json FILE            also write the figures
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RunStore } from '../src/store/runStore';
import type { RunDetails } from '../src/store/types';
import { DEFAULT_POLICY } from '../src/sync/credentials';
import { MlflowClient } from '../src/sync/mlflowClient';
import { MlflowHttp } from '../src/sync/mlflowHttp';
import { pushRuns } from '../src/sync/push';
import { Figures, option } from './figures';

const RUNS = Number(option('runs') ?? 100);
const POINTS = Number(option('points') ?? 10_000);
const T0 = 1_700_000_000_000;
const CLI = join(__dirname, '../src/cli/main.js');

async function writeStore(dir: string): Promise<void> {
  for (let r = 0; r < RUNS; r++) {
    const id = `b${String(r).padStart(31, '0')}`;
    await mkdir(join(dir, 'runs', id), { recursive: true });
    const lines = [
      `${JSON.stringify({ t: 'run_start', ts: T0, run_id: id, name: `run-${r}`, experiment: 'bench' })}\n`,
      `${JSON.stringify({ t: 'param', ts: T0, key: 'lr', value: String(r / 1000) })}\n`,
    ];
    for (let step = 0; step < POINTS; step++) {
      lines.push(`{"t":"metric","ts":${T0 + step},"key":"loss","value":${1 / (step + 1 + r)},"step":${step}}\n`);
    }
    lines.push(`${JSON.stringify({ t: 'run_end', ts: T0 + POINTS, status: 'FINISHED' })}\n`);
    await writeFile(join(dir, 'runs', id, 'events.jsonl'), lines.join(''));
  }
}

async function startServe(dir: string): Promise<{ child: ChildProcess; uri: string; token: string }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--dir', dir], { stdio: ['ignore', 'pipe', 'ignore'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`runlog serve exited with ${String(code)}`)));
  });
  const match = /^MLFLOW_TRACKING_URI=(\S+) MLFLOW_TRACKING_TOKEN=(\S+)$/.exec(line);
  if (!match) throw new Error(`runlog serve said: ${line}`);
  return { child, uri: match[1] ?? '', token: match[2] ?? '' };
}

/** The endpoint's own figure: prebuilt log-batch bodies of 1000 points, 4 in flight, on the same server. */
async function logBatchReference(http: MlflowHttp): Promise<number> {
  const client = new MlflowClient(http);
  const experiment = await client.ensureExperiment('reference');
  const run = await client.createRun({ experiment_id: experiment.experiment_id, run_name: 'reference' }, () =>
    Promise.resolve({ resend: '{}' }),
  );
  const total = RUNS * POINTS;
  const bodies: string[] = [];
  for (let first = 0; first < total; first += 1000) {
    const metrics = [];
    for (let i = 0; i < 1000; i++)
      metrics.push(`{"key":"loss","value":${1 / (first + i + 1)},"timestamp":${T0 + first + i},"step":${first + i}}`);
    bodies.push(`{"run_id":"${run.info.run_id}","metrics":[${metrics.join(',')}]}`);
  }
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let body = bodies[next++]; body !== undefined; body = bodies[next++]) await client.logBatch(body);
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'runlog-bench-sync-'));
  const dir = join(root, 'mine', '.runlog');
  const serve = await startServe(join(root, 'team', '.runlog'));
  const figures = new Figures();
  const open = (): Promise<MlflowHttp> =>
    MlflowHttp.open({
      uri: serve.uri,
      credentials: { token: serve.token },
      tls: { insecure: false },
      policy: DEFAULT_POLICY,
    });
  try {
    await writeStore(dir);
    const store = await RunStore.open({ dir, writer: false, version: 'bench' });
    const runs = store
      .query('listRuns', {})
      .runs.map((r) => store.query('getRun', r.id))
      .filter((r): r is RunDetails => r !== undefined);
    store.close();
    console.log(`push: ${RUNS} runs × ${POINTS.toLocaleString('en-US')} points to runlog serve over loopback`);

    const reference = await open();
    const batchRate = await logBatchReference(reference);
    reference.close();

    const first = await open();
    let started = performance.now();
    const pushed = await pushRuns({ storeDir: dir, runs, http: first });
    const pushMs = performance.now() - started;
    first.close();
    if (pushed.failed.length > 0 || pushed.points !== RUNS * POINTS) {
      throw new Error(`the push failed: ${JSON.stringify(pushed.failed.slice(0, 3))}, ${pushed.points} points`);
    }
    figures.record(
      `push ${RUNS} runs × ${POINTS.toLocaleString('en-US')} points`,
      pushed.points / (pushMs / 1000),
      'points/s',
      batchRate,
      true,
    );

    const searching = await open();
    started = performance.now();
    const experiment = await new MlflowClient(searching).experimentByName('bench');
    await new MlflowClient(searching).searchAllRuns({ experimentIds: [experiment?.experiment_id ?? '0'] });
    const searchMs = performance.now() - started;
    searching.close();

    const again = await open();
    started = performance.now();
    const noop = await pushRuns({ storeDir: dir, runs, http: again });
    const noopMs = performance.now() - started;
    again.close();
    figures.record('push the unchanged store again', noopMs, 'ms', searchMs, false);
    console.log(
      `  the no-op push made ${noop.requests} requests, ${noop.writes} writes; ${noop.unchanged.length} runs unchanged`,
    );
    figures.printTable();
    await figures.writeJson(option('json'));
    const rate = pushed.points / (pushMs / 1000);
    if (rate < 200_000) {
      console.error(`below the 200,000 points/s a push promises (${Math.round(rate)})`);
      process.exitCode = 1;
    }
    if (noopMs > 1000 || noop.writes !== 0) {
      console.error(`the no-op push took ${Math.round(noopMs)} ms with ${noop.writes} writes (target ≤ 1 s, 0 writes)`);
      process.exitCode = 1;
    }
  } finally {
    serve.child.kill('SIGTERM');
    await new Promise((resolve) => serve.child.once('exit', resolve));
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
