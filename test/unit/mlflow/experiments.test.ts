import * as assert from 'node:assert/strict';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Harness } from './endpointHarness';
import { harnessPerTest } from './endpointHarness';

interface WireExperiment {
  experiment_id: string;
  name: string;
  lifecycle_stage: string;
  tags: { key: string; value: string }[];
}

describe('MLflow endpoint: experiments', function () {
  this.timeout(10_000);
  let h: Harness;
  harnessPerTest((made) => ({ h } = made));

  const byName = async (name: string): Promise<WireExperiment | undefined> => {
    const reply = await h.get('experiments/get-by-name', { experiment_name: name });
    return reply.status === 200 ? (reply.body['experiment'] as WireExperiment) : undefined;
  };

  it('has experiment "0" named Default', async () => {
    const reply = await h.get('experiments/get', { experiment_id: '0' });
    assert.equal(reply.status, 200);
    assert.equal((reply.body['experiment'] as WireExperiment).name, 'Default');
  });

  it('does what mlflow.set_experiment does: get-by-name 404, then create, then get-by-name', async () => {
    const missing = await h.get('experiments/get-by-name', { experiment_name: 'prices' });
    assert.equal(missing.status, 404);
    assert.equal(missing.body['error_code'], 'RESOURCE_DOES_NOT_EXIST');
    const created = await h.post('experiments/create', { name: 'prices', tags: [{ key: 'team', value: 'a' }] });
    assert.equal(created.status, 200);
    const id = String(created.body['experiment_id']);
    assert.equal(id, '1');
    const found = await byName('prices');
    assert.equal(found?.experiment_id, id);
    assert.deepEqual(found?.tags, [{ key: 'team', value: 'a' }]);
    const again = await h.post('experiments/create', { name: 'prices' });
    assert.equal(again.status, 400);
    assert.equal(again.body['error_code'], 'RESOURCE_ALREADY_EXISTS');
    const runId = await h.createRun({ experiment_id: id });
    const run = await h.get('runs/get', { run_id: runId });
    assert.equal((run.body['run'] as { info: { experiment_id: string } }).info.experiment_id, id);
  });

  it('gives experiments that only runs name a stable id', async () => {
    await mkdir(join(h.dir, 'runs', 'r1'), { recursive: true });
    await appendFile(
      join(h.dir, 'runs', 'r1', 'events.jsonl'),
      `${JSON.stringify({ t: 'run_start', ts: 1, run_id: 'r1', name: 'n', experiment: 'from-python' })}\n`,
    );
    await h.store.syncJournals();
    const first = await byName('from-python');
    assert.ok(first);
    await h.post('experiments/create', { name: 'later' });
    assert.equal((await byName('from-python'))?.experiment_id, first.experiment_id);
    const runs = await h.post('runs/search', { experiment_ids: [first.experiment_id] });
    assert.equal((runs.body['runs'] as unknown[]).length, 1);
  });

  it('renames (its runs follow), tags, deletes and restores', async () => {
    const id = String((await h.post('experiments/create', { name: 'old' })).body['experiment_id']);
    const runId = await h.createRun({ experiment_id: id });
    assert.equal((await h.post('experiments/update', { experiment_id: id, new_name: 'new' })).status, 200);
    assert.equal((await byName('new'))?.experiment_id, id);
    const run = await h.get('runs/get', { run_id: runId });
    assert.equal((run.body['run'] as { info: { experiment_id: string } }).info.experiment_id, id);
    assert.equal(h.store.query('getRun', runId)?.experiment, 'new');
    assert.equal(
      (await h.post('experiments/set-experiment-tag', { experiment_id: id, key: 'k', value: 'v' })).status,
      200,
    );
    assert.deepEqual((await byName('new'))?.tags, [{ key: 'k', value: 'v' }]);
    assert.equal((await h.post('experiments/delete', { experiment_id: id })).status, 200);
    assert.equal((await byName('new'))?.lifecycle_stage, 'deleted');
    const refused = await h.post('runs/create', { experiment_id: id });
    assert.equal(refused.body['error_code'], 'INVALID_PARAMETER_VALUE');
    const active = await h.post('experiments/search', {});
    assert.deepEqual(
      (active.body['experiments'] as WireExperiment[]).map((e) => e.name),
      ['Default'],
    );
    const deleted = await h.get('experiments/search', { view_type: 'DELETED_ONLY' });
    assert.deepEqual(
      (deleted.body['experiments'] as WireExperiment[]).map((e) => e.name),
      ['new'],
    );
    assert.equal((await h.post('experiments/restore', { experiment_id: id })).status, 200);
    assert.equal((await byName('new'))?.lifecycle_stage, 'active');
    assert.equal((await h.post('experiments/delete', { experiment_id: '0' })).status, 400);
    assert.equal((await h.post('experiments/update', { experiment_id: '99', new_name: 'x' })).status, 404);
  });

  it('searches with a filter, order_by and page tokens', async () => {
    for (const name of ['alpha', 'beta', 'alphabet']) await h.post('experiments/create', { name });
    const filtered = await h.post('experiments/search', { filter: "name LIKE 'alpha%'", order_by: ['name DESC'] });
    assert.deepEqual(
      (filtered.body['experiments'] as WireExperiment[]).map((e) => e.name),
      ['alphabet', 'alpha'],
    );
    const page = await h.post('experiments/search', { max_results: 2, order_by: ['name ASC'] });
    assert.deepEqual(
      (page.body['experiments'] as WireExperiment[]).map((e) => e.name),
      ['Default', 'alpha'],
    );
    const rest = await h.post('experiments/search', {
      max_results: 2,
      order_by: ['name ASC'],
      page_token: page.body['next_page_token'],
    });
    assert.deepEqual(
      (rest.body['experiments'] as WireExperiment[]).map((e) => e.name),
      ['alphabet', 'beta'],
    );
    assert.equal((await h.post('experiments/search', { filter: 'name ~ 1' })).status, 400);
    assert.equal((await h.post('experiments/search', { max_results: 0 })).status, 400);
  });
});
