import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BATCH_LIMITS, parseOrderBy } from '../../../src/mlflow/runHandlers';
import type { Harness } from './endpointHarness';
import { harnessPerTest } from './endpointHarness';

interface WireRun {
  info: Record<string, unknown>;
  data: {
    metrics: Record<string, unknown>[];
    params: { key: string; value: string }[];
    tags: { key: string; value: string }[];
  };
}

describe('MLflow endpoint: runs', function () {
  this.timeout(10_000);
  let h: Harness;
  harnessPerTest((made) => ({ h } = made));

  const getRun = async (runId: string): Promise<WireRun> => {
    const reply = await h.get('runs/get', { run_id: runId });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body['run'] as WireRun;
  };
  const journal = (runId: string): Promise<string> => readFile(join(h.dir, 'runs', runId, 'events.jsonl'), 'utf8');

  it('creates a run in the Default experiment "0" with its tags, name and user', async () => {
    const reply = await h.post('runs/create', {
      experiment_id: '0',
      start_time: 1700000000000,
      user_id: 'ada',
      tags: [
        { key: 'mlflow.runName', value: 'first' },
        { key: 'mlflow.source.name', value: 'train.py' },
        { key: 'team', value: 'vision' },
      ],
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const run = reply.body['run'] as WireRun;
    assert.match(String(run.info['run_id']), /^[0-9a-f]{32}$/);
    assert.equal(run.info['run_uuid'], run.info['run_id']);
    assert.equal(run.info['experiment_id'], '0');
    assert.equal(run.info['run_name'], 'first');
    assert.equal(run.info['status'], 'RUNNING');
    assert.equal(run.info['start_time'], 1700000000000);
    assert.equal(run.info['user_id'], 'ada');
    assert.equal(run.info['lifecycle_stage'], 'active');
    assert.equal(run.info['artifact_uri'], `mlflow-artifacts:/${String(run.info['run_id'])}`);
    const tags = Object.fromEntries(run.data.tags.map((t) => [t.key, t.value]));
    assert.equal(tags['team'], 'vision');
    assert.equal(tags['mlflow.runName'], 'first');
    const lines = (await journal(String(run.info['run_id'])))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines[0]?.['t'], 'run_start');
    assert.equal(lines[0]?.['experiment'], 'Default');
    assert.equal(lines[0]?.['source'], 'train.py');
  });

  it('refuses a run in an experiment that does not exist', async () => {
    const reply = await h.post('runs/create', { experiment_id: '42' });
    assert.equal(reply.status, 404);
    assert.equal(reply.body['error_code'], 'RESOURCE_DOES_NOT_EXIST');
  });

  it('logs metrics, params and tags as journal events, read back by runs/get (run_id or run_uuid)', async () => {
    const runId = await h.createRun();
    assert.equal(
      (await h.post('runs/log-metric', { run_id: runId, key: 'loss', value: 0.5, timestamp: 1000, step: 1 })).status,
      200,
    );
    assert.equal(
      (await h.post('runs/log-metric', { run_uuid: runId, key: 'loss', value: 0.25, timestamp: 2000, step: 2 })).status,
      200,
    );
    assert.equal(
      (await h.post('runs/log-metric', { run_id: runId, key: 'odd', value: 'NaN', timestamp: 2000 })).status,
      200,
    );
    assert.equal(
      (await h.post('runs/log-metric', { run_id: runId, key: 'big', value: '-Infinity', timestamp: 2000, step: '3' }))
        .status,
      200,
    );
    assert.equal((await h.post('runs/log-parameter', { run_id: runId, key: 'lr', value: '0.01' })).status, 200);
    assert.equal((await h.post('runs/set-tag', { run_id: runId, key: 'stage', value: 'dev' })).status, 200);
    const run = await getRun(runId);
    const metrics = Object.fromEntries(run.data.metrics.map((m) => [String(m['key']), m]));
    assert.deepEqual(metrics['loss'], { key: 'loss', value: 0.25, timestamp: 2000, step: 2 });
    assert.equal(metrics['odd']?.['value'], 'NaN');
    assert.equal(metrics['odd']?.['step'], 0);
    assert.equal(metrics['big']?.['value'], '-Infinity');
    assert.deepEqual(run.data.params, [{ key: 'lr', value: '0.01' }]);
    assert.ok(run.data.tags.some((t) => t.key === 'stage' && t.value === 'dev'));
    assert.match(await journal(runId), /"t":"metric","ts":1000,"key":"loss","value":0.5,"step":1/);
  });

  it('answers 404 RESOURCE_DOES_NOT_EXIST for unknown runs and hostile run ids', async () => {
    for (const runId of ['0123456789abcdef0123456789abcdef', '../../etc', '']) {
      const reply = await h.post('runs/log-metric', { run_id: runId, key: 'x', value: 1, timestamp: 1 });
      assert.equal(reply.status, runId === '' ? 400 : 404, runId);
    }
    const get = await h.get('runs/get', { run_id: 'nope' });
    assert.equal(get.status, 404);
    assert.equal(get.body['error_code'], 'RESOURCE_DOES_NOT_EXIST');
  });

  it('refuses malformed fields with INVALID_PARAMETER_VALUE and bad JSON with BAD_REQUEST', async () => {
    const runId = await h.createRun();
    const bad = await h.post('runs/log-metric', { run_id: runId, key: 'x', value: 'high', timestamp: 1 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body['error_code'], 'INVALID_PARAMETER_VALUE');
    const step = await h.post('runs/log-metric', { run_id: runId, key: 'x', value: 1, timestamp: 1, step: 1.5 });
    assert.equal(step.body['error_code'], 'INVALID_PARAMETER_VALUE');
    const json = await h.request('/api/2.0/mlflow/runs/log-metric', {
      rawBody: '{"run_id": ',
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(json.status, 400);
    assert.equal(json.body['error_code'], 'BAD_REQUEST');
    const status = await h.post('runs/update', { run_id: runId, status: 'DONE' });
    assert.equal(status.body['error_code'], 'INVALID_PARAMETER_VALUE');
  });

  it('keeps params write-once: the same value again is fine, a different one is refused', async () => {
    const runId = await h.createRun();
    assert.equal((await h.post('runs/log-parameter', { run_id: runId, key: 'lr', value: '0.1' })).status, 200);
    assert.equal((await h.post('runs/log-parameter', { run_id: runId, key: 'lr', value: '0.1' })).status, 200);
    const changed = await h.post('runs/log-parameter', { run_id: runId, key: 'lr', value: '0.2' });
    assert.equal(changed.status, 400);
    assert.equal(changed.body['error_code'], 'INVALID_PARAMETER_VALUE');
    const batch = await h.post('runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: '0.3' }] });
    assert.equal(batch.body['error_code'], 'INVALID_PARAMETER_VALUE');
    assert.deepEqual((await getRun(runId)).data.params, [{ key: 'lr', value: '0.1' }]);
  });

  it('logs a batch, and refuses one over any limit with nothing written', async () => {
    const runId = await h.createRun();
    const metrics = Array.from({ length: 1000 }, (_, i) => ({ key: 'm', value: i, timestamp: 1 + i, step: i }));
    const ok = await h.post('runs/log-batch', {
      run_id: runId,
      metrics,
      params: [{ key: 'p', value: '1' }],
      tags: [{ key: 't', value: 'v' }],
    });
    // 1002 entities in all is over MLflow's 1000-entity total.
    assert.equal(ok.status, 400);
    const before = await journal(runId);
    const fine = await h.post('runs/log-batch', {
      run_id: runId,
      metrics: metrics.slice(0, 998),
      params: [{ key: 'p', value: '1' }],
      tags: [{ key: 't', value: 'v' }],
    });
    assert.equal(fine.status, 200);
    const run = await getRun(runId);
    assert.equal(run.data.metrics[0]?.['value'], 997);
    const afterGood = await journal(runId);
    assert.notEqual(afterGood, before);
    const many = (n: number, prefix: string): { key: string; value: string }[] =>
      Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, value: 'v' }));
    for (const body of [
      { metrics: Array.from({ length: BATCH_LIMITS.metrics + 1 }, () => ({ key: 'm', value: 1, timestamp: 1 })) },
      { params: many(BATCH_LIMITS.params + 1, 'p') },
      { tags: many(BATCH_LIMITS.tags + 1, 't') },
      // One bad metric at the end: the good ones before it are not written either.
      {
        metrics: [
          { key: 'ok', value: 1, timestamp: 1 },
          { key: 'bad', value: 'x', timestamp: 1 },
        ],
      },
    ]) {
      const reply = await h.post('runs/log-batch', { run_id: runId, ...body });
      assert.equal(reply.status, 400);
      assert.equal(reply.body['error_code'], 'INVALID_PARAMETER_VALUE');
    }
    assert.equal(await journal(runId), afterGood);
  });

  it('updates the status and name: FINISHED ends the run, RUNNING resumes it', async () => {
    const runId = await h.createRun();
    const running = await h.post('runs/update', { run_id: runId, status: 'RUNNING', run_name: 'renamed' });
    assert.equal((running.body['run_info'] as Record<string, unknown>)['run_name'], 'renamed');
    const reply = await h.post('runs/update', { run_uuid: runId, status: 'FINISHED', end_time: 5000 });
    assert.equal(reply.status, 200);
    const info = reply.body['run_info'] as Record<string, unknown>;
    assert.equal(info['status'], 'FINISHED');
    assert.equal(info['end_time'], 5000);
  });

  it('deletes and restores a run, and deletes a tag (404 when it is not there)', async () => {
    const runId = await h.createRun({ tags: [{ key: 'k', value: 'v' }] });
    assert.equal((await h.post('runs/delete-tag', { run_id: runId, key: 'k' })).status, 200);
    assert.ok(!(await getRun(runId)).data.tags.some((t) => t.key === 'k'));
    assert.equal((await h.post('runs/delete-tag', { run_id: runId, key: 'k' })).status, 404);
    assert.equal((await h.post('runs/delete', { run_id: runId })).status, 200);
    assert.equal((await getRun(runId)).info['lifecycle_stage'], 'deleted');
    const active = await h.post('runs/search', { experiment_ids: ['0'] });
    assert.deepEqual(active.body['runs'] ?? [], []);
    const deleted = await h.post('runs/search', { experiment_ids: ['0'], run_view_type: 'DELETED_ONLY' });
    assert.equal((deleted.body['runs'] as unknown[]).length, 1);
    assert.equal((await h.post('runs/restore', { run_id: runId })).status, 200);
    assert.equal((await getRun(runId)).info['lifecycle_stage'], 'active');
  });

  it('logs dataset inputs', async () => {
    const runId = await h.createRun();
    const reply = await h.post('runs/log-inputs', {
      run_id: runId,
      datasets: [
        { tags: [], dataset: { name: 'iris', digest: 'abc123', source_type: 'local', source: 'data/iris.csv' } },
      ],
    });
    assert.equal(reply.status, 200);
    const run = (await h.get('runs/get', { run_id: runId })).body['run'] as {
      inputs: { dataset_inputs: { dataset: Record<string, string> }[] };
    };
    assert.equal(run.inputs.dataset_inputs[0]?.dataset['name'], 'iris');
    assert.equal(run.inputs.dataset_inputs[0]?.dataset['source'], 'data/iris.csv');
  });

  it('searches with MLflow filters, order_by and page tokens', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const runId = await h.createRun({ run_name: `r${i}`, start_time: 1000 + i });
      await h.post('runs/log-batch', {
        run_id: runId,
        metrics: [{ key: 'rmse', value: 5 - i, timestamp: 1, step: 0 }],
        params: [{ key: 'model', value: i % 2 === 0 ? 'resnet' : 'vit' }],
        tags: [{ key: 'order', value: `n${i}` }],
      });
      ids.push(runId);
    }
    const filtered = await h.post('runs/search', {
      experiment_ids: ['0'],
      filter: "metrics.rmse < 4.5 AND params.model = 'resnet'",
      order_by: ['metrics.rmse ASC'],
    });
    assert.equal(filtered.status, 200, JSON.stringify(filtered.body));
    const names = (filtered.body['runs'] as WireRun[]).map((r) => r.info['run_name']);
    assert.deepEqual(names, ['r4', 'r2']);
    const first = await h.post('runs/search', {
      experiment_ids: ['0'],
      max_results: 2,
      order_by: ['attributes.start_time DESC'],
    });
    assert.deepEqual(
      (first.body['runs'] as WireRun[]).map((r) => r.info['run_name']),
      ['r4', 'r3'],
    );
    const token = String(first.body['next_page_token']);
    const second = await h.post('runs/search', {
      experiment_ids: ['0'],
      max_results: 2,
      page_token: token,
      order_by: ['attributes.start_time DESC'],
    });
    assert.deepEqual(
      (second.body['runs'] as WireRun[]).map((r) => r.info['run_name']),
      ['r2', 'r1'],
    );
    const last = await h.post('runs/search', {
      experiment_ids: ['0'],
      max_results: 2,
      page_token: String(second.body['next_page_token']),
      order_by: ['attributes.start_time DESC'],
    });
    assert.equal((last.body['runs'] as WireRun[]).length, 1);
    assert.equal(last.body['next_page_token'], undefined);
    // Several order_by clauses: ties of the first are ordered by the next.
    const twoKeys = await h.post('runs/search', {
      experiment_ids: ['0'],
      order_by: ['params.model ASC', 'metrics.rmse DESC'],
    });
    assert.deepEqual(
      (twoKeys.body['runs'] as WireRun[]).map((r) => r.info['run_name']),
      ['r0', 'r2', 'r4', 'r1', 'r3'],
    );
    const byId = await h.post('runs/search', { filter: `attributes.run_id IN ('${ids[0] ?? ''}')` });
    assert.equal((byId.body['runs'] as WireRun[]).length, 1);
    const bad = await h.post('runs/search', { filter: 'metrics.rmse <' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body['error_code'], 'INVALID_PARAMETER_VALUE');
    const badToken = await h.post('runs/search', { page_token: 'garbage!' });
    assert.equal(badToken.body['error_code'], 'INVALID_PARAMETER_VALUE');
    const byTag = await h.post('runs/search', { experiment_ids: ['0'], order_by: ['tags.order DESC'] });
    assert.deepEqual(
      (byTag.body['runs'] as WireRun[]).map((r) => r.info['run_name']),
      ['r4', 'r3', 'r2', 'r1', 'r0'],
    );
    const badOrder = await h.post('runs/search', { order_by: ['attributes.nope DESC'] });
    assert.equal(badOrder.body['error_code'], 'INVALID_PARAMETER_VALUE');
  });

  it('reads order_by clauses as MLflow writes them', () => {
    assert.deepEqual(parseOrderBy('metrics.`val loss` DESC'), { key: 'metrics.val loss', descending: true });
    assert.deepEqual(parseOrderBy('params.lr'), { key: 'params.lr', descending: false });
    assert.deepEqual(parseOrderBy('start_time desc'), { key: 'start_time', descending: true });
    assert.deepEqual(parseOrderBy('attributes.run_name'), { key: 'name', descending: false });
  });

  it('returns a metric history with paging, on both API prefixes', async () => {
    const runId = await h.createRun();
    await h.post('runs/log-batch', {
      run_id: runId,
      metrics: [0, 1, 2].map((step) => ({ key: 'acc', value: step / 10, timestamp: 100 + step, step })),
    });
    const journal = await readFile(join(h.dir, 'runs', runId, 'events.jsonl'), 'utf8');
    assert.match(journal, /^\{"t":"metrics","key":"acc","ts":\[100,1,1\],"step":\[0,1,1\],"value":"[^"]+"\}$/m);
    const all = await h.request(`/ajax-api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=acc`);
    assert.equal(all.status, 200);
    assert.deepEqual(all.body['metrics'], [
      { key: 'acc', value: 0, timestamp: 100, step: 0 },
      { key: 'acc', value: 0.1, timestamp: 101, step: 1 },
      { key: 'acc', value: 0.2, timestamp: 102, step: 2 },
    ]);
    const page = await h.get('metrics/get-history', { run_id: runId, metric_key: 'acc', max_results: '2' });
    assert.equal((page.body['metrics'] as unknown[]).length, 2);
    const rest = await h.get('metrics/get-history', {
      run_id: runId,
      metric_key: 'acc',
      max_results: '2',
      page_token: String(page.body['next_page_token']),
    });
    assert.deepEqual(
      (rest.body['metrics'] as { step: number }[]).map((m) => m.step),
      [2],
    );
  });

  it('answers ENDPOINT_NOT_FOUND for unknown paths and methods', async () => {
    const unknown = await h.post('runs/frobnicate', {});
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body['error_code'], 'ENDPOINT_NOT_FOUND');
    const wrongMethod = await h.get('runs/log-metric');
    assert.equal(wrongMethod.body['error_code'], 'ENDPOINT_NOT_FOUND');
  });
});
