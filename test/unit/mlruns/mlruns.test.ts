import * as assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { listTree } from '../../../src/mlruns/mlrunsFiles';
import { exportMlruns } from '../../../src/mlruns/mlrunsExport';
import { importMlruns } from '../../../src/mlruns/mlrunsImport';
import { parseEventLine } from '../../../src/store/eventParse';
import { parseMetricBatch } from '../../../src/store/metricBatchLine';
import type { RunEvent } from '../../../src/store/events';
import { RunStore } from '../../../src/store/runStore';

/** The fixture, written as MLflow's file store writes it (from the repository, not from out/). */
const FIXTURE = join(__dirname, '..', '..', '..', '..', 'test', 'unit', 'fixtures', 'mlruns');
const FIXTURE_ROOT_URI = 'file:///home/alice/proj/mlruns';
const OWL = '3f2a9c1d4b5e6f708192a3b4c5d6e7f8';
const FOX = 'a0b1c2d3e4f5061728394a5b6c7d8e9f';
const YAK = 'deadbeefdeadbeefdeadbeefdeadbeef';

async function events(storeDir: string, runId: string): Promise<RunEvent[]> {
  const text = await readFile(join(storeDir, 'runs', runId, 'events.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .flatMap((l): RunEvent[] => {
      const parsed = parseEventLine(l);
      if (!parsed.ok && parsed.batched) {
        // A batched line (journal format 4) reads as the metric events of its points.
        const batch = parseMetricBatch(parsed.batched);
        assert.ok(batch.ok, l);
        const { key, steps, times, values } = batch.points;
        return [...values].map((value, i) => ({ t: 'metric', ts: times[i] ?? 0, key, value, step: steps[i] ?? 0 }));
      }
      assert.ok(parsed.ok, l);
      return [parsed.event];
    });
}

describe('MLflow import and export', () => {
  let tmp: string;
  let store: string;
  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'runlog-mlruns-'));
    store = join(tmp, '.runlog');
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('imports every run with its params, metrics, tags, git state, artifacts and trash', async () => {
    const summary = await importMlruns(FIXTURE, store);
    assert.deepEqual(summary, {
      imported: 5,
      experiments: 3,
      skipped: 0,
      unreadable: [],
      warnings: [],
      cancelled: false,
    });
    const owl = await events(store, OWL);
    assert.deepEqual(owl[0], {
      t: 'run_start',
      ts: 1732600000000,
      run_id: OWL,
      name: 'bright-owl',
      experiment: 'Default',
      user: 'alice',
      source: '/home/alice/proj/train.py',
    });
    assert.deepEqual(
      owl.find((e) => e.t === 'git'),
      {
        t: 'git',
        ts: 1732600000000,
        commit: '4e1c0d2a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e',
        branch: 'main',
        dirty: false,
        patch: '',
        untracked: [],
      },
    );
    const tagKeys = owl.filter((e) => e.t === 'tag').map((e) => (e.t === 'tag' ? e.key : ''));
    assert.ok(!tagKeys.includes('mlflow.runName') && !tagKeys.includes('mlflow.source.git.commit'));
    assert.ok(tagKeys.includes('mlflow.source.git.branch') && tagKeys.includes('note'));
    const rmse = owl
      .filter((e) => e.t === 'metric' && e.key === 'val/rmse')
      .map((e) => (e.t === 'metric' ? e.value : 0));
    assert.deepEqual(rmse, [Number.NaN, Infinity, 1e-5, -Infinity]);
    const artifacts = owl.filter((e) => e.t === 'artifact');
    assert.deepEqual(
      artifacts.map((e) => (e.t === 'artifact' ? [e.path, e.size] : [])),
      [
        ['model/MLmodel', 23],
        ['plots/loss.txt', 13],
      ],
    );
    assert.equal(await readFile(join(store, 'runs', OWL, 'artifacts', 'plots', 'loss.txt'), 'utf8'), '0.9 0.5 0.25\n');
    assert.deepEqual(owl.at(-1), { t: 'run_end', ts: 1732600060000, status: 'FINISHED' });
    assert.deepEqual((await events(store, FOX)).at(-1), { t: 'lifecycle', ts: 1732600230000, action: 'delete' });
    assert.equal((await events(store, YAK)).at(-1)?.t, 'lifecycle', 'a run of a deleted experiment is in the trash');
    assert.deepEqual((await readdir(join(store))).sort(), ['.gitignore', 'runs'], 'no staging left behind');
  });

  it('yields runs the store reads: names, experiments, status, params, every point, the trash', async () => {
    await importMlruns(FIXTURE, store);
    const db = await RunStore.open({ dir: store, writer: false, version: 'test' });
    try {
      await db.syncJournals();
      const owl = db.query('getRun', OWL);
      assert.equal(owl?.name, 'bright-owl');
      assert.equal(owl?.experiment, 'Default');
      assert.equal(owl?.status, 'FINISHED');
      assert.equal(owl?.git?.commit, '4e1c0d2a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e');
      assert.deepEqual(owl?.params, { epochs: '3', lr: '0.01', 'optimizer/name': 'adam' });
      assert.equal(db.query('series', OWL, 'loss').values.length, 3);
      assert.deepEqual(
        db
          .query('listRuns')
          .runs.map((r) => [r.name, r.experiment, r.status])
          .sort(),
        [
          ['bright-owl', 'Default', 'FINISHED'],
          ['calm-heron', 'house-prices', 'RUNNING'],
          ['swift-otter', 'house-prices', 'KILLED'],
        ],
      );
      assert.deepEqual(
        db
          .query('listRuns', { deleted: 'deleted' })
          .runs.map((r) => r.name)
          .sort(),
        ['lucky-yak', 'quick-fox'],
      );
    } finally {
      db.close();
    }
  });

  it('does not duplicate runs when the same folder is imported again', async () => {
    await importMlruns(FIXTURE, store);
    const before = await readFile(join(store, 'runs', OWL, 'events.jsonl'), 'utf8');
    const again = await importMlruns(FIXTURE, store);
    assert.equal(again.imported, 0);
    assert.equal(again.skipped, 5);
    assert.equal(await readFile(join(store, 'runs', OWL, 'events.jsonl'), 'utf8'), before);
  });

  it('round-trips the fixture: import, export, the same files', async () => {
    await importMlruns(FIXTURE, store);
    const target = join(tmp, 'exported', 'mlruns');
    const runIds = (await readdir(join(store, 'runs'))).sort();
    const summary = await exportMlruns(store, runIds, target);
    assert.deepEqual(summary, { exported: 5, experiments: 3, skipped: 0, failed: [], warnings: [], cancelled: false });
    const expected = (await listTree(FIXTURE)).files.filter((f) => !f.path.startsWith('models/'));
    const written = (await listTree(target)).files;
    assert.deepEqual(
      written.map((f) => f.path),
      expected.map((f) => f.path),
    );
    const targetUri = pathToFileURL(target).href;
    for (const file of expected) {
      const want = (await readFile(file.absolute, 'utf8')).split(FIXTURE_ROOT_URI).join(targetUri);
      assert.equal(await readFile(join(target, file.path), 'utf8'), want, file.path);
    }
    const again = await exportMlruns(store, runIds, target);
    assert.equal(again.skipped, 5, 'exporting again writes nothing twice');
    assert.equal(again.exported, 0);
  });

  it('exports the same files from compacted journals', async () => {
    await importMlruns(FIXTURE, store);
    const runIds = (await readdir(join(store, 'runs'))).sort();
    const before = join(tmp, 'before', 'mlruns');
    await exportMlruns(store, runIds, before);
    // The store's writer compacts the finished runs (tiny journals: compacted all the same).
    const writer = await RunStore.open({ dir: store, writer: true, version: 'test' });
    const skip = new Set<string>();
    let compacted = 0;
    for (let turn = writer.compactNext({ quietMs: 0, keepAtMost: Infinity, skip }); turn;) {
      if (turn.outcome.compacted) compacted++;
      turn = writer.compactNext({ quietMs: 0, keepAtMost: Infinity, skip });
    }
    writer.close();
    assert.ok(compacted >= 3, `${compacted} runs compacted`);
    const after = join(tmp, 'after', 'mlruns');
    await exportMlruns(store, runIds, after);
    const files = (await listTree(before)).files;
    assert.deepEqual(
      (await listTree(after)).files.map((f) => f.path),
      files.map((f) => f.path),
    );
    const [beforeUri, afterUri] = [pathToFileURL(before).href, pathToFileURL(after).href];
    for (const file of files) {
      const want = (await readFile(file.absolute, 'utf8')).split(beforeUri).join(afterUri);
      assert.equal(await readFile(join(after, file.path), 'utf8'), want, file.path);
    }
  });

  it('exports a Runlog run: mlflow tags from its name, git and user; Default is experiment 0', async () => {
    const runDir = join(store, 'runs', 'run1');
    await mkdir(join(runDir, 'artifacts'), { recursive: true });
    await writeFile(join(runDir, 'artifacts', 'model.pkl'), 'weights');
    const lines: object[] = [
      {
        t: 'run_start',
        ts: 1000,
        run_id: 'run1',
        name: 'first',
        experiment: 'vision',
        user: 'carol',
        source: 'train.py',
      },
      { t: 'git', ts: 1001, commit: 'abc123', branch: 'dev', dirty: true, patch: 'diff', untracked: [] },
      { t: 'param', ts: 1002, key: 'lr', value: '0.1' },
      { t: 'param', ts: 1002, key: 'lr', value: '0.2' },
      { t: 'metric', ts: 1003, key: 'loss', value: 'NaN', step: 0 },
      { t: 'metric', ts: 1004, key: 'loss', value: 0.5, step: 1 },
      { t: 'metric', ts: 1005, key: '../escape', value: 1, step: 0 },
      { t: 'tag', ts: 1006, key: 'runlog.name', value: 'renamed' },
      { t: 'tag', ts: 1006, key: 'team', value: 'cv' },
      { t: 'tag', ts: 1006, key: 'gone', value: 'x' },
      { t: 'lifecycle', ts: 1007, action: 'remove_tag', key: 'gone' },
      { t: 'status', ts: 1008, status: 'INTERRUPTED' },
    ];
    await writeFile(join(runDir, 'events.jsonl'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const target = join(tmp, 'out');
    const summary = await exportMlruns(store, ['run1', 'bad.id'], target, undefined, 5000);
    assert.equal(summary.exported, 1);
    assert.match(summary.failed[0] ?? '', /bad\.id/);
    assert.match(summary.warnings[0] ?? '', /"\.\.\/escape"/);
    const experiments = (await readdir(target)).filter((n) => n !== '.trash' && n !== '0');
    assert.equal(experiments.length, 1);
    const exp = join(target, experiments[0] ?? '');
    assert.match(await readFile(join(exp, 'meta.yaml'), 'utf8'), /^name: vision$/m);
    assert.match(await readFile(join(target, '0', 'meta.yaml'), 'utf8'), /^name: Default$/m);
    const run = join(exp, 'run1');
    const meta = await readFile(join(run, 'meta.yaml'), 'utf8');
    assert.match(meta, /^status: 4$/m, 'interrupted is FAILED');
    assert.match(meta, /^run_name: renamed$/m);
    assert.match(meta, /^user_id: carol$/m);
    assert.match(meta, /^end_time: null$/m);
    assert.equal(await readFile(join(run, 'metrics', 'loss'), 'utf8'), '1003 nan 0\n1004 0.5 1\n');
    assert.equal(await readFile(join(run, 'params', 'lr'), 'utf8'), '0.1');
    const tags = Object.fromEntries(
      await Promise.all(
        (await listTree(join(run, 'tags'))).files.map(async (f): Promise<[string, string]> => [
          f.path,
          await readFile(f.absolute, 'utf8'),
        ]),
      ),
    );
    assert.deepEqual(tags, {
      'mlflow.runName': 'renamed',
      'mlflow.source.git.commit': 'abc123',
      'mlflow.source.git.branch': 'dev',
      'mlflow.user': 'carol',
      'mlflow.source.name': 'train.py',
      'mlflow.source.type': 'LOCAL',
      team: 'cv',
    });
    assert.equal(await readFile(join(run, 'artifacts', 'model.pkl'), 'utf8'), 'weights');
    assert.deepEqual(
      (await listTree(join(target, '..'))).files.filter((f) => f.path.includes('escape')),
      [],
    );
  });

  describe('bad input', () => {
    let source: string;
    beforeEach(async () => {
      source = join(tmp, 'mlruns');
      await cp(FIXTURE, source, { recursive: true });
    });

    it('skips a run with a malformed meta.yaml, imports the rest, and says why', async () => {
      await writeFile(join(source, '0', OWL, 'meta.yaml'), 'status: [unclosed\n');
      const summary = await importMlruns(source, store);
      assert.equal(summary.imported, 4);
      assert.equal(summary.unreadable.length, 1);
      assert.match(summary.unreadable[0] ?? '', new RegExp(`run ${OWL}: meta.yaml: not YAML`));
      assert.deepEqual((await readdir(join(store, 'runs'))).includes(OWL), false);
    });

    it('skips an experiment whose meta.yaml cannot be read, and a run folder without one', async () => {
      await rm(join(source, '0', 'meta.yaml'));
      await mkdir(join(source, '0', 'meta.yaml'));
      await mkdir(join(source, '746312902186592817', 'not-a-run'));
      const summary = await importMlruns(source, store);
      assert.equal(summary.imported, 4);
      assert.match(summary.unreadable.join('\n'), /experiment .*0: meta.yaml cannot be read \(EISDIR\)/);
      assert.match(summary.unreadable.join('\n'), /run not-a-run: no meta.yaml/);
    });

    it('leaves out metric lines that are not "timestamp value step", keeping the others', async () => {
      const file = join(source, '0', OWL, 'metrics', 'loss');
      await writeFile(file, '1 0.9 0\nnot a metric line at all\n3 oops 2\n4 0.25 3\n');
      const summary = await importMlruns(source, store);
      assert.equal(summary.imported, 5);
      assert.deepEqual(summary.warnings, [
        `run ${OWL}: metrics/loss line 2 left out: 6 fields where "timestamp value step" has 3`,
        `run ${OWL}: metrics/loss line 3 left out: value "oops" is not a number`,
      ]);
      const loss = (await events(store, OWL)).filter((e) => e.t === 'metric' && e.key === 'loss');
      assert.deepEqual(
        loss.map((e) => (e.t === 'metric' ? [e.ts, e.value, e.step] : [])),
        [
          [1, 0.9, 0],
          [4, 0.25, 3],
        ],
      );
    });

    it('does not follow symlinks out of a run folder', async () => {
      await writeFile(join(tmp, 'secret'), 'private');
      await symlink(join(tmp, 'secret'), join(source, '0', OWL, 'artifacts', 'leak'));
      await symlink(join(tmp, 'secret'), join(source, '0', OWL, 'params', 'leak'));
      const summary = await importMlruns(source, store);
      assert.equal(summary.imported, 5);
      assert.equal(summary.warnings.length, 2);
      const owl = await events(store, OWL);
      assert.ok(!owl.some((e) => (e.t === 'param' || e.t === 'artifact') && JSON.stringify(e).includes('leak')));
      assert.ok(!(await listTree(join(store, 'runs', OWL, 'artifacts'))).files.some((f) => f.path === 'leak'));
    });

    it("fills in a nested run's parent and an MLproject run's entry point, keeping their tags", async () => {
      const tags = join(source, '0', OWL, 'tags');
      await writeFile(join(tags, 'mlflow.parentRunId'), FOX);
      await writeFile(join(tags, 'mlflow.project.entryPoint'), 'train');
      await importMlruns(source, store);
      const owl = await events(store, OWL);
      assert.equal(owl[0]?.t === 'run_start' ? owl[0].parent_run_id : undefined, FOX);
      assert.equal(owl[0]?.t === 'run_start' ? owl[0].entry_point : undefined, 'train');
      assert.ok(owl.some((e) => e.t === 'tag' && e.key === 'mlflow.parentRunId' && e.value === FOX));
    });

    it('refuses a folder that is not an MLflow store', async () => {
      await assert.rejects(importMlruns(join(tmp, 'nothing'), store), /does not look like an MLflow store/);
    });

    it('finds mlruns/ inside the picked project folder, and stops when cancelled', async () => {
      let checks = 0;
      const summary = await importMlruns(tmp, store, {
        report: () => undefined,
        isCancelled: () => ++checks > 2,
      });
      assert.equal(summary.cancelled, true);
      assert.equal(summary.imported, 2, 'the runs before the cancel are kept');
    });
  });
});
