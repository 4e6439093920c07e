import * as assert from 'node:assert/strict';
import { reproductionMarkdown, reproductionReport } from '../../../src/runs/reproduction';
import type { MetricSummary } from '../../../src/store/types';

const m = (key: string, last: number): MetricSummary => ({
  key,
  count: 1,
  last,
  lastStep: 0,
  lastTime: 0,
  min: last,
  max: last,
});

describe('reproduction report', () => {
  it('finds a reproduction identical when every metric matches', () => {
    const report = reproductionReport(
      { name: 'bright-owl', metrics: [m('rmse', 0.25), m('r2', Number.NaN)] },
      { name: 'calm-fox', status: 'FINISHED', metrics: [m('r2', Number.NaN), m('rmse', 0.25)] },
    );
    assert.equal(report.identical, true);
    assert.deepEqual(
      report.metrics.map((x) => [x.key, x.same]),
      [
        ['r2', true],
        ['rmse', true],
      ],
    );
    assert.match(reproductionMarkdown(report), /\*\*Every metric matches\.\*\*/);
  });

  it("compares the script's own metrics: system metrics differ between any two runs", () => {
    const report = reproductionReport(
      { name: 'bright-owl', metrics: [m('rmse', 0.25), m('system/cpu_utilization_percentage', 80)] },
      {
        name: 'calm-fox',
        status: 'FINISHED',
        metrics: [
          m('rmse', 0.25),
          m('system/cpu_utilization_percentage', 35),
          m('system/gpu_0_utilization_percentage', 9),
        ],
      },
    );
    assert.equal(report.identical, true);
    assert.deepEqual(
      report.metrics.map((x) => x.key),
      ['rmse'],
    );
  });

  it("says which packages the reproduction ran with that differ from the original's", () => {
    const env = (packages: Record<string, string>) => ({
      runId: 'x',
      recorded: 0,
      pythonVersion: '3.11.2',
      pythonImplementation: 'CPython',
      executable: null,
      platform: null,
      system: null,
      machine: null,
      packages,
      gpu: null,
    });
    const report = reproductionReport(
      { name: 'bright-owl', metrics: [m('rmse', 0.25)], environment: env({ numpy: '1.24.2', six: '1' }) },
      {
        name: 'calm-fox',
        status: 'FINISHED',
        metrics: [m('rmse', 0.25)],
        environment: env({ numpy: '1.26.4', six: '1' }),
      },
    );
    assert.deepEqual(report.environment?.packages, [{ name: 'numpy', run: '1.24.2', here: '1.26.4' }]);
    assert.ok(reproductionMarkdown(report).includes('| numpy | 1.24.2 | 1.26.4 |'), reproductionMarkdown(report));
    const same = reproductionReport(
      { name: 'a', metrics: [], environment: env({ six: '1' }) },
      { name: 'b', status: 'FINISHED', metrics: [], environment: env({ six: '1' }) },
    );
    assert.equal(same.environment, null);
    assert.ok(!reproductionMarkdown(same).includes('## Environment'));
    assert.equal(
      reproductionReport({ name: 'a', metrics: [] }, { name: 'b', status: 'FAILED', metrics: [] }).environment,
      null,
    );
  });

  it('names the metrics that differ or are missing, with their deltas', () => {
    const report = reproductionReport(
      { name: 'a|b', metrics: [m('rmse', 0.25), m('gone', 1)] },
      { name: 'new', status: 'FINISHED', metrics: [m('rmse', 0.5), m('extra', 2)] },
    );
    assert.equal(report.identical, false);
    const rmse = report.metrics.find((x) => x.key === 'rmse');
    assert.equal(rmse?.delta, 0.25);
    const markdown = reproductionMarkdown(report);
    assert.match(markdown, /3 of 3 metrics differ/);
    assert.match(markdown, /\| rmse \| 0\.25 \| 0\.5 \| \+0\.25 \|/);
    assert.match(markdown, /\| gone \| 1 \| — \| — \|/);
    assert.ok(markdown.includes('a\\|b'), 'user text cannot break the table');
  });

  it('allows a relative tolerance, and a failed reproduction is never identical', () => {
    const close = reproductionReport(
      { name: 'a', metrics: [m('x', 1)] },
      { name: 'b', status: 'FINISHED', metrics: [m('x', 1 + 1e-12)] },
      1e-9,
    );
    assert.equal(close.identical, true);
    const failed = reproductionReport(
      { name: 'a', metrics: [m('x', 1)] },
      { name: 'b', status: 'FAILED', metrics: [m('x', 1)] },
    );
    assert.equal(failed.identical, false);
  });
});
