import * as assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEventLine } from '../../../src/store/eventParse';
import { RunStore } from '../../../src/store/runStore';
import { SCHEMA_VERSION } from '../../../src/store/schema';
import { Db } from '../../../src/store/sqlite';

describe("MLflow 3's logged models in the store (journal format 3)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-logged-models-')), '.runlog');
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  async function append(relative: string, events: object[]): Promise<void> {
    await mkdir(join(dir, relative, '..'), { recursive: true });
    await appendFile(join(dir, relative), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
  const model = (action: string, fields: object = {}, id = 'm-1'): object => ({
    t: 'logged_model',
    ts: 100,
    action,
    model_id: id,
    ...fields,
  });

  it('checks the new events line by line', () => {
    const ok = (line: object): boolean => parseEventLine(JSON.stringify(line)).ok;
    assert.ok(ok(model('create', { name: 'net', experiment_id: '1', params: { a: '1' }, tags: {} })));
    assert.ok(ok(model('finalize', { status: 'READY' })));
    assert.ok(ok(model('log_metrics', { metrics: [{ key: 'acc', value: 'NaN', step: 0, ts: 5 }] })));
    assert.ok(ok({ t: 'model_output', ts: 1, model_id: 'm-1', step: 3 }));
    assert.ok(ok({ t: 'model_input', ts: 1, model_id: 'm-1' }));
    assert.ok(ok({ t: 'registry', ts: 1, action: 'transition_stage', model: 'x', version: 1, stage: 'Staging' }));
    for (const bad of [
      model('create', { name: 'net' }),
      model('create', { name: 'net', experiment_id: '1', params: { a: 1 } }),
      model('finalize', { status: 'PENDING' }),
      model('finalize', { status: 'READY' }, '../escape'),
      model('log_metrics', { metrics: [{ key: 'acc', value: 'nan', step: 0, ts: 5 }] }),
      model('artifact', { path: 'a', size: -1, sha256: 'x' }),
      model('vanish'),
      { t: 'model_output', ts: 1, model_id: 'm-1' },
      { t: 'registry', ts: 1, action: 'transition_stage', model: 'x', version: 1, stage: 'Live' },
      { t: 'registry', ts: 1, action: 'rename_model', model: 'x' },
    ]) {
      assert.equal(ok(bad), false, JSON.stringify(bad));
    }
  });

  it("reads the models journal: params write-once, tags, metrics, files, deletion, and runs' outputs", async () => {
    await append('runs/r1/events.jsonl', [
      { t: 'run_start', ts: 1, run_id: 'r1', name: 'n', experiment: 'e' },
      { t: 'model_output', ts: 2, model_id: 'm-2', step: 7 },
      { t: 'model_input', ts: 3, model_id: 'm-1' },
      model('finalize', { status: 'READY' }),
    ]);
    await append('models/events.jsonl', [
      model('create', { name: 'net', experiment_id: '1', source_run_id: 'r1', model_type: 'clf', params: { a: '1' } }),
      model('create', { name: 'twice', experiment_id: '1' }),
      model('create', { name: 'other', experiment_id: '2' }, 'm-2'),
      model('log_params', { params: { a: '1', b: '2' }, ts: 101 }),
      model('log_params', { params: { c: '3', a: 'changed' } }),
      model('set_tags', { tags: { stage: 'dev', note: 'x' }, ts: 102 }),
      model('delete_tag', { key: 'note', ts: 103 }),
      model('log_metrics', {
        metrics: [
          { key: 'acc', value: 0.9, step: 7, ts: 50, run_id: 'r1', dataset_name: 'test' },
          { key: 'loss', value: 'NaN', step: 7, ts: 50 },
        ],
        ts: 104,
      }),
      model('artifact', { path: 'MLmodel', size: 10, sha256: 'aa', ts: 105 }),
      model('finalize', { status: 'READY', ts: 106 }),
      model('finalize', { status: 'READY' }, 'm-ghost'),
      model('delete', {}, 'm-2'),
      model('set_tags', { tags: { late: 'y' } }, 'm-2'),
      { t: 'metric', ts: 1, key: 'stray', value: 1, step: 0 },
    ]);
    const logs: string[] = [];
    const store = await RunStore.open({ dir, writer: false, version: 'test', log: (m) => logs.push(m) });
    try {
      const [net] = store.query('loggedModels', { ids: ['m-1'] });
      assert.deepEqual(
        { ...net, metrics: net?.metrics.map((m) => [m.key, m.value, m.step, m.runId, m.datasetName]) },
        {
          id: 'm-1',
          name: 'net',
          experimentId: '1',
          modelType: 'clf',
          sourceRunId: 'r1',
          status: 'READY',
          created: 100,
          updated: 106,
          deleted: false,
          params: { a: '1', b: '2' },
          tags: { stage: 'dev' },
          metrics: [
            ['acc', 0.9, 7, 'r1', 'test'],
            ['loss', NaN, 7, null, null],
          ],
          files: [{ path: 'MLmodel', size: 10, sha256: 'aa' }],
          registrations: [],
          runs: [{ runId: 'r1', direction: 'input', step: null }],
        },
      );
      assert.deepEqual(
        store.query('loggedModels').map((m) => m.id),
        ['m-1'],
        'a deleted model is in no list',
      );
      assert.deepEqual(
        store.query('loggedModels', { deleted: true, runId: 'r1' }).map((m) => [m.id, m.runs]),
        [
          ['m-1', [{ runId: 'r1', direction: 'input', step: null }]],
          ['m-2', [{ runId: 'r1', direction: 'output', step: 7 }]],
        ],
      );
      const run = store.query('getRun', 'r1');
      assert.deepEqual(run?.loggedModels, [
        {
          id: 'm-1',
          name: 'net',
          status: 'READY',
          modelType: 'clf',
          created: 100,
          source: true,
          outputStep: null,
          input: true,
        },
      ]);
      assert.match(run?.rejected[0]?.reason ?? '', /logged_model events belong in models\/events\.jsonl/);
      const refused = logs.filter((l) => l.startsWith('Logged models journal line'));
      assert.deepEqual(
        refused.map((l) => /line (\d+):/.exec(l)?.[1]),
        ['2', '5', '11', '13', '0'],
        refused.join('\n'),
      );
      assert.match(refused.join('\n'), /param "a" of logged model m-1 is already "1"/);
    } finally {
      store.close();
    }
  });

  it('a version of a logged model names it, and the model lists its registrations', async () => {
    await append('models/events.jsonl', [model('create', { name: 'net', experiment_id: '1' })]);
    await append('registry/events.jsonl', [
      { t: 'registry', ts: 1, action: 'create_version', model: 'prices', model_id: 'm-1' },
      { t: 'registry', ts: 2, action: 'create_version', model: 'prices', model_id: 'm-1' },
    ]);
    const store = await RunStore.open({ dir, writer: false, version: 'test' });
    try {
      assert.deepEqual(store.query('loggedModels')[0]?.registrations, [
        { name: 'prices', version: 1 },
        { name: 'prices', version: 2 },
      ]);
      assert.deepEqual(
        store.query('registeredModels')[0]?.versions.map((v) => [v.version, v.modelId, v.runId, v.source]),
        [
          [2, 'm-1', null, null],
          [1, 'm-1', null, null],
        ],
      );
    } finally {
      store.close();
    }
  });

  it('a database of schema 3 reads the registry journal again, so version tags reach it', async () => {
    await append('registry/events.jsonl', [
      { t: 'registry', ts: 1, action: 'create_version', model: 'p', run_id: 'r', source: 'm', tags: { k: 'v' } },
    ]);
    const first = await RunStore.open({ dir, writer: true, version: 'test' });
    await first.snapshot();
    first.close();
    // Take the database back to schema 3 as a Runlog of format 2 left it: no tag tables, no tags read.
    const db = await Db.open(await readFile(join(dir, 'runlog.db')));
    db.exec(`DROP TABLE model_version_tags; DROP TABLE registered_model_tags; DROP TABLE logged_models;
      DROP TABLE logged_model_tags; DROP TABLE logged_model_params; DROP TABLE logged_model_metrics;
      DROP TABLE logged_model_artifacts; DROP TABLE run_models; ALTER TABLE model_versions DROP COLUMN model_id;
      ALTER TABLE model_versions DROP COLUMN stage; ALTER TABLE model_versions DROP COLUMN updated;
      PRAGMA user_version = 3;`);
    await writeFile(join(dir, 'runlog.db'), db.export());
    db.close();
    const store = await RunStore.open({ dir, writer: false, version: 'test' });
    try {
      assert.equal(SCHEMA_VERSION, 8);
      assert.deepEqual(store.query('registeredModels')[0]?.versions[0]?.tags, { k: 'v' });
    } finally {
      store.close();
    }
  });
});
