import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseModelSource } from '../../../src/mlflow/versionHandlers';
import type { Harness } from './endpointHarness';
import { harnessPerTest } from './endpointHarness';

interface WireVersion {
  name: string;
  version: string;
  run_id: string;
  source: string;
  aliases: string[];
}

describe('MLflow endpoint: model registry', function () {
  this.timeout(10_000);
  let h: Harness;
  let runId: string;
  harnessPerTest((made) => ({ h, runId } = made), { withRun: true });

  it('creates, gets, updates, searches and deletes registered models', async () => {
    const created = await h.post('registered-models/create', { name: 'prices', description: 'first' });
    assert.equal(created.status, 200);
    assert.equal((created.body['registered_model'] as { name: string }).name, 'prices');
    const again = await h.post('registered-models/create', { name: 'prices' });
    assert.equal(again.body['error_code'], 'RESOURCE_ALREADY_EXISTS');
    const updated = await h.request('/api/2.0/mlflow/registered-models/update', {
      method: 'PATCH',
      body: { name: 'prices', description: 'second' },
    });
    assert.equal((updated.body['registered_model'] as { description: string }).description, 'second');
    await h.post('registered-models/create', { name: 'churn' });
    const found = await h.get('registered-models/search', { filter: "name LIKE 'pri%'" });
    assert.deepEqual(
      (found.body['registered_models'] as { name: string }[]).map((m) => m.name),
      ['prices'],
    );
    const deleted = await h.request('/api/2.0/mlflow/registered-models/delete', {
      method: 'DELETE',
      body: { name: 'prices' },
    });
    assert.equal(deleted.status, 200);
    const gone = await h.get('registered-models/get', { name: 'prices' });
    assert.equal(gone.status, 404);
    assert.equal(gone.body['error_code'], 'RESOURCE_DOES_NOT_EXIST');
    const journal = await readFile(join(h.dir, 'registry', 'events.jsonl'), 'utf8');
    assert.match(journal, /"action":"create_model","model":"prices","description":"first"/);
  });

  it('creates numbered versions, moves aliases, finds a version by alias, deletes both', async () => {
    const v1 = await h.post('model-versions/create', { name: 'prices', source: `runs:/${runId}/model`, run_id: runId });
    assert.equal(v1.status, 200, JSON.stringify(v1.body));
    const first = v1.body['model_version'] as WireVersion;
    assert.equal(first.version, '1');
    assert.equal(first.run_id, runId);
    assert.equal(first.source, `runs:/${runId}/model`);
    const v2 = await h.post('model-versions/create', { name: 'prices', source: `mlflow-artifacts:/${runId}/model2` });
    assert.equal((v2.body['model_version'] as WireVersion).version, '2');
    assert.equal(
      (await h.post('registered-models/alias', { name: 'prices', alias: 'champion', version: '1' })).status,
      200,
    );
    assert.equal(
      (await h.post('registered-models/alias', { name: 'prices', alias: 'champion', version: '2' })).status,
      200,
    );
    const byAlias = await h.get('registered-models/alias', { name: 'prices', alias: 'champion' });
    assert.equal((byAlias.body['model_version'] as WireVersion).version, '2');
    const got = await h.get('model-versions/get', { name: 'prices', version: '2' });
    assert.deepEqual((got.body['model_version'] as WireVersion).aliases, ['champion']);
    const search = await h.get('model-versions/search', { filter: `run_id = '${runId}'` });
    assert.deepEqual(
      (search.body['model_versions'] as WireVersion[]).map((v) => v.version),
      ['2', '1'],
    );
    const removed = await h.request('/api/2.0/mlflow/registered-models/alias?name=prices&alias=champion', {
      method: 'DELETE',
    });
    assert.equal(removed.status, 200);
    assert.equal((await h.get('registered-models/alias', { name: 'prices', alias: 'champion' })).status, 404);
    const deleted = await h.request('/api/2.0/mlflow/model-versions/delete', {
      method: 'DELETE',
      body: { name: 'prices', version: '1' },
    });
    assert.equal(deleted.status, 200);
    assert.equal((await h.get('model-versions/get', { name: 'prices', version: '1' })).status, 404);
    // Versions are never reused.
    const v3 = await h.post('model-versions/create', { name: 'prices', source: 'model', run_id: runId });
    assert.equal((v3.body['model_version'] as WireVersion).version, '3');
  });

  it('refuses versions of unknown runs, aliases to missing versions, bad versions', async () => {
    const unknownRun = await h.post('model-versions/create', { name: 'm', source: 'runs:/feedface/model' });
    assert.equal(unknownRun.status, 404);
    const noRun = await h.post('model-versions/create', { name: 'm', source: '/somewhere/model' });
    assert.equal(noRun.body['error_code'], 'INVALID_PARAMETER_VALUE');
    await h.post('model-versions/create', { name: 'm', source: `runs:/${runId}/model` });
    const alias = await h.post('registered-models/alias', { name: 'm', alias: 'a', version: '7' });
    assert.equal(alias.status, 404);
    const bad = await h.get('model-versions/get', { name: 'm', version: 'one' });
    assert.equal(bad.body['error_code'], 'INVALID_PARAMETER_VALUE');
  });

  it('reads model sources', () => {
    assert.deepEqual(parseModelSource('runs:/abc/model', undefined), { runId: 'abc', path: 'model' });
    assert.deepEqual(parseModelSource('mlflow-artifacts:/abc/a/b', undefined), { runId: 'abc', path: 'a/b' });
    assert.deepEqual(parseModelSource('model', 'r1'), { runId: 'r1', path: 'model' });
  });
});
