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
        'with runlog.start_run(name="contract", experiment="prices", params={"lr": 0.01, "layers": [64, 32]}, tags={"team": "ml"}):',
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
      env: { ...process.env, PYTHONPATH: join(REPO, 'python'), RUNLOG_DIR: join(dir, '.runlog'), RUNLOG_RUN_ID: '' },
    });
    assert.equal(result.status, 0, result.stderr);
    const store = await RunStore.open({ dir: join(dir, '.runlog'), writer: false, version: 'test' });
    try {
      const [run] = store.listRuns().runs;
      assert.ok(run);
      const details = store.getRun(run.id);
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
    } finally {
      store.close();
    }
  });
});
