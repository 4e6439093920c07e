// `npm run bench -- --only mlflow`: metric points per second through the MLflow endpoint's
// `runs/log-batch` over loopback (1000-point batches, as MLflow's client sends them, a few requests
// in flight), beside the same points appended directly to the run's journal with the editor's
// writer — the endpoint's floor, since every batch ends as exactly that append.
//   --points N   points per measurement (default 500,000)
//   --json FILE  also write the figures
import { Agent, request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowEndpoint } from '../src/mlflow/server';
import { readsFromStore } from '../test/support/storeReads';
import { RunJournal } from '../src/runs/runJournal';
import { RunStore } from '../src/store/runStore';
import { Figures, median, option } from './figures';

const POINTS = Number(option('points') ?? 500_000);
const BATCH = 1000;
const IN_FLIGHT = 4;
const ROUNDS = 3;

/** Connections kept alive, as MLflow's client keeps its requests session. */
const keepAlive = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });

function post(endpoint: MlflowEndpoint, path: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: endpoint.port,
        method: 'POST',
        path,
        agent: keepAlive,
        headers: {
          Host: `127.0.0.1:${endpoint.port}`,
          Authorization: `Bearer ${endpoint.token}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode === 200) resolve(text);
          else reject(new Error(`${res.statusCode ?? 0}: ${text}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function batchBody(runId: string, first: number): string {
  const metrics = [];
  for (let i = 0; i < BATCH; i++) {
    const step = first + i;
    metrics.push({ key: 'loss', value: 1 / (step + 1), timestamp: 1_700_000_000_000 + step, step });
  }
  return JSON.stringify({ run_id: runId, metrics });
}

async function throughEndpoint(endpoint: MlflowEndpoint, runId: string): Promise<number> {
  const bodies = Array.from({ length: POINTS / BATCH }, (_, i) => batchBody(runId, i * BATCH));
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] ?? '';
        await post(endpoint, '/api/2.0/mlflow/runs/log-batch', body);
      }
    }),
  );
  return POINTS / ((performance.now() - started) / 1000);
}

async function directly(storeDir: string): Promise<number> {
  const journal = await RunJournal.create(storeDir, `direct-${Date.now()}`);
  const started = performance.now();
  for (let first = 0; first < POINTS; first += BATCH) {
    const events = [];
    for (let i = 0; i < BATCH; i++) {
      const step = first + i;
      events.push({ t: 'metric' as const, ts: 1_700_000_000_000 + step, key: 'loss', value: 1 / (step + 1), step });
    }
    await journal.append(...events);
  }
  return POINTS / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'runlog-bench-mlflow-'));
  const dir = join(root, '.runlog');
  const store = await RunStore.open({ dir, writer: false, version: 'bench' });
  const endpoint = await MlflowEndpoint.start({ storeDir: dir, reads: readsFromStore(store), log: () => undefined });
  const figures = new Figures();
  try {
    console.log(
      `MLflow endpoint: ${POINTS.toLocaleString('en-US')} points in batches of ${BATCH}, ${IN_FLIGHT} in flight`,
    );
    const viaHttp: number[] = [];
    const direct: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const created = JSON.parse(
        await post(endpoint, '/api/2.0/mlflow/runs/create', JSON.stringify({ experiment_id: '0' })),
      ) as { run: { info: { run_id: string } } };
      viaHttp.push(await throughEndpoint(endpoint, created.run.info.run_id));
      direct.push(await directly(dir));
    }
    figures.record('MLflow log-batch over loopback', median(viaHttp), 'points/s', median(direct), true);
    figures.printTable();
    await figures.writeJson(option('json'));
    if (median(viaHttp) < 100_000) {
      console.error('below the 100,000 points/s the endpoint promises');
      process.exitCode = 1;
    }
  } finally {
    keepAlive.destroy();
    await endpoint.close();
    store.close();
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
