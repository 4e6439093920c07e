import * as assert from 'node:assert/strict';
import {
  endNotice,
  errorHeadline,
  keyMetricOf,
  runContextValue,
  runItemModel,
} from '../../../src/runs/runPresentation';
import type { MetricSummary, RunRecord } from '../../../src/store/types';
import { runRecord } from '../../support/runFixtures';

const run: RunRecord = runRecord({
  experiment: 'prices',
  startTime: 1_000_000,
  endTime: 1_090_000,
  command: 'python train.py',
  git: { commit: '0123456789abcdef0123', branch: 'main', dirty: true },
});
const metric = (key: string, last: number, min: number, max: number): MetricSummary => ({
  key,
  count: 3,
  last,
  lastStep: 2,
  lastTime: 0,
  min,
  max,
});
const metrics = [metric('accuracy', 0.9, 0.5, 0.95), metric('val_loss', 0.213, 0.2, 0.8)];

describe('run presentation', () => {
  it('sums a run up by the configured key metric, else its first', () => {
    assert.equal(keyMetricOf(metrics, '')?.key, 'accuracy');
    assert.equal(keyMetricOf(metrics, 'val_loss')?.key, 'val_loss');
    assert.equal(keyMetricOf(metrics, 'missing')?.key, 'accuracy');
    assert.equal(keyMetricOf([], 'val_loss'), undefined);
  });

  it('never sums a run up by a system metric unless it is the configured key', () => {
    // "system/…" sorts before "val_loss": the first metric by key is the CPU's.
    const sampled = [metric('system/cpu_utilization_percentage', 40, 1, 99), metric('val_loss', 0.2, 0.2, 0.9)];
    assert.equal(keyMetricOf(sampled, '')?.key, 'val_loss');
    assert.equal(keyMetricOf(sampled.slice(0, 1), ''), undefined);
    assert.equal(keyMetricOf(sampled, 'system/cpu_utilization_percentage')?.key, 'system/cpu_utilization_percentage');
    assert.equal(endNotice(run, sampled.slice(0, 1), ''), 'bright-owl finished');
  });

  it('describes a run item with its key metric, time, and best values in the tooltip', () => {
    const model = runItemModel(run, metrics, { keyMetric: 'val_loss', goals: {} }, 1_000_000 + 5 * 60_000, {
      team: 'vision',
      'runlog.pinned': 'true',
    });
    assert.equal(model.label, 'bright-owl');
    assert.equal(model.description, 'val_loss 0.213 · 5 min ago');
    assert.equal(model.contextValue, 'runlog.run.finished');
    assert.ok(model.tooltip.includes('val_loss: 0.213 (best 0.2, min 0.2, max 0.8)'));
    assert.ok(model.tooltip.includes('accuracy: 0.9 (best 0.95, min 0.5, max 0.95)'));
    assert.ok(model.tooltip.includes('tags: team=vision'));
    assert.ok(model.tooltip.includes('took 1 min 30 s'));
    assert.ok(model.tooltip.includes('git 0123456789ab on main with uncommitted changes'));
    const withParams = runItemModel(run, [], { keyMetric: '', goals: {} }, 0, {}, { lr: '0.1', note: 'x'.repeat(100) });
    assert.ok(withParams.tooltip.includes(`params: lr=0.1, note=${'x'.repeat(59)}…`));
    const overridden = runItemModel(run, metrics, { keyMetric: '', goals: { accuracy: 'min' } }, 0);
    assert.ok(overridden.tooltip.includes('accuracy: 0.9 (best 0.5, min 0.5, max 0.95)'));
  });

  it('sums up system metrics in the tooltip: GPU peak memory and mean utilization, not a line per series', () => {
    const sampled = [
      metric('loss', 0.2, 0.2, 0.9),
      metric('system/cpu_utilization_percentage', 40, 1, 99),
      metric('system/gpu_0_memory_usage_megabytes', 9000, 100, 10_240),
      metric('system/process_memory_rss_megabytes', 1500, 900, 2400),
    ];
    const gpus = [
      { index: 0, peakMemoryMegabytes: 10_240, peakMemoryPercentage: 25, meanUtilizationPercentage: 73.25 },
      { index: 1, peakMemoryMegabytes: 512, peakMemoryPercentage: null, meanUtilizationPercentage: null },
    ];
    const model = runItemModel(run, sampled, { keyMetric: '', goals: {} }, 0, {}, {}, undefined, gpus);
    assert.ok(!model.tooltip.some((line) => line.startsWith('system/')), model.tooltip.join('\n'));
    assert.ok(model.tooltip.includes('loss: 0.2 (best 0.2, min 0.2, max 0.9)'));
    assert.ok(model.tooltip.includes('GPU 0: peak memory 10.2 GB (25%), mean utilization 73%'));
    assert.ok(model.tooltip.includes('GPU 1: peak memory 512 MB'));
    assert.ok(model.tooltip.includes('process memory: peak 2.4 GB'));
    assert.ok(
      model.tooltip.some((line) =>
        line.startsWith("3 system metrics (CPU, memory, disk, network, GPUs) in the Charts panel's System section"),
      ),
    );
    assert.ok(model.description.startsWith('loss 0.2 · '), "the key metric is the script's own");
    const plain = runItemModel(run, [metric('loss', 0.2, 0.2, 0.9)], { keyMetric: '', goals: {} }, 0);
    assert.ok(!plain.tooltip.some((line) => /system metric|GPU/.test(line)));
  });

  it('encodes status, pin and trash in the context value', () => {
    assert.equal(runContextValue({ status: 'RUNNING', pinned: true, deleted: false }), 'runlog.run.running.pinned');
    assert.equal(runContextValue({ status: 'FAILED', pinned: true, deleted: true }), 'runlog.run.failed.deleted');
  });

  it('words the end of a run for a notification', () => {
    assert.equal(endNotice(run, metrics, 'val_loss'), 'bright-owl finished · val_loss 0.213');
    assert.equal(endNotice(run, [], ''), 'bright-owl finished');
    const failed: RunRecord = {
      ...run,
      status: 'FAILED',
      exitCode: 1,
      error: 'Traceback (most recent call last):\n  File "train.py", line 3\nValueError: lr must be positive',
    };
    assert.equal(endNotice(failed, metrics, ''), 'bright-owl failed: ValueError: lr must be positive');
    assert.equal(endNotice({ ...failed, error: null }, [], ''), 'bright-owl failed (exit code 1)');
    assert.equal(errorHeadline('\n\ncould not open data.csv\nmore'), 'could not open data.csv');
  });
});
