import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readsFromStore } from '../../support/storeReads';
import { MlflowEndpoint } from '../../../src/mlflow/server';
import { RunStore } from '../../../src/store/runStore';
import type { Reply, Harness } from './endpointHarness';
import { harnessPerTest } from './endpointHarness';

const CLIENT = join(__dirname, '..', '..', '..', '..', 'python');

/** A Python process joined to the run that logs `lr`; resolves to whether its value was taken. */
function pythonLogsParam(dir: string, runId: string, value: string): Promise<boolean> {
  const script = [
    'import sys, runlog',
    'try:',
    `    runlog.log_param("lr", ${JSON.stringify(value)})`,
    'except ValueError:',
    '    sys.exit(3)',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', script], {
      env: { ...process.env, PYTHONPATH: CLIENT, RUNLOG_DIR: dir, RUNLOG_RUN_ID: runId },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (text: Buffer) => (stderr += text.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(true);
      else if (code === 3) resolve(false);
      else reject(new Error(`python exited ${code}: ${stderr}`));
    });
  });
}

function outcome(replies: readonly Reply[]): { ok: number; refused: number } {
  for (const reply of replies) {
    if (reply.status !== 200) assert.equal(reply.body['error_code'], 'INVALID_PARAMETER_VALUE', JSON.stringify(reply));
  }
  return {
    ok: replies.filter((r) => r.status === 200).length,
    refused: replies.filter((r) => r.status === 400).length,
  };
}

describe('MLflow endpoint: params stay write-once under concurrency', () => {
  let h: Harness;
  let runId: string;
  harnessPerTest((made) => ({ h, runId } = made), { withRun: true });

  async function storedLr(): Promise<string | undefined> {
    await h.store.syncJournals();
    return h.store.query('getRun', runId)?.params['lr'];
  }

  it('20 simultaneous log-parameter requests: one value wins, the other 19 are refused', async () => {
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h.post('runs/log-parameter', { run_id: runId, key: 'lr', value: `${i}` })),
    );
    assert.deepEqual(outcome(replies), { ok: 1, refused: 19 });
    const winner = String(replies.findIndex((r) => r.status === 200));
    assert.equal(await storedLr(), winner);
    const again = await h.post('runs/log-parameter', { run_id: runId, key: 'lr', value: winner });
    assert.equal(again.status, 200, 'the same value may be logged again');
    assert.deepEqual(h.store.query('getRun', runId)?.rejected, []);
  });

  it('two endpoints on one store, and log-batch: one value wins', async () => {
    const second = await MlflowEndpoint.start({
      storeDir: h.dir,
      reads: readsFromStore(await RunStore.open({ dir: h.dir, writer: false, version: 'test' })),
      log: () => undefined,
      token: h.endpoint.token,
    });
    try {
      const requests: Promise<Reply>[] = [];
      for (let i = 0; i < 10; i++) {
        requests.push(viaPort(h, h.endpoint.port, 'runs/log-parameter', { run_id: runId, key: 'lr', value: `a${i}` }));
        requests.push(
          viaPort(h, second.port, 'runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: `b${i}` }] }),
        );
      }
      const replies = await Promise.all(requests);
      assert.deepEqual(outcome(replies), { ok: 1, refused: 19 });
      const stored = await storedLr();
      assert.ok(stored !== undefined && /^[ab]\d$/.test(stored), stored);
    } finally {
      await second.close();
    }
  });

  it('the endpoint and Python processes joined to the same run: one value wins', async function () {
    this.timeout(30_000);
    const endpoint = Array.from({ length: 6 }, (_, i) =>
      h.post('runs/log-parameter', { run_id: runId, key: 'lr', value: `node${i}` }).then((r) => r.status === 200),
    );
    const python = Array.from({ length: 4 }, (_, i) => pythonLogsParam(h.dir, runId, `py${i}`));
    const taken = (await Promise.all([...endpoint, ...python])).filter(Boolean).length;
    assert.equal(taken, 1);
    const stored = await storedLr();
    assert.ok(stored !== undefined && /^(node|py)\d$/.test(stored), stored);
    assert.deepEqual(h.store.query('getRun', runId)?.rejected, []);
  });
});

/** A request to another endpoint on the same machine, with the harness's token. */
function viaPort(h: Harness, port: number, name: string, body: object): Promise<Reply> {
  return h.request(`/api/2.0/mlflow/${name}`, { body, port });
}
