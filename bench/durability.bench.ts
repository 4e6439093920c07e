// `npm run bench -- --only durability`: what the durability policy costs (README, "Reliability").
// A run's end is fsynced before it is acknowledged: the endpoint's `runs/update` FINISHED against a
// `runs/set-tag` of the same run (the same path, no fsync), and the Python client's runs and
// metric points with its policy against the same with every fsync turned off.
//   --json FILE  also write the figures
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowEndpoint } from '../src/mlflow/server';
import { readsFromStore } from '../test/support/storeReads';
import { RunStore } from '../src/store/runStore';
import { Figures, median, option } from './figures';

const RUNS = 100;

function post(endpoint: MlflowEndpoint, name: string, body: object): Promise<void> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: endpoint.port,
        method: 'POST',
        path: `/api/2.0/mlflow/${name}`,
        headers: {
          Host: `127.0.0.1:${endpoint.port}`,
          Authorization: `Bearer ${endpoint.token}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(text),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${name}: ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

async function endpointFigures(figures: Figures): Promise<void> {
  const dir = join(await mkdtemp(join(tmpdir(), 'runlog-bench-durability-')), '.runlog');
  const store = await RunStore.open({ dir, writer: false, version: 'bench' });
  const endpoint = await MlflowEndpoint.start({ storeDir: dir, reads: readsFromStore(store), log: () => undefined });
  try {
    const finished: number[] = [];
    const tagged: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const runId = await createRun(endpoint);
      let start = performance.now();
      await post(endpoint, 'runs/set-tag', { run_id: runId, key: 'phase', value: 'done' });
      tagged.push(performance.now() - start);
      start = performance.now();
      await post(endpoint, 'runs/update', { run_id: runId, status: 'FINISHED', end_time: Date.now() });
      finished.push(performance.now() - start);
    }
    figures.record('MLflow runs/update FINISHED (fsynced)', median(finished), 'ms', median(tagged), false);
  } finally {
    await endpoint.close();
    store.close();
    await rm(join(dir, '..'), { recursive: true, force: true });
  }
}

function createRun(endpoint: MlflowEndpoint): Promise<string> {
  const text = JSON.stringify({ experiment_id: '0' });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: endpoint.port,
        method: 'POST',
        path: '/api/2.0/mlflow/runs/create',
        headers: {
          Host: `127.0.0.1:${endpoint.port}`,
          Authorization: `Bearer ${endpoint.token}`,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(text),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString()) as { run: { info: { run_id: string } } };
          resolve(body.run.info.run_id);
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

function pythonFigures(figures: Figures): void {
  const script = join(__dirname, '../../bench/python_durability.py');
  if (!existsSync(script)) return;
  const run = spawnSync('python3', [script], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`python_durability.py failed: ${run.stderr}`);
  for (const line of run.stdout.trim().split('\n')) {
    const figure = JSON.parse(line) as { name: string; value: number; reference: number; unit: string };
    figures.record(figure.name, figure.value, figure.unit, figure.reference, false);
  }
}

async function main(): Promise<void> {
  const figures = new Figures();
  console.log('durability: fsync policy against no fsync, in the same run');
  await endpointFigures(figures);
  pythonFigures(figures);
  figures.printTable();
  await figures.writeJson(option('json'));
}

void main();
