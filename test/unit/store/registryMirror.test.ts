import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegisteredModel } from '../../../src/store/types';
import { RunStore } from '../../../src/store/runStore';

const REPO = join(__dirname, '../../../..');
const ENV = { ...process.env, PYTHONPATH: join(REPO, 'python'), RUNLOG_RUN_ID: '' };

// The Python client numbers a new version from its own reading of the registry journal
// (python/runlog/_registry_state.py), so it must derive exactly what the store derives.
const DERIVE = `
import json, sys
from runlog import _registry_state
state = _registry_state.derive(open(sys.argv[1], "rb").read())
models = []
for name in sorted(state.models):
    m = state.models[name]
    live = sorted((v for v in m.versions.values() if not v.deleted), key=lambda v: -v.version)
    models.append({"name": name, "created": m.created, "updated": m.updated, "description": m.description,
                   "tags": m.tags,
                   "versions": [{"version": v.version, "runId": v.run_id, "source": v.source,
                                 "modelId": v.model_id, "created": v.created, "updated": v.updated,
                                 "description": v.description,
                                 "aliases": sorted(a for a, n in m.aliases.items() if n == v.version),
                                 "stage": v.stage, "tags": v.tags}
                                for v in live]})
print(json.dumps({"models": models, "rejected": state.rejected}))
`;

interface Derived {
  readonly models: RegisteredModel[];
  readonly rejected: [number, string][];
}

function pythonDerives(journal: string): Derived {
  const result = spawnSync('python3', ['-c', DERIVE, journal], { encoding: 'utf8', env: ENV });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Derived;
}

function python(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', args, { env: { ...ENV, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${String(code)}: ${err}`))));
  });
}

describe('the registry rules in Python and in the store', function () {
  this.timeout(30_000);
  let dir: string;
  let store: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runlog-registry-mirror-'));
    store = join(dir, '.runlog');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function storeDerives(): Promise<{ models: RegisteredModel[]; rejectedLines: number[] }> {
    const logs: string[] = [];
    const opened = await RunStore.open({ dir: store, writer: false, version: 'test', log: (m) => logs.push(m) });
    try {
      const rejectedLines = logs.flatMap((m) => {
        const match = /^Registry journal line (\d+):/.exec(m);
        return match ? [Number(match[1])] : [];
      });
      return { models: opened.query('registeredModels'), rejectedLines };
    } finally {
      opened.close();
    }
  }

  it('derive the same models, versions and aliases from a journal full of rule breaks', async () => {
    const e = (action: string, fields: object = {}): string =>
      JSON.stringify({ t: 'registry', ts: 100, action, model: 'prices', ...fields });
    const lines = [
      e('create_version', { run_id: 'r1', source: 'model', ts: 101 }),
      e('create_version', { run_id: 'r2', source: 'model', version: 2.0, ts: 102 }),
      e('create_version', { run_id: 'r3', source: 'model', version: 7 }),
      e('create_version', { model: 'ghost', run_id: 'r3', source: 'model', version: 2 }),
      e('create_version', { run_id: '', source: 'model' }),
      e('set_alias', { alias: 'champion', version: 1, ts: 103 }),
      e('set_alias', { alias: 'champion', version: 2, ts: 104 }),
      e('set_alias', { alias: 'staging', version: 2 }),
      e('set_alias', { alias: 'ghost', version: 9 }),
      e('set_alias', { alias: '', version: 1 }),
      e('set_alias', { alias: 'x', version: true }),
      e('create_model'),
      e('update_model', { description: 'house prices', ts: 105 }),
      '',
      '{"t":"registry","ts":NaN,"action":"create_model","model":"nan"}',
      '{"t":"metric","ts":1,"key":"loss","value":0.5,"step":0}',
      '{"t":"param","ts":1,"key":"lr","value":"0.1"}',
      'not json',
      e('create_version', { run_id: 'r4', source: 'model', tags: { rmse: '1' }, ts: 106 }),
      e('create_version', { run_id: 'r5', source: 'model', tags: ['no'] }),
      e('delete_alias', { alias: 'staging', ts: 107 }),
      e('delete_version', { version: 2, ts: 108 }),
      e('delete_alias', { alias: 'staging' }),
      e('update_version', { version: 3, description: 'third', ts: 109 }),
      e('create_model', { model: 'gone', ts: 110 }),
      e('create_version', { model: 'gone', run_id: 'r6', source: 'model', ts: 111 }),
      e('delete_model', { model: 'gone', ts: 112 }),
      e('create_version', { model: 'gone', run_id: 'r7', source: 'net', version: 1, ts: 113 }),
      e('create_version', { model: 'ünï "quoted"', run_id: 'r8', source: 'model', ts: 114 }),
    ];
    await mkdir(join(store, 'registry'), { recursive: true });
    const journal = join(store, 'registry', 'events.jsonl');
    // The last line is still being written: neither side reads it.
    await writeFile(journal, `${lines.join('\n')}\n${e('create_version', { run_id: 'r9', source: 'model' })}`);
    const python = pythonDerives(journal);
    const ours = await storeDerives();
    assert.deepEqual(python.models, ours.models);
    assert.deepEqual(
      ours.models.find((m) => m.name === 'prices')?.versions.map((v) => [v.version, v.aliases]),
      [
        [3, []],
        [1, []],
      ],
    );
    const metricLine = lines.findIndex((line) => line.includes('"metric"')) + 1;
    assert.deepEqual(
      python.rejected.map(([line]) => line).filter((line) => line !== metricLine),
      ours.rejectedLines.filter((line) => line !== 0).sort((a, b) => a - b),
      'the same lines are refused (the store reports stray metric points without a line)',
    );
  });

  it('derive the same from the actions of journal format 3: renames, tags, stages, logged models', async () => {
    const e = (action: string, fields: object = {}): string =>
      JSON.stringify({ t: 'registry', ts: 200, action, model: 'prices', ...fields });
    const lines = [
      e('create_model', { ts: 201 }),
      e('set_model_tag', { key: 'team', value: 'pricing', ts: 202 }),
      e('create_version', { run_id: 'r1', source: 'model', tags: { data: 'v1' }, ts: 203 }),
      e('create_version', { model_id: 'm-0123456789abcdef0123456789abcdef', ts: 204 }),
      e('create_version', { model_id: 'm-1', run_id: 'r2', version: 3, ts: 205 }),
      e('create_version', { run_id: 'r3' }),
      e('set_version_tag', { version: 2, key: 'validated', value: 'yes', ts: 206 }),
      e('set_version_tag', { version: 9, key: 'k', value: 'v' }),
      e('set_version_tag', { version: 2, key: '', value: 'v' }),
      e('set_version_tag', { version: 2, key: 'k' }),
      e('delete_version_tag', { version: 1, key: 'data', ts: 207 }),
      e('delete_version_tag', { version: 1, key: 'never-set', ts: 208 }),
      e('transition_stage', { version: 1, stage: 'Production', ts: 209 }),
      e('transition_stage', { version: 2, stage: 'Production', archive_existing: true, ts: 210 }),
      e('transition_stage', { version: 3, stage: 'Staging', archive_existing: false, ts: 211 }),
      e('transition_stage', { version: 3, stage: 'production' }),
      e('transition_stage', { version: 3, stage: 'Archived', archive_existing: 'yes' }),
      e('update_version', { version: 3, description: 'third', ts: 212 }),
      e('set_alias', { alias: 'champion', version: 2, ts: 213 }),
      e('delete_model_tag', { key: 'never-set', ts: 214 }),
      e('set_model_tag', { model: 'ghost', key: 'k', value: 'v' }),
      e('create_model', { model: 'taken', ts: 215 }),
      e('rename_model', { new_name: 'taken' }),
      e('rename_model', { new_name: 'prices' }),
      e('rename_model', { new_name: '' }),
      e('rename_model', { model: 'ghost', new_name: 'ghost2' }),
      e('rename_model', { new_name: 'house-prices', ts: 216 }),
      e('create_version', { run_id: 'r4', source: 'model', version: 1, ts: 217 }),
      e('create_version', { model: 'house-prices', run_id: 'r5', source: 'model', version: 4, ts: 218 }),
      e('delete_model_tag', { model: 'house-prices', key: 'team', ts: 219 }),
      e('set_alias', { model: 'house-prices', alias: 'champion', version: 4, ts: 220 }),
      e('delete_version', { model: 'house-prices', version: 2, ts: 221 }),
      e('set_version_tag', { model: 'house-prices', version: 2, key: 'k', value: 'v' }),
    ];
    await mkdir(join(store, 'registry'), { recursive: true });
    const journal = join(store, 'registry', 'events.jsonl');
    await writeFile(journal, `${lines.join('\n')}\n`);
    const python = pythonDerives(journal);
    const ours = await storeDerives();
    assert.deepEqual(python.models, ours.models);
    const house = ours.models.find((m) => m.name === 'house-prices');
    assert.deepEqual(
      house?.versions.map((v) => [v.version, v.stage, v.tags, v.modelId, v.aliases]),
      [
        [4, 'None', {}, null, ['champion']],
        [3, 'Staging', {}, 'm-1', []],
        [1, 'Archived', {}, null, []],
      ],
    );
    assert.deepEqual(house?.tags, {});
    assert.deepEqual(
      ours.models.find((m) => m.name === 'prices')?.versions.map((v) => v.version),
      [1],
      'the old name is free again: a new model, numbered from 1',
    );
    assert.deepEqual(
      python.rejected.map(([line]) => line),
      ours.rejectedLines.sort((a, b) => a - b),
    );
    assert.deepEqual(ours.rejectedLines, [6, 8, 9, 10, 16, 17, 21, 23, 24, 25, 26, 33]);
  });

  it('agree on a journal written by several Python processes registering at once', async () => {
    await writeFile(join(dir, 'weights.bin'), 'weights');
    const logModel = 'import runlog, sys\nwith runlog.start_run():\n    print(runlog.log_model(sys.argv[1]).uri)';
    const logged = await python(['-c', logModel, join(dir, 'weights.bin')], { RUNLOG_DIR: store });
    const uri = logged.trim();
    const register = [
      'import runlog, sys',
      'for _ in range(8):',
      '    v = runlog.register_model(sys.argv[1], sys.argv[2])',
      '    runlog.set_alias(sys.argv[2], "champion", v.version)',
      '    print(v.version, flush=True)',
    ].join('\n');
    const outputs = await Promise.all(
      ['prices', 'prices', 'prices', 'prices', 'other'].map((name) =>
        python(['-c', register, uri, name], { RUNLOG_DIR: store }),
      ),
    );
    const numbers = outputs.slice(0, 4).flatMap((out) => out.trim().split('\n').map(Number));
    assert.deepEqual(
      numbers.sort((a, b) => a - b),
      Array.from({ length: 32 }, (_, i) => i + 1),
      'each process got its own version numbers',
    );
    const ours = await storeDerives();
    assert.deepEqual(ours.rejectedLines, [], 'the store refused no line');
    assert.deepEqual(
      ours.models.map((m) => [m.name, m.versions.length]),
      [
        ['other', 8],
        ['prices', 32],
      ],
    );
    const journal = join(store, 'registry', 'events.jsonl');
    assert.deepEqual(pythonDerives(journal).models, ours.models);
    const last = (await readFile(journal, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { action: string; model: string; version: number })
      .filter((event) => event.action === 'set_alias' && event.model === 'prices')
      .pop();
    assert.deepEqual(ours.models[1]?.versions.find((v) => v.aliases.includes('champion'))?.version, last?.version);
  });

  it('a registration appended after a torn line is still read', async () => {
    await mkdir(join(store, 'runs', 'r1', 'artifacts', 'model'), { recursive: true });
    await mkdir(join(store, 'registry'), { recursive: true });
    await appendFile(join(store, 'registry', 'events.jsonl'), '{"t":"registry","ts":1,"action":"crea');
    const out = await python(['-c', 'import runlog\nprint(runlog.register_model("runs:/r1/model", "m").version)'], {
      RUNLOG_DIR: store,
    });
    assert.equal(out.trim(), '1');
    const ours = await storeDerives();
    assert.deepEqual(
      ours.models.map((m) => [m.name, m.versions.map((v) => v.version)]),
      [['m', [1]]],
    );
    assert.deepEqual(ours.rejectedLines, [1], 'the fragment is refused as a line of its own');
  });
});
