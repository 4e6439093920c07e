import * as assert from 'node:assert/strict';
import { axisFor, parallelPlot, position, rampColor, scatterPlot, ticks } from '../../../shared/comparePlot';
import { compareRun, metric, snapshotOf } from './compareFixture';

describe('compare plots', () => {
  it('picks linear, log and category axes from the values', () => {
    assert.deepEqual(axisFor('depth', ['4', '8', null]), { kind: 'linear', label: 'depth', min: 4, max: 8 });
    assert.equal(axisFor('lr', ['0.1', '0.001']).kind, 'log', 'positive values over two decades');
    assert.equal(axisFor('shift', ['-1', '100']).kind, 'linear', 'not all positive');
    assert.deepEqual(axisFor('opt', ['sgd', 'adam', 'sgd', null]), {
      kind: 'category',
      label: 'opt',
      categories: ['adam', 'sgd'],
    });
    assert.equal(axisFor('mixed', ['1', 'x']).kind, 'category');
  });

  it('places values between 0 and 1, missing ones nowhere', () => {
    const linear = axisFor('d', ['4', '8']);
    assert.equal(position(linear, '4'), 0);
    assert.equal(position(linear, '6'), 0.5);
    assert.equal(position(linear, '8'), 1);
    assert.equal(position(linear, null), null);
    assert.equal(position(linear, 'abc'), null);
    const log = axisFor('lr', ['0.001', '0.1']);
    assert.ok(Math.abs((position(log, '0.01') ?? -1) - 0.5) < 1e-12, 'decades are evenly spaced');
    assert.equal(position(axisFor('c', ['5', '5']), '5'), 0.5, 'a single value sits in the middle');
    const category = axisFor('o', ['adam', 'rmsprop', 'sgd']);
    assert.equal(position(category, 'rmsprop'), 0.5);
    assert.equal(position(category, 'lion'), null);
  });

  it('labels axes: ends and middle, decades on log axes, every category', () => {
    assert.deepEqual(
      ticks(axisFor('d', ['0', '10'])).map((t) => t.label),
      ['0', '5', '10'],
    );
    assert.deepEqual(
      ticks(axisFor('lr', ['0.001', '0.1'])).map((t) => [t.label, t.at]),
      [
        ['0.001', 0],
        ['0.01', 0.5],
        ['0.1', 1],
      ],
    );
    assert.deepEqual(
      ticks(axisFor('o', ['b', 'a'])).map((t) => t.label),
      ['a', 'b'],
    );
  });

  it('draws the differing params, then the metric, a line per run', () => {
    const snapshot = snapshotOf([
      compareRun('a', { params: { lr: '1', seed: '1', opt: 'sgd' }, metrics: [metric('val_loss', 0.5, 0.5, 1)] }),
      compareRun('b', { params: { lr: '2', seed: '1' }, metrics: [metric('val_loss', 0.25, 0.25, 1)] }),
      compareRun('c', { params: { lr: '3', seed: '1', opt: 'adam' } }),
    ]);
    const plot = parallelPlot(snapshot, 'val_loss');
    assert.deepEqual(
      plot.axes.map((a) => a.label),
      ['lr', 'opt', 'val_loss (last)'],
      'seed is the same everywhere',
    );
    assert.equal(plot.goal, 'min');
    assert.deepEqual(
      plot.lines.map((l) => l.runId),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(plot.lines[0].points, [0, 1, 1]);
    assert.deepEqual(plot.lines[1].points, [0.5, null, 0]);
    assert.deepEqual(plot.lines[2].points, [1, 0, null]);
    assert.deepEqual(
      plot.lines.map((l) => l.shade),
      [1, 0, null],
    );
  });

  it('scatters a param against a metric, leaving out runs without both', () => {
    const snapshot = snapshotOf([
      compareRun('a', { params: { lr: '0.001' }, metrics: [metric('acc', 0.5, 0, 1)] }),
      compareRun('b', { params: { lr: '0.1' }, metrics: [metric('acc', 0.9, 0, 1)] }),
      compareRun('c', { params: {}, metrics: [metric('acc', 0.7, 0, 1)] }),
    ]);
    const plot = scatterPlot(snapshot, 'lr', 'acc');
    assert.equal(plot.x.kind, 'log');
    assert.deepEqual(
      plot.points.map((p) => [p.runId, p.x, p.y]),
      [
        ['a', 0, 0],
        ['b', 1, 1],
      ],
    );
  });

  it('colors the better end of a metric the same way whatever its goal', () => {
    assert.equal(rampColor(1, 'max'), rampColor(0, 'min'));
    assert.equal(rampColor(0, 'max'), rampColor(1, 'min'));
    assert.notEqual(rampColor(0, 'max'), rampColor(1, 'max'));
    assert.match(rampColor(0.37, 'max'), /^rgb\(\d+, \d+, \d+\)$/);
    assert.equal(rampColor(7, 'max'), rampColor(1, 'max'), 'clamped');
  });
});
