import * as assert from 'node:assert/strict';
import { isCompareSnapshot } from '../../../shared/compareProtocol';
import { compareSnapshot, readGoals, runCodeText, toCompareRun } from '../../../src/runs/compareSnapshot';
import type { RunDetails } from '../../../src/store/types';
import { runDetails } from '../../support/runFixtures';

function details(id: string, extra: Partial<RunDetails> = {}): RunDetails {
  return runDetails({
    id,
    name: `run ${id}`,
    params: { lr: '0.1' },
    metrics: [{ key: 'loss', count: 2, last: Number.NaN, lastStep: 1, lastTime: 2, min: 0.5, max: Number.NaN }],
    ...extra,
  });
}

describe('compare snapshot', () => {
  it('turns NaN into null, so the snapshot survives JSON', () => {
    const run = toCompareRun(details('a'), 0);
    assert.deepEqual(run.metrics, [{ key: 'loss', last: null, min: 0.5, max: null, count: 2 }]);
    assert.equal(run.durationMs, 60_000);
    const snapshot = compareSnapshot(['a'], new Map([['a', details('a')]]), {}, 0);
    assert.ok(isCompareSnapshot(JSON.parse(JSON.stringify(snapshot))));
  });

  it("carries the run's note (the tag mlflow.note.content), and none for a run without one", () => {
    const noted = toCompareRun(details('a', { tags: { 'mlflow.note.content': '**best** run', team: 'x' } }), 0);
    assert.equal(noted.note, '**best** run');
    assert.equal('note' in toCompareRun(details('b'), 0), false);
  });

  it('times a running run until now and an unfinished other one not at all', () => {
    assert.equal(toCompareRun(details('a', { status: 'RUNNING', endTime: null }), 31_000).durationMs, 30_000);
    assert.equal(toCompareRun(details('a', { status: 'INTERRUPTED', endTime: null }), 31_000).durationMs, null);
  });

  it('keeps the order asked and lists the runs no store has', () => {
    const found = new Map([
      ['b', details('b')],
      ['a', details('a')],
    ]);
    const snapshot = compareSnapshot(['a', 'gone', 'b'], found, { loss: 'min' }, 0);
    assert.deepEqual(
      snapshot.runs.map((r) => r.id),
      ['a', 'b'],
    );
    assert.deepEqual(snapshot.missing, ['gone']);
    assert.deepEqual(snapshot.goals, { loss: 'min' });
  });

  it('reads only "min" and "max" from the metric goals setting', () => {
    assert.deepEqual(readGoals({ loss: 'min', acc: 'max', f1: 'up', n: 3 }), { loss: 'min', acc: 'max' });
    assert.deepEqual(readGoals(undefined), {});
    assert.deepEqual(readGoals('min'), {});
  });

  it("writes a run's code as its commit, patch and untracked files", () => {
    const text = runCodeText(
      details('a', {
        git: {
          commit: 'abc123',
          branch: 'main',
          remote: null,
          dirty: true,
          patch: 'diff --git a/x.py b/x.py\n+print(1)\n',
          untracked: [{ path: 'new.py', content: 'x = 1\n' }, { path: 'data.csv' }],
        },
      }),
    );
    assert.equal(
      text,
      [
        '# run run a (a)',
        '# commit abc123 on main, with uncommitted changes',
        '',
        'diff --git a/x.py b/x.py',
        '+print(1)',
        '',
        '# untracked file new.py',
        'x = 1',
        '',
        '# untracked file data.csv',
        '# (content not kept)',
        '',
      ].join('\n'),
    );
    assert.match(runCodeText(details('b')), /recorded no git state/);
  });
});
