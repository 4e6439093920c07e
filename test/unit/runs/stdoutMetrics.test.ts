import * as assert from 'node:assert/strict';
import { StdoutMetricParser, usesTrackingClient } from '../../../src/runs/stdoutMetrics';

describe('metrics from printed lines', () => {
  const parser = new StdoutMetricParser();

  it('reads key=value and key: value pairs with the step they name', () => {
    assert.deepEqual(parser.parse('epoch 3 loss=0.25 acc=0.91'), [
      { key: 'loss', value: 0.25, step: 3 },
      { key: 'acc', value: 0.91, step: 3 },
    ]);
    assert.deepEqual(parser.parse('step: 100, loss: 0.3'), [{ key: 'loss', value: 0.3, step: 100 }]);
    assert.deepEqual(parser.parse('[train] val/loss=1e-3 lr=0.001'), [
      { key: 'val/loss', value: 0.001, step: undefined },
      { key: 'lr', value: 0.001, step: undefined },
    ]);
    assert.ok(Number.isNaN(parser.parse('loss=nan')[0]?.value));
  });

  it('ignores text that only looks like numbers', () => {
    assert.deepEqual(parser.parse('Downloading model v1.2.3 from https://x.invalid:8080/a'), []);
    assert.deepEqual(parser.parse('2026-11-26 06:45:12 starting'), []);
    assert.deepEqual(parser.parse('x'.repeat(5000) + ' loss=1'), []);
  });

  it('adds user patterns and reports bad ones', () => {
    const bad: string[] = [];
    const custom = new StdoutMetricParser(
      ['Iter (?<step>\\d+): (?<key>\\w+) is (?<value>[\\d.]+)', '(', 'no groups'],
      (p) => bad.push(p),
    );
    assert.deepEqual(custom.parse('Iter 7: reward is 12.5'), [{ key: 'reward', value: 12.5, step: 7 }]);
    assert.deepEqual(bad, ['(', 'no groups']);
  });

  it('knows a script that logs through a client', () => {
    assert.ok(usesTrackingClient('import runlog\n'));
    assert.ok(usesTrackingClient('from mlflow import log_metric\n'));
    assert.ok(!usesTrackingClient('print("loss=1")  # import runlog later\n'));
  });
});
