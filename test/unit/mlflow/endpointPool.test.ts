import * as assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlflowEndpointPool } from '../../../src/mlflow/endpointPool';
import { readsFromStore } from '../../support/storeReads';
import { RunStore } from '../../../src/store/runStore';

describe('MLflow endpoint pool', () => {
  it('starts one endpoint per store on first use, gives runs their env, and stops them all', async () => {
    const root = await mkdtemp(join(tmpdir(), 'runlog-pool-'));
    const store = await RunStore.open({ dir: join(root, 'a'), writer: false, version: 'test' });
    const logs: string[] = [];
    const pool = new MlflowEndpointPool(
      () => readsFromStore(store),
      (_level, message) => logs.push(message),
    );
    try {
      const first = await pool.get(join(root, 'a'));
      assert.equal(await pool.get(join(root, 'a')), first);
      const other = await pool.get(join(root, 'b'));
      assert.notEqual(other.port, first.port);
      const env = await pool.env(join(root, 'a'), 'run-1');
      assert.deepEqual(env, {
        MLFLOW_TRACKING_URI: first.uri,
        MLFLOW_TRACKING_TOKEN: first.token,
        MLFLOW_RUN_ID: 'run-1',
      });
      await pool.retainOnly([join(root, 'b')]);
      await assert.rejects(fetch(`${first.uri}/api/2.0/mlflow/experiments/search`));
      assert.equal(await pool.get(join(root, 'b')), other);
      await pool.closeAll();
      await assert.rejects(fetch(`${other.uri}/api/2.0/mlflow/experiments/search`));
      assert.ok(logs.some((l) => l.includes('listening on')));
    } finally {
      store.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
