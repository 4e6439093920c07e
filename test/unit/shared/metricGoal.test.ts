import * as assert from 'node:assert/strict';
import { bestIndex, bestValue, isBetter, metricGoal } from '../../../shared/metricGoal';

describe('metric goals', () => {
  it('reads lower-is-better metrics from their names', () => {
    for (const key of ['loss', 'val_loss', 'train/loss', 'rmse', 'valRMSE', 'error_rate', 'eval.perplexity', 'wer']) {
      assert.equal(metricGoal(key), 'min', key);
    }
  });

  it('treats everything else, and "improvement" words, as higher-is-better', () => {
    for (const key of ['accuracy', 'val_acc', 'f1', 'r2', 'auc', 'error_reduction', 'lossless_score', 'epoch']) {
      assert.equal(metricGoal(key), 'max', key);
    }
  });

  it('matches whole words only', () => {
    assert.equal(metricGoal('glossary_size'), 'max');
    assert.equal(metricGoal('terror'), 'max');
  });

  it('lets an explicit setting win', () => {
    assert.equal(metricGoal('val_loss', { val_loss: 'max' }), 'max');
    assert.equal(metricGoal('reward', { reward: 'min' }), 'min');
    assert.equal(metricGoal('reward', { other: 'min' }), 'max');
  });

  it('picks the best extreme and the best index, NaN never winning', () => {
    assert.equal(bestValue({ min: 1, max: 5 }, 'min'), 1);
    assert.equal(bestValue({ min: 1, max: 5 }, 'max'), 5);
    assert.equal(isBetter(Number.NaN, 1, 'min'), false);
    assert.equal(isBetter(3, Number.NaN, 'min'), true);
    assert.equal(bestIndex([3, Number.NaN, 1, 1], 'min'), 2);
    assert.equal(bestIndex([3, Number.NaN, 7, 7], 'max'), 2);
    assert.equal(bestIndex([Number.NaN, Number.NaN], 'max'), -1);
    assert.equal(bestIndex([], 'max'), -1);
  });
});
