import * as assert from 'node:assert/strict';
import { parseSweep } from '../../../src/params/sweep';
import { literalValue, rerunPlan } from '../../../src/runs/rerun';

describe('rerun', () => {
  it('reruns a script with its params, read back literally by the sweep syntax', () => {
    const plan = rerunPlan({
      name: 'bright-owl',
      source: '/w/train.py',
      entryPoint: 'train.py',
      params: { lr: '0.1', layers: '1,2', range: '1..5', quoted: '"x"', spaced: ' a ' },
    });
    assert.equal(plan.kind, 'script');
    assert.ok(plan.kind === 'script');
    assert.equal(plan.script, '/w/train.py');
    assert.equal(plan.values['lr'], '0.1');
    const float = { type: 'float' } as Parameters<typeof parseSweep>[0];
    for (const [key, original] of Object.entries({ layers: '1,2', range: '1..5', quoted: '"x"', spaced: ' a ' })) {
      assert.deepEqual(parseSweep(float, plan.values[key] ?? ''), { values: [original] }, key);
    }
  });

  it('leaves plain values as they are', () => {
    assert.equal(literalValue('0.01'), '0.01');
    assert.equal(literalValue('adam'), 'adam');
    assert.equal(literalValue('a\\b,c'), '"a\\\\b,c"');
  });

  it('reruns an MLproject entry point by its name', () => {
    assert.deepEqual(
      rerunPlan({ name: 'n', source: '/w/proj/MLproject', entryPoint: 'proj/MLproject › main', params: { a: '1' } }),
      { kind: 'entryPoint', mlproject: '/w/proj/MLproject', name: 'main', values: { a: '1' } },
    );
  });

  it('says why a run cannot be rerun', () => {
    const none = rerunPlan({ name: 'calm-fox', source: null, entryPoint: null, params: {} });
    assert.equal(none.kind, 'none');
    assert.match(none.kind === 'none' ? none.reason : '', /calm-fox recorded no script/);
    assert.equal(rerunPlan({ name: 'n', source: '/w/run.sh', entryPoint: null, params: {} }).kind, 'none');
  });
});
