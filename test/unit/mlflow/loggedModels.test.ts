import * as assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Harness } from './endpointHarness';
import { harnessPerTest } from './endpointHarness';

interface WireLoggedModel {
  info: {
    model_id: string;
    experiment_id: string;
    name: string;
    artifact_uri: string;
    status: string;
    model_type?: string;
    source_run_id?: string;
    tags: { key: string; value: string }[];
    registrations: { name: string; version: string }[];
  };
  data: { params: { key: string; value: string }[]; metrics: { key: string; value: number; model_id: string }[] };
}

/** The proxy path of an `mlflow-artifacts:/…` URI, as MLflow's artifact repository builds it. */
function proxyPath(uri: string, file: string): string {
  const path = uri.replace(/^mlflow-artifacts:\/+/, '');
  return `/api/2.0/mlflow-artifacts/artifacts/${path}/${file}`;
}

// The request sequence of MLflow 3's `mlflow.sklearn.log_model(model, name="model",
// registered_model_name="prices")` inside a run, as mlflow/models/model.py (Model.log),
// tracking/fluent.py, tracking/client.py and store/tracking/rest_store.py make it (mlflow 3.1–3.4).
describe("MLflow endpoint: MLflow 3's logged models, as Model.log calls them", function () {
  this.timeout(20_000);
  let h: Harness;
  let runId: string;
  harnessPerTest((made) => ({ h, runId } = made), { withRun: true });

  async function logModel(): Promise<WireLoggedModel> {
    assert.equal((await h.get('runs/get', { run_id: runId })).status, 200);
    await h.post('runs/log-batch', { run_id: runId, metrics: [{ key: 'rmse', value: 0.5, timestamp: 1000, step: 3 }] });
    const created = await h.post('logged-models', {
      experiment_id: '0',
      name: 'model',
      model_type: 'sklearn',
      source_run_id: runId,
      params: [{ key: 'alpha', value: '0.1' }],
      tags: [{ key: 'mlflow.source.name', value: 'train.py' }],
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const model = created.body['model'] as WireLoggedModel;
    assert.match(model.info.model_id, /^m-[0-9a-f]{32}$/);
    assert.equal(model.info.status, 'LOGGED_MODEL_PENDING');
    assert.equal(model.info.source_run_id, runId);
    const id = model.info.model_id;
    const params = await h.post(`logged-models/${id}/params`, {
      model_id: id,
      params: [{ key: 'fit_intercept', value: 'True' }],
    });
    assert.equal(params.status, 200, JSON.stringify(params.body));
    const outputs = await h.post('runs/outputs', { run_id: runId, models: [{ model_id: id, step: 3 }] });
    assert.equal(outputs.status, 200, JSON.stringify(outputs.body));
    // The run's metrics at the model's step, logged again with its id.
    const history = await h.get('metrics/get-history', { run_id: runId, metric_key: 'rmse' });
    assert.equal((history.body['metrics'] as unknown[]).length, 1);
    const batch = await h.post('runs/log-batch', {
      run_id: runId,
      metrics: [{ key: 'rmse', value: 0.5, timestamp: 1000, step: 3, model_id: id, run_id: runId }],
    });
    assert.equal(batch.status, 200, JSON.stringify(batch.body));
    const got = await h.request(`/api/2.0/mlflow/logged-models/${id}`);
    const uri = (got.body['model'] as WireLoggedModel).info.artifact_uri;
    for (const [file, body] of [
      ['MLmodel', 'artifact_path: model\nflavors:\n  sklearn: {}\nmodel_id: ' + id + '\n'],
      ['model.pkl', 'pickled'],
      ['requirements.txt', 'scikit-learn==1.5.0\n'],
    ] as const) {
      const put = await h.request(proxyPath(uri, file), {
        method: 'PUT',
        rawBody: body,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      assert.equal(put.status, 200, `${file}: ${put.raw.toString()}`);
    }
    const finalized = await h.request(`/api/2.0/mlflow/logged-models/${id}`, {
      method: 'PATCH',
      body: { model_id: id, status: 'LOGGED_MODEL_READY' },
    });
    assert.equal(finalized.status, 200, JSON.stringify(finalized.body));
    assert.equal((finalized.body['model'] as WireLoggedModel).info.status, 'LOGGED_MODEL_READY');
    return finalized.body['model'] as WireLoggedModel;
  }

  it('create → params → outputs → metrics with model_id → uploads → finalize, every field the client reads', async () => {
    const model = await logModel();
    const id = model.info.model_id;
    assert.equal(model.info.experiment_id, '0');
    assert.equal(model.info.name, 'model');
    assert.equal(model.info.model_type, 'sklearn');
    assert.match(model.info.artifact_uri, new RegExp(`^mlflow-artifacts:/.*models/${id}/artifacts$`));
    assert.deepEqual(
      model.data.params.sort((a, b) => a.key.localeCompare(b.key)),
      [
        { key: 'alpha', value: '0.1' },
        { key: 'fit_intercept', value: 'True' },
      ],
    );
    assert.deepEqual(
      model.data.metrics.map((m) => [m.key, m.value, m.model_id]),
      [['rmse', 0.5, id]],
    );
    // The run kept its one point: the point logged again with the model's id is the same.
    const history = await h.get('metrics/get-history', { run_id: runId, metric_key: 'rmse' });
    assert.equal((history.body['metrics'] as unknown[]).length, 1);
    const files = await h.get(`logged-models/${id}/artifacts/directories`, {});
    assert.deepEqual(
      (files.body['files'] as { path: string }[]).map((f) => f.path),
      ['MLmodel', 'model.pkl', 'requirements.txt'],
    );
    const listed = await h.request(
      `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(model.info.artifact_uri.replace('mlflow-artifacts:/', ''))}`,
    );
    assert.equal((listed.body['files'] as unknown[]).length, 3);
    const file = await h.request(proxyPath(model.info.artifact_uri, 'model.pkl'));
    assert.equal(file.raw.toString(), 'pickled');
    assert.equal(
      await readFile(join(h.dir, 'models', id, 'artifacts', 'requirements.txt'), 'utf8'),
      'scikit-learn==1.5.0\n',
    );
    // The run lists it, as the editor shows it under its source run.
    await h.get('runs/get', { run_id: runId });
    const run = h.store.query('getRun', runId);
    assert.deepEqual(
      run?.loggedModels.map((m) => [m.id, m.status, m.source, m.outputStep]),
      [[id, 'READY', true, 3]],
    );
  });

  it('register_model("models:/<id>") → a version whose download URI is the model\'s folder; load_model resolves it', async () => {
    const model = await logModel();
    const id = model.info.model_id;
    // register_model: create the registered model (already existing is fine), then the version.
    assert.equal((await h.post('registered-models/create', { name: 'prices' })).status, 200);
    const created = await h.post('model-versions/create', {
      name: 'prices',
      source: `models:/${id}`,
      run_id: runId,
      model_id: id,
      tags: [{ key: 'team', value: 'pricing' }],
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const version = created.body['model_version'] as Record<string, unknown>;
    assert.deepEqual(
      [version['version'], version['status'], version['source'], version['model_id'], version['current_stage']],
      ['1', 'READY', `models:/${id}`, id, 'None'],
    );
    assert.deepEqual(version['tags'], [{ key: 'team', value: 'pricing' }]);
    const polled = await h.get('model-versions/get', { name: 'prices', version: '1' });
    assert.equal((polled.body['model_version'] as { status: string }).status, 'READY');
    // The client then tags the logged model with its versions.
    const tagged = await h.request(`/api/2.0/mlflow/logged-models/${id}/tags`, {
      method: 'PATCH',
      body: { model_id: id, tags: [{ key: 'mlflow.modelVersions', value: '[{"name": "prices", "version": "1"}]' }] },
    });
    assert.equal(tagged.status, 200, JSON.stringify(tagged.body));
    const after = (await h.request(`/api/2.0/mlflow/logged-models/${id}`)).body['model'] as WireLoggedModel;
    assert.deepEqual(after.info.registrations, [{ name: 'prices', version: '1' }]);
    assert.ok(after.info.tags.some((t) => t.key === 'mlflow.modelVersions'));
    // Aliases, then load_model("models:/prices@champion") and ("models:/prices/1").
    await h.post('registered-models/alias', { name: 'prices', alias: 'champion', version: '1' });
    const byAlias = await h.get('registered-models/alias', { name: 'prices', alias: 'champion' });
    assert.equal((byAlias.body['model_version'] as { version: string }).version, '1');
    const uri = await h.get('model-versions/get-download-uri', { name: 'prices', version: '1' });
    assert.equal(uri.status, 200, JSON.stringify(uri.body));
    assert.equal(uri.body['artifact_uri'], model.info.artifact_uri);
    const manifest = await h.request(proxyPath(String(uri.body['artifact_uri']), 'MLmodel'));
    assert.match(manifest.raw.toString(), /flavors:/);
  });

  it("searches logged models with MLflow's filter and order grammar, and pages", async () => {
    const ids: string[] = [];
    for (const [name, alpha] of [
      ['a', '0.1'],
      ['b', '0.2'],
      ['c', '0.3'],
    ] as const) {
      const created = await h.post('logged-models', {
        experiment_id: '0',
        name,
        source_run_id: runId,
        params: [{ key: 'alpha', value: alpha }],
      });
      const id = (created.body['model'] as WireLoggedModel).info.model_id;
      ids.push(id);
      await h.post('runs/log-batch', {
        run_id: runId,
        metrics: [{ key: 'acc', value: Number(alpha) * 2, timestamp: 5, step: 0, model_id: id, dataset_name: 'val' }],
      });
    }
    await h.request(`/api/2.0/mlflow/logged-models/${ids[0]}`, { method: 'PATCH', body: { status: 2 } });
    const search = (body: object): Promise<{ names: string[]; next?: string; status: number; body: unknown }> =>
      h.post('logged-models/search', { experiment_ids: ['0'], ...body }).then((r) => ({
        status: r.status,
        body: r.body,
        names: ((r.body['models'] ?? []) as WireLoggedModel[]).map((m) => m.info.name),
        ...(typeof r.body['next_page_token'] === 'string' ? { next: r.body['next_page_token'] } : {}),
      }));
    assert.deepEqual((await search({ filter: "params.alpha > '0.1'" })).status, 400);
    assert.deepEqual((await search({ filter: 'metrics.acc >= 0.4' })).names.sort(), ['b', 'c']);
    assert.deepEqual((await search({ filter: "status = 'LOGGED_MODEL_READY'" })).names, ['a']);
    assert.deepEqual((await search({ filter: "name IN ('a', 'c') AND params.alpha = '0.3'" })).names, ['c']);
    assert.deepEqual((await search({ filter: "name LIKE 'b%'" })).names, ['b']);
    const ordered = await search({ order_by: [{ field_name: 'metrics.acc', ascending: false, dataset_name: 'val' }] });
    assert.deepEqual(ordered.names, ['c', 'b', 'a']);
    const first = await search({ max_results: 2, order_by: [{ field_name: 'name' }] });
    assert.deepEqual(first.names, ['a', 'b']);
    const second = await search({ max_results: 2, order_by: [{ field_name: 'name' }], page_token: first.next });
    assert.deepEqual(second.names, ['c']);
    assert.equal((await search({ filter: 'nonsense ~ 3' })).status, 400);
    // Tags, then deletion: gone from the search and from get.
    const id = ids[1] ?? '';
    await h.request(`/api/2.0/mlflow/logged-models/${id}/tags`, {
      method: 'PATCH',
      body: { tags: [{ key: 'k', value: 'v' }] },
    });
    assert.deepEqual((await search({ filter: "tags.k = 'v'" })).names, ['b']);
    const untag = await h.request(`/api/2.0/mlflow/logged-models/${id}/tags/k`, { method: 'DELETE' });
    assert.equal(untag.status, 200, JSON.stringify(untag.body));
    assert.deepEqual((await search({ filter: "tags.k = 'v'" })).names, []);
    const deleted = await h.request(`/api/2.0/mlflow/logged-models/${id}`, { method: 'DELETE' });
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.equal((await h.request(`/api/2.0/mlflow/logged-models/${id}`)).status, 404);
    assert.deepEqual((await search({})).names.sort(), ['a', 'c']);
  });

  it('refuses what MLflow refuses: a changed param, an unknown status, a missing model or experiment', async () => {
    const created = await h.post('logged-models', { experiment_id: '0', params: [{ key: 'a', value: '1' }] });
    const id = (created.body['model'] as WireLoggedModel).info.model_id;
    assert.ok((created.body['model'] as WireLoggedModel).info.name.length > 0, 'a model without a name gets one');
    const changed = await h.post(`logged-models/${id}/params`, { params: [{ key: 'a', value: '2' }] });
    assert.equal(changed.status, 400);
    assert.match(String(changed.body['message']), /Changing param values is not allowed/);
    const status = await h.request(`/api/2.0/mlflow/logged-models/${id}`, {
      method: 'PATCH',
      body: { status: 'DONE' },
    });
    assert.equal(status.status, 400);
    const failed = await h.request(`/api/2.0/mlflow/logged-models/${id}`, {
      method: 'PATCH',
      body: { status: 'LOGGED_MODEL_UPLOAD_FAILED' },
    });
    assert.equal((failed.body['model'] as WireLoggedModel).info.status, 'LOGGED_MODEL_UPLOAD_FAILED');
    assert.equal((await h.request('/api/2.0/mlflow/logged-models/m-0000')).status, 404);
    assert.equal((await h.post('logged-models', { experiment_id: '999' })).status, 404);
    // log_inputs(models=…): the run used the model; an unknown one is refused.
    const used = await h.post('runs/log-inputs', { run_id: runId, datasets: [], models: [{ model_id: id }] });
    assert.equal(used.status, 200, JSON.stringify(used.body));
    await h.get('runs/get', { run_id: runId });
    assert.deepEqual(
      h.store.query('getRun', runId)?.loggedModels.map((m) => [m.id, m.source, m.input]),
      [[id, false, true]],
    );
    const unknown = await h.post('runs/log-inputs', { run_id: runId, models: [{ model_id: 'm-none' }] });
    assert.equal(unknown.status, 404);
    const metric = await h.post('runs/log-metric', {
      run_id: runId,
      key: 'x',
      value: 1,
      timestamp: 1,
      step: 0,
      model_id: 'm-none',
    });
    assert.equal(metric.status, 404);
    const hostile = await h.request(`/api/2.0/mlflow-artifacts/artifacts/0/models/${id}/artifacts/%2e%2e/%2e%2e/x`, {
      method: 'PUT',
      rawBody: 'x',
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(hostile.status, 400);
  });
});

describe('MLflow endpoint: the rest of the tracking API', function () {
  this.timeout(20_000);
  let h: Harness;
  let runId: string;
  harnessPerTest((made) => ({ h, runId } = made), { withRun: true });

  it("runs/log-model (MLflow 2's log_model after its uploads) records the model and MLflow's history tag", async () => {
    for (const file of ['MLmodel', 'model.pkl']) {
      await h.request(`/api/2.0/mlflow-artifacts/artifacts/${runId}/model/${file}`, {
        method: 'PUT',
        rawBody: file,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
    }
    const manifest = {
      artifact_path: 'model',
      run_id: runId,
      utc_time_created: '2026-12-07 03:00:00.000000',
      flavors: { python_function: { loader_module: 'mlflow.sklearn' }, sklearn: { sklearn_version: '1.5.0' } },
      model_uuid: '0f3c',
      signature: { inputs: '[{"type": "double"}]', outputs: '[{"type": "double"}]' },
    };
    const logged = await h.post('runs/log-model', { run_id: runId, model_json: JSON.stringify(manifest) });
    assert.equal(logged.status, 200, JSON.stringify(logged.body));
    const run = (await h.get('runs/get', { run_id: runId })).body['run'] as {
      data: { tags: { key: string; value: string }[] };
    };
    const history = run.data.tags.find((t) => t.key === 'mlflow.log-model.history');
    assert.deepEqual(JSON.parse(history?.value ?? '[]'), [manifest]);
    const models = h.store.query('getRun', runId)?.models ?? [];
    assert.deepEqual(
      models.map((m) => [m.name, m.flavor, m.uuid, m.files.map((f) => f.path)]),
      [['model', 'sklearn', '0f3c', ['model/MLmodel', 'model/model.pkl']]],
    );
    assert.equal((await h.post('runs/log-model', { run_id: runId, model_json: '{' })).status, 400);
  });

  it("log_image with steps: MLflow's file names (% sent as %25) are stored as named, listed and read back", async () => {
    const name = 'images/loss#curve%step%17%timestamp%1733540000000%0b6f.png';
    const put = await h.request(
      `/api/2.0/mlflow-artifacts/artifacts/${runId}/${encodeURIComponent(name).replace(/%2F/g, '/')}`,
      {
        method: 'PUT',
        rawBody: 'png',
        headers: { 'Content-Type': 'application/octet-stream' },
      },
    );
    assert.equal(put.status, 200, put.raw.toString());
    await h.post('runs/set-tag', { run_id: runId, key: 'mlflow.loggedImages', value: 'True' });
    const listed = await h.get('artifacts/list', { run_id: runId, path: 'images' });
    assert.deepEqual(
      (listed.body['files'] as { path: string }[]).map((f) => f.path),
      [name],
    );
    assert.equal(await readFile(join(h.dir, 'runs', runId, 'artifacts', name), 'utf8'), 'png');
    const run = (await h.get('runs/get', { run_id: runId })).body['run'] as { data: { tags: { key: string }[] } };
    assert.ok(run.data.tags.some((t) => t.key === 'mlflow.loggedImages'));
    // And the artifact DELETE: the file goes, and the store forgets it.
    const removed = await h.request(`/api/2.0/mlflow-artifacts/artifacts/${runId}/images`, { method: 'DELETE' });
    assert.equal(removed.status, 200, removed.raw.toString());
    await h.get('runs/get', { run_id: runId });
    assert.deepEqual(h.store.query('getRun', runId)?.artifacts, []);
    assert.deepEqual((await h.get('artifacts/list', { run_id: runId, path: 'images' })).body['files'], []);
  });

  it("get-history-bulk-interval samples several runs at shared steps, keeping each run's ends", async () => {
    const other = await h.createRun();
    for (const id of [runId, other]) {
      const metrics = Array.from({ length: 50 }, (_, i) => ({
        key: 'loss',
        value: i / 10,
        timestamp: 1000 + i,
        step: i,
      }));
      await h.post('runs/log-batch', { run_id: id, metrics });
    }
    const reply = await h.get('metrics/get-history-bulk-interval', {
      run_ids: [runId, other],
      metric_key: 'loss',
      max_results: '10',
    });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    const points = reply.body['metrics'] as {
      run_id: string;
      step: number;
      value: number;
      key: string;
      timestamp: number;
    }[];
    const mine = points.filter((p) => p.run_id === runId).map((p) => p.step);
    assert.deepEqual(
      mine,
      points.filter((p) => p.run_id === other).map((p) => p.step),
    );
    assert.ok(mine.length >= 10 && mine.length <= 12, String(mine));
    assert.equal(mine[0], 0);
    assert.equal(mine[mine.length - 1], 49);
    assert.deepEqual(points[0], { key: 'loss', value: 0, timestamp: 1000, step: 0, run_id: runId });
    const ranged = await h.get('metrics/get-history-bulk-interval', {
      run_ids: runId,
      metric_key: 'loss',
      start_step: '10',
      end_step: '12',
    });
    assert.deepEqual(
      (ranged.body['metrics'] as { step: number }[]).map((p) => p.step),
      [10, 11, 12],
    );
    const half = await h.get('metrics/get-history-bulk-interval', {
      run_ids: runId,
      metric_key: 'loss',
      start_step: '3',
    });
    assert.equal(half.status, 400);
  });

  it('experiment tags can be deleted; search-datasets lists what the runs read', async () => {
    await h.post('experiments/set-experiment-tag', { experiment_id: '0', key: 'team', value: 'x' });
    assert.equal((await h.post('experiments/delete-experiment-tag', { experiment_id: '0', key: 'team' })).status, 200);
    const experiment = (await h.get('experiments/get', { experiment_id: '0' })).body['experiment'] as {
      tags?: unknown[];
    };
    assert.deepEqual(experiment.tags ?? [], []);
    assert.equal((await h.post('experiments/delete-experiment-tag', { experiment_id: '0', key: 'team' })).status, 404);
    await h.post('runs/log-inputs', {
      run_id: runId,
      datasets: [{ dataset: { name: 'train', digest: 'abc', source_type: 'local', source: 'data.csv' } }],
    });
    const found = await h.post('experiments/search-datasets', { experiment_ids: ['0'] });
    assert.deepEqual(found.body['dataset_summaries'], [{ experiment_id: '0', name: 'train', digest: 'abc' }]);
  });

  it('answers every other endpoint of the protos with 404 ENDPOINT_NOT_FOUND naming the feature, never a 200', async () => {
    const traces = await h.post('traces', { request_id: 'x' });
    assert.equal(traces.status, 404);
    assert.equal(traces.body['error_code'], 'ENDPOINT_NOT_FOUND');
    assert.match(String(traces.body['message']), /Runlog does not record traces/);
    const v3 = await h.request('/api/3.0/mlflow/traces/search', { body: {} });
    assert.equal(v3.status, 404);
    assert.match(String(v3.body['message']), /traces/);
    const mpu = await h.request(`/api/2.0/mlflow-artifacts/mpu/create/${runId}/big.bin`, { body: {} });
    assert.match(String(mpu.body['message']), /^Multipart upload is not supported/);
    const unknown = await h.post('no-such-thing', {});
    assert.equal(unknown.body['error_code'], 'ENDPOINT_NOT_FOUND');
    const info = await h.request('/api/3.0/mlflow/server-info');
    assert.equal(info.status, 200);
    assert.equal(info.body['multipart_uploads_enabled'], false);
  });
});
