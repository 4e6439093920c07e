import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../../src/store/runStore';

const REPO = join(__dirname, '../../../..');

// The contract between the Python client and the store: what one writes, the other ingests whole.
describe('the Python client and the store', function () {
  this.timeout(20_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runlog-contract-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('agree on every event the client writes', async () => {
    const script = join(dir, 'train.py');
    await writeFile(join(dir, 'data.csv'), 'x,y\n1,2\n');
    await writeFile(join(dir, 'model.bin'), 'weights');
    await writeFile(
      script,
      [
        'import math, platform, sys, runlog',
        'print(platform.python_version(), sys.executable)',
        'with runlog.start_run(name="contract", experiment="prices", params={"lr": 0.01, "layers": [64, 32]}, tags={"team": "ml"}, log_system_metrics=True):',
        '    for step in range(300):',
        '        runlog.log_metrics({"loss": 1 / (step + 1), "weird/key ü": step * 0.5})',
        '    runlog.log_metric("nan", float("nan"))',
        '    runlog.log_metric("inf", float("-inf"))',
        '    runlog.log_input("data.csv")',
        '    runlog.log_artifact("model.bin")',
        '    runlog.set_tag("note", "done")',
        '    runlog.log_model("model.bin", flavor="custom")',
      ].join('\n') + '\n',
    );
    const result = spawnSync('python3', [script], {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        PYTHONPATH: join(REPO, 'python'),
        RUNLOG_DIR: join(dir, '.runlog'),
        RUNLOG_RUN_ID: '',
        RUNLOG_SYSTEM_METRICS_INTERVAL: '0.05',
      },
    });
    assert.equal(result.status, 0, result.stderr);
    const store = await RunStore.open({ dir: join(dir, '.runlog'), writer: false, version: 'test' });
    try {
      const [run] = store.query('listRuns').runs;
      assert.ok(run);
      const details = store.query('getRun', run.id);
      assert.ok(details);
      assert.deepEqual(details.rejected, [], 'no line was refused');
      assert.equal(details.name, 'contract');
      assert.equal(details.experiment, 'prices');
      assert.equal(details.status, 'FINISHED');
      assert.deepEqual(details.params, { layers: '[64, 32]', lr: '0.01' });
      assert.equal(details.tags['team'], 'ml');
      assert.equal(details.tags['note'], 'done');
      const metrics = Object.fromEntries(details.metrics.map((m) => [m.key, m]));
      assert.equal(metrics['loss']?.count, 300);
      assert.equal(metrics['loss']?.lastStep, 299);
      assert.equal(metrics['weird/key ü']?.last, 149.5);
      assert.ok(Number.isNaN(metrics['nan']?.last));
      assert.equal(metrics['inf']?.last, Number.NEGATIVE_INFINITY);
      assert.equal(details.inputs[0]?.name, 'data.csv');
      assert.ok(details.artifacts.some((a) => a.path === 'model.bin' && a.size === 7));
      assert.deepEqual(
        details.models.map((m) => [m.name, m.flavor, m.files.map((f) => f.path).sort()]),
        [['model', 'custom', ['model/MLmodel', 'model/model.bin', 'model/python_env.yaml', 'model/requirements.txt']]],
      );
      const [version, executable] = result.stdout.trim().split(' ');
      assert.equal(details.environment?.runId, run.id);
      assert.equal(details.environment?.pythonVersion, version);
      assert.equal(details.environment?.executable, executable);
      assert.ok(Object.keys(details.environment?.packages ?? {}).length > 0, 'the installed distributions');
      const system = metrics['system/disk_usage_megabytes'];
      assert.ok(system && system.count >= 1 && system.lastStep === system.count - 1, 'system metrics at steps 0, 1, …');
    } finally {
      store.close();
    }
  });

  it("agree on what autolog writes: scikit-learn's runs, children, inputs and models", async () => {
    // Debian's python3-sklearn installs for /usr/bin/python3 (test/runner/prerequisites.mjs, 'ml').
    const python = process.env['RUNLOG_TEST_LIBS_PYTHON'] || '/usr/bin/python3';
    const script = join(dir, 'train.py');
    await writeFile(
      script,
      [
        'import runlog',
        'runlog.autolog(log_input_examples=True)',
        'import numpy as np, pandas as pd',
        'from sklearn.linear_model import LogisticRegression',
        'from sklearn.model_selection import GridSearchCV',
        'from sklearn.metrics import accuracy_score',
        'X = pd.DataFrame(np.random.default_rng(0).normal(size=(60, 2)), columns=["a", "b"])',
        'y = (X["a"] > 0).astype(int)',
        'search = GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=2).fit(X, y)',
        'accuracy_score(y, search.predict(X))',
      ].join('\n') + '\n',
    );
    const result = spawnSync(python, [script], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: join(REPO, 'python'), RUNLOG_DIR: join(dir, '.runlog'), RUNLOG_RUN_ID: '' },
    });
    assert.equal(result.status, 0, `${python}: ${result.stderr || String(result.error)}`);
    const store = await RunStore.open({ dir: join(dir, '.runlog'), writer: false, version: 'test' });
    try {
      const runs = store.query('listRuns').runs;
      assert.equal(runs.length, 3, 'the search and its two candidates');
      const parent = runs.find((r) => r.parentRunId === null);
      assert.ok(parent);
      assert.deepEqual(
        runs.filter((r) => r.parentRunId === parent.id).map((r) => r.status),
        ['FINISHED', 'FINISHED'],
      );
      for (const run of runs) assert.deepEqual(store.query('getRun', run.id)?.rejected, [], run.name);
      const details = store.query('getRun', parent.id);
      assert.ok(details);
      assert.deepEqual(
        details.inputs.map((i) => [i.name, i.shape, i.columns]),
        [['X', [60, 2], ['a', 'b']]],
      );
      assert.deepEqual(details.models.map((m) => [m.name, m.flavor]).sort(), [
        ['best_estimator', 'sklearn'],
        ['model', 'sklearn'],
      ]);
      assert.ok(details.params['best_C']);
      const keys = details.metrics.map((m) => m.key);
      for (const key of ['training_accuracy_score', 'best_cv_score', 'accuracy_score_X'])
        assert.ok(keys.includes(key), key);
      const child = runs.find((r) => r.parentRunId === parent.id);
      assert.equal(
        store.query('getRun', child?.id ?? '')?.environment?.runId,
        parent.id,
        "a child shows its parent's environment",
      );
    } finally {
      store.close();
    }
  });
});
