import * as assert from 'node:assert/strict';
import type { RunEvent } from '../../../src/store/events';
import { summarizeRun } from '../../../src/runs/runSummary';

describe('run summary', () => {
  const start: RunEvent = {
    t: 'run_start',
    ts: 100,
    run_id: 'r1',
    name: 'bright-owl',
    experiment: 'prices',
    command: 'python train.py',
  };

  it('folds a finished run', () => {
    const run = summarizeRun('r1', [
      start,
      { t: 'param', ts: 101, key: 'lr', value: '0.01' },
      { t: 'param', ts: 102, key: 'lr', value: '0.5' },
      { t: 'tag', ts: 103, key: 'note', value: 'a' },
      { t: 'tag', ts: 104, key: 'note', value: 'b' },
      { t: 'metric', ts: 105, key: 'loss', value: 0.9, step: 0 },
      { t: 'metric', ts: 106, key: 'loss', value: Number.NaN, step: 1 },
      { t: 'metric', ts: 107, key: 'loss', value: 0.3, step: 2 },
      { t: 'git', ts: 108, commit: 'abc123', branch: 'main', dirty: true, patch: 'x', untracked: [] },
      { t: 'run_end', ts: 200, status: 'FINISHED' },
    ]);
    assert.equal(run.name, 'bright-owl');
    assert.equal(run.experiment, 'prices');
    assert.equal(run.status, 'FINISHED');
    assert.equal(run.startTime, 100);
    assert.equal(run.endTime, 200);
    assert.equal(run.command, 'python train.py');
    assert.equal(run.params.get('lr'), '0.01', 'params are write-once: the first value stands');
    assert.equal(run.tags.get('note'), 'b', 'tags overwrite');
    assert.deepEqual(run.metrics.get('loss'), { last: 0.3, lastStep: 2, min: 0.3, max: 0.9, count: 3 });
    assert.deepEqual(run.git, { commit: 'abc123', branch: 'main', dirty: true });
  });

  it('keeps the value of the highest step as the last one, whatever the arrival order', () => {
    const run = summarizeRun('r1', [
      start,
      { t: 'metric', ts: 1, key: 'acc', value: 0.8, step: 5 },
      { t: 'metric', ts: 2, key: 'acc', value: 0.1, step: 2 },
    ]);
    assert.equal(run.metrics.get('acc')?.last, 0.8);
    assert.equal(run.status, 'RUNNING');
  });

  it('shows a run whose run_start line was lost, named by its id', () => {
    const run = summarizeRun('orphan', [{ t: 'metric', ts: 50, key: 'loss', value: 1, step: 0 }]);
    assert.equal(run.name, 'orphan');
    assert.equal(run.experiment, 'Default');
    assert.equal(run.startTime, 50);
  });
});
