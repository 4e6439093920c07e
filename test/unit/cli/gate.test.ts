import * as assert from 'node:assert/strict';
import { add, compare, multiply, subtract, toDecimal, toNumber } from '../../../src/cli/decimal';
import type { Condition } from '../../../src/cli/gate';
import { evaluateGate } from '../../../src/cli/gate';
import type { MetricSummary } from '../../../src/store/types';

function series(key: string, last: number, min = last, max = last): MetricSummary {
  return { key, count: 3, last, lastStep: 2, lastTime: 0, min, max };
}

function verdict(condition: Condition, candidate: number, baseline?: number): string {
  const result = evaluateGate(
    [condition],
    [series(condition.metric, candidate)],
    baseline === undefined ? undefined : [series(condition.metric, baseline)],
  );
  return result.verdict;
}

describe('exact decimals for the gate', () => {
  it('reads a double as the decimal it prints as, and computes exactly', () => {
    assert.deepEqual(toDecimal(0.3), { coefficient: 3n, exponent: -1 });
    assert.deepEqual(toDecimal(-1.5e-7), { coefficient: -15n, exponent: -8 });
    assert.deepEqual(toDecimal(1e21), { coefficient: 1n, exponent: 21 });
    assert.equal(
      compare(subtract(toDecimal(0.3), toDecimal(0.1)), toDecimal(0.2)),
      0,
      'where 0.3 - 0.1 < 0.2 in floating point',
    );
    assert.equal(toNumber(add(toDecimal(0.1), toDecimal(0.2))), 0.3);
    assert.equal(toNumber(multiply(toDecimal(40000), toDecimal(0.95))), 38000);
    assert.throws(() => toDecimal(Number.NaN));
  });
});

describe('the gate', () => {
  const rmse = (extra: Partial<Condition> = {}): Condition => ({ metric: 'rmse', stat: 'last', ...extra });
  const accuracy = (extra: Partial<Condition> = {}): Condition => ({ metric: 'accuracy', stat: 'last', ...extra });

  it('takes "better" from the metric name as the editor does, or from --goal', () => {
    assert.equal(verdict(rmse(), 0.2, 0.3), 'pass', 'rmse: lower is better');
    assert.equal(verdict(rmse(), 0.4, 0.3), 'fail');
    assert.equal(verdict(accuracy(), 0.9, 0.8), 'pass', 'accuracy: higher is better');
    assert.equal(verdict(accuracy(), 0.7, 0.8), 'fail');
    assert.equal(verdict(rmse({ goal: 'max' }), 0.4, 0.3), 'pass');
    const goals = evaluateGate([{ metric: 'score', stat: 'last' }], [series('score', 1)], [series('score', 2)], {
      score: 'min',
    });
    assert.equal(goals.verdict, 'pass', 'runlog.metricGoals-style overrides');
  });

  it('lets a tie pass without a threshold: no regression', () => {
    const result = evaluateGate([rmse()], [series('rmse', 0.3)], [series('rmse', 0.3)]);
    assert.equal(result.verdict, 'pass');
    assert.equal(result.conditions[0]?.summary, 'equal');
  });

  it("means what MLflow's min_absolute_change means, exactly on the values as written", () => {
    assert.equal(
      verdict(rmse({ minAbsChange: 0.1 }), 0.2, 0.3),
      'pass',
      '0.2 ≤ 0.3 − 0.1, though 0.3 - 0.1 is 0.19999999999999998',
    );
    assert.equal(verdict(rmse({ minAbsChange: 0.1 }), 0.2000001, 0.3), 'fail');
    assert.equal(verdict(accuracy({ minAbsChange: 0.1 }), 0.8, 0.7), 'pass', '0.8 ≥ 0.7 + 0.1');
    assert.equal(verdict(accuracy({ minAbsChange: 0.1 }), 0.79, 0.7), 'fail');
  });

  it("means what MLflow's min_relative_change means, with its fallback for a baseline of 0", () => {
    assert.equal(verdict(rmse({ minRelChange: 0.05 }), 38000, 40000), 'pass', '38000 ≤ 40000 × 0.95');
    assert.equal(verdict(rmse({ minRelChange: 0.05 }), 38001, 40000), 'fail');
    assert.equal(verdict(accuracy({ minRelChange: 0.1 }), 0.88, 0.8), 'pass', '0.88 ≥ 0.8 × 1.1');
    assert.equal(verdict(accuracy({ minRelChange: 0.1 }), 0.87, 0.8), 'fail');
    assert.equal(verdict(accuracy({ minRelChange: 0.1 }), 0.01, 0), 'pass', 'baseline 0: strictly better');
    assert.equal(verdict(accuracy({ minRelChange: 0.1 }), 0, 0), 'fail');
    assert.equal(verdict(rmse({ minRelChange: 0.5, minAbsChange: 1 }), 4, 10), 'pass', 'both must hold');
    assert.equal(verdict(rmse({ minRelChange: 0.5, minAbsChange: 6 }), 4.5, 10), 'fail');
  });

  it('checks absolute bounds without a baseline, inclusive', () => {
    assert.equal(verdict(rmse({ max: 0.5 }), 0.5), 'pass');
    assert.equal(verdict(rmse({ max: 0.5 }), 0.50001), 'fail');
    assert.equal(verdict(accuracy({ min: 0.9 }), 0.9), 'pass');
    assert.equal(verdict(accuracy({ min: 0.9, max: 0.95 }), 0.96), 'fail');
  });

  it('reports a missing metric or baseline as missing, and that wins over a failure', () => {
    const result = evaluateGate([rmse({ max: 1 }), accuracy({ min: 0.99 })], [series('accuracy', 0.5)], undefined);
    assert.deepEqual(
      result.conditions.map((c) => [c.verdict, c.summary]),
      [
        ['missing', 'missing in the candidate'],
        ['fail', 'below 0.99'],
      ],
    );
    assert.equal(result.verdict, 'missing');
    const noBaseline = evaluateGate([rmse()], [series('rmse', 1)], null);
    assert.equal(noBaseline.conditions[0]?.summary, 'no baseline');
    assert.equal(
      evaluateGate([rmse()], [series('rmse', 1)], [series('mae', 1)]).conditions[0]?.summary,
      'missing in the baseline',
    );
  });

  it('fails a NaN candidate, lets anything beat a NaN baseline, and handles infinities', () => {
    assert.equal(verdict(rmse(), Number.NaN, 1), 'fail');
    assert.equal(verdict(rmse({ minAbsChange: 1 }), 5, Number.NaN), 'pass');
    assert.equal(verdict(rmse(), 1e9, Number.POSITIVE_INFINITY), 'pass');
    assert.equal(verdict(rmse({ minRelChange: 0.1 }), Number.POSITIVE_INFINITY, 1), 'fail');
    assert.equal(verdict(accuracy({ max: 1 }), Number.POSITIVE_INFINITY), 'fail');
  });

  it('uses the statistic asked for: best follows the goal', () => {
    const candidate = [series('rmse', 0.5, 0.2, 0.9)];
    const baseline = [series('rmse', 0.4, 0.3, 0.6)];
    assert.equal(evaluateGate([rmse()], candidate, baseline).verdict, 'fail', 'last 0.5 vs 0.4');
    assert.equal(evaluateGate([rmse({ stat: 'best' })], candidate, baseline).verdict, 'pass', 'best (min) 0.2 vs 0.3');
    assert.equal(evaluateGate([rmse({ stat: 'max' })], candidate, baseline).verdict, 'fail', 'max 0.9 vs 0.6');
  });

  it('gives the change in value and percent', () => {
    const [c] = evaluateGate([rmse()], [series('rmse', 38500)], [series('rmse', 40000)]).conditions;
    assert.deepEqual([c?.delta, c?.deltaPercent, c?.summary], [-1500, -3.75, 'better']);
    const [zero] = evaluateGate([rmse()], [series('rmse', 0.3)], [series('rmse', 0)]).conditions;
    assert.deepEqual([zero?.delta, zero?.deltaPercent], [0.3, null]);
  });
});
