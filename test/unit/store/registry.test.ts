import * as assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../../src/store/runStore';

describe('models and the registry in the store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-registry-')), '.runlog');
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  async function append(relative: string, events: object[]): Promise<void> {
    await mkdir(join(dir, relative, '..'), { recursive: true });
    await appendFile(join(dir, relative), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
  const registry = (action: string, fields: object = {}): object => ({
    t: 'registry',
    ts: 10,
    action,
    model: 'prices',
    ...fields,
  });

  it('keeps the models a run logged', async () => {
    await append('runs/r1/events.jsonl', [
      { t: 'run_start', ts: 1, run_id: 'r1', name: 'n', experiment: 'e' },
      {
        t: 'model',
        ts: 2,
        name: 'model',
        flavor: 'sklearn',
        uuid: 'u1',
        files: [{ path: 'model/model.pkl', size: 3, sha256: 'ab' }],
      },
      { t: 'registry', ts: 3, action: 'create_model', model: 'x' },
    ]);
    const store = await RunStore.open({ dir, writer: false, version: 'test' });
    const run = store.query('getRun', 'r1');
    assert.deepEqual(run?.models, [
      {
        name: 'model',
        flavor: 'sklearn',
        uuid: 'u1',
        created: 2,
        signature: null,
        files: [{ path: 'model/model.pkl', size: 3, sha256: 'ab' }],
      },
    ]);
    assert.match(run?.rejected[0]?.reason ?? '', /registry events belong in registry\/events\.jsonl/);
    store.close();
  });

  it('numbers versions, moves aliases, and refuses what breaks the rules', async () => {
    await append('registry/events.jsonl', [
      registry('create_version', { run_id: 'r1', source: 'model' }),
      registry('create_version', { run_id: 'r2', source: 'model', version: 2 }),
      registry('create_version', { run_id: 'r3', source: 'model', version: 7 }),
      registry('set_alias', { alias: 'champion', version: 1 }),
      registry('set_alias', { alias: 'champion', version: 2 }),
      registry('set_alias', { alias: 'staging', version: 2 }),
      registry('set_alias', { alias: 'ghost', version: 9 }),
      registry('create_model'),
      registry('update_model', { description: 'house prices' }),
      { t: 'registry', ts: 11, action: 'create_version', model: 'refused', run_id: 'r', source: 'm', version: 2 },
    ]);
    const store = await RunStore.open({ dir, writer: false, version: 'test' });
    const models = store.query('registeredModels');
    assert.deepEqual(
      models.map((m) => m.name),
      ['prices'],
      'a refused create_version does not create its model',
    );
    const [model] = models;
    assert.equal(model?.description, 'house prices');
    assert.deepEqual(
      model?.versions.map((v) => [v.version, v.runId, v.aliases]),
      [
        [2, 'r2', ['champion', 'staging']],
        [1, 'r1', []],
      ],
      'an alias points at one version; a version may hold several',
    );
    await append('registry/events.jsonl', [
      registry('create_version', { run_id: 'r4', source: 'model' }),
      registry('delete_alias', { alias: 'staging' }),
      registry('delete_version', { version: 2 }),
      registry('delete_alias', { alias: 'staging' }),
    ]);
    await store.syncJournals();
    const [after] = store.query('registeredModels');
    assert.deepEqual(
      after?.versions.map((v) => [v.version, v.aliases]),
      [
        [3, []],
        [1, []],
      ],
      'deleting a version drops its aliases; numbers are never reused',
    );
    store.close();
    const logs: string[] = [];
    const reopened = await RunStore.open({ dir, writer: false, version: 'test', log: (m) => logs.push(m) });
    assert.ok(
      logs.some((m) =>
        /Registry journal line 3: version 7 of "prices" cannot be created: the next version is 3/.test(m),
      ),
    );
    assert.ok(logs.some((m) => /alias "ghost" cannot point at version 9/.test(m)));
    assert.ok(logs.some((m) => /registered model "prices" already exists/.test(m)));
    assert.ok(logs.some((m) => /line 14: "prices" has no alias "staging"/.test(m)));
    reopened.close();
  });
});
