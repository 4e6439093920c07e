import * as assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smoothEma } from '../../../shared/smoothing';
import { RunStore } from '../../../src/store/runStore';

const line = (event: object): string => `${JSON.stringify(event)}\n`;

describe('chart data', () => {
  let dir: string;
  let store: RunStore;

  async function journal(
    runId: string,
    start: number,
    points: [number, number, number][],
    key = 'loss',
  ): Promise<void> {
    await mkdir(join(dir, 'runs', runId), { recursive: true });
    let text = line({ t: 'run_start', ts: start, run_id: runId, name: runId, experiment: 'e' });
    for (const [step, value, ts] of points) {
      text += line({ t: 'metric', ts, key, value: Number.isNaN(value) ? 'NaN' : value, step });
    }
    await appendFile(join(dir, 'runs', runId, 'events.jsonl'), text);
  }

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-chart-')), '.runlog');
    // r1: steps 0..9999 (dense: block summaries); r2: steps 0..99, started 5 s later.
    await journal(
      'r1',
      1000,
      Array.from({ length: 10_000 }, (_, i): [number, number, number] => [
        i,
        Math.sin(i / 50) + (i === 4321 ? 9 : 0),
        1000 + i,
      ]),
    );
    await journal(
      'r2',
      6000,
      Array.from({ length: 100 }, (_, i): [number, number, number] => [i, i, 6000 + 10 * i]),
    );
    store = await RunStore.open({ dir, writer: true, version: 'test' });
    await store.syncJournals();
  });
  afterEach(async () => {
    store.close();
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('reports the x extent over the runs, per axis', () => {
    assert.deepEqual(store.query('chartExtent', ['r1', 'r2'], 'loss', 'step'), { lo: 0, hi: 9999 });
    assert.deepEqual(store.query('chartExtent', ['r1', 'r2'], 'loss', 'time'), { lo: 1000, hi: 10999 });
    assert.deepEqual(store.query('chartExtent', ['r1', 'r2'], 'loss', 'relative'), { lo: 0, hi: 9999 });
    assert.deepEqual(store.query('chartExtent', ['r2'], 'loss', 'relative'), { lo: 0, hi: 990 });
    assert.equal(store.query('chartExtent', ['r1'], 'nope', 'step'), null);
    assert.equal(store.query('chartExtent', ['missing'], 'loss', 'step'), null);
  });

  it('puts every run on one grid, keeping every extreme', () => {
    const [r1, r2] = store.query('chartSeries', {
      runIds: ['r1', 'r2'],
      key: 'loss',
      x: 'step',
      lo: 0,
      hi: 9999,
      buckets: 100,
      smoothing: 0,
    });
    assert.equal(r1.last.length, 100);
    assert.equal(r2.last.length, 100);
    assert.equal(r1.points, 10_000);
    assert.equal(r2.points, 100);
    assert.equal(Math.max(...r1.max), Math.sin(4321 / 50) + 9, 'the spike survives downsampling');
    // r2's 100 steps fall into the first bucket (width 100 steps): its last value is step 99's.
    assert.equal(r2.last[0], 99);
    assert.equal(r2.min[0], 0);
    assert.ok(Number.isNaN(r2.last[1]), 'empty buckets are NaN');
    assert.equal(r1.smoothed, null);
    assert.deepEqual([...r1.breaks, ...r2.breaks], new Array<number>(200).fill(0), 'no line breaks');
  });

  it('bridges a sparse series between its points on the grid of a dense one', async () => {
    // Every 50 steps beside r1's every step: 1 bucket in 5 holds a point.
    await journal(
      'val',
      1000,
      Array.from({ length: 200 }, (_, i): [number, number, number] => [50 * i, 1 / (1 + i), 1000 + 50 * i]),
    );
    await store.syncJournals();
    for (const x of ['step', 'time', 'relative'] as const) {
      const extent = store.query('chartExtent', ['r1', 'val'], 'loss', x);
      assert.ok(extent);
      const query = { runIds: ['r1', 'val'], key: 'loss', ...extent, buckets: 1000, smoothing: 0 };
      const [, val] = store.query('chartSeries', { ...query, x });
      assert.equal(val.points, 200, x);
      const filled = [...val.last.keys()].filter((i) => !Number.isNaN(val.last[i]));
      assert.equal(filled.length, 200, `${x}: every point in a bucket of its own`);
      assert.deepEqual(
        [...val.breaks].filter((b) => b !== 0),
        [],
        `${x}: one line through them`,
      );
    }
  });

  it("zoomed in, gives each run's points just outside the grid that its line goes on to", async () => {
    const val = (step: number): number => 1 / (1 + step / 100);
    // Every 50 steps, nothing from 1000 to 2000; 20 ms a step.
    const steps = [
      ...Array.from({ length: 21 }, (_, i) => 50 * i),
      ...Array.from({ length: 21 }, (_, i) => 2000 + 50 * i),
    ];
    await journal(
      'val',
      1000,
      steps.map((step): [number, number, number] => [step, val(step), 1000 + 20 * step]),
    );
    await store.syncJournals();
    const zoom = (lo: number, hi: number, x: 'step' | 'relative' = 'step', smoothing = 0) => {
      const [series] = store.query('chartSeries', { runIds: ['val'], key: 'loss', x, lo, hi, buckets: 30, smoothing });
      return series;
    };
    const between = zoom(810, 840);
    assert.equal(between.points, 0);
    assert.deepEqual(between.before, { x: 800, last: val(800), smoothed: null });
    assert.deepEqual(between.after, { x: 850, last: val(850), smoothed: null });
    assert.deepEqual(zoom(810 * 20, 840 * 20, 'relative').before, { x: 800 * 20, last: val(800), smoothed: null });
    const smoothed = zoom(810, 840, 'step', 0.5);
    const ema = smoothEma(steps.map(val), 0.5);
    assert.deepEqual(smoothed.before, { x: 800, last: val(800), smoothed: ema[16] });
    assert.deepEqual(smoothed.after, { x: 850, last: val(850), smoothed: ema[17] });
    const silent = zoom(1200, 1800);
    assert.deepEqual([silent.before, silent.after], [null, null], 'no line across 1000 silent steps');
    const edge = zoom(900, 1500);
    assert.deepEqual([edge.before?.x, edge.after], [850, null], 'up to the silence');
    const whole = zoom(0, 3000);
    assert.deepEqual([whole.before, whole.after], [null, null], 'nothing outside an unzoomed grid');
    // r1 logs every step: a zoomed grid's neighbours are a step away, read from the one chunk holding them.
    const [r1] = store.query('chartSeries', {
      runIds: ['r1'],
      key: 'loss',
      x: 'step',
      lo: 4000,
      hi: 4099,
      buckets: 100,
      smoothing: 0,
    });
    assert.deepEqual([r1.before?.x, r1.after?.x], [3999, 4100]);
  });

  it('breaks the line at NaN, also where block summaries stand for the points', async () => {
    // 10,000 steps with NaN from 5000 to 5999: on 100 buckets (100 steps each) the points are folded
    // from their 32-point blocks, whose summaries tell a NaN only by their last value or an all-NaN block.
    const value = (step: number): number => (step >= 5000 && step < 6000 ? Number.NaN : 1 + step / 10_000);
    await journal(
      'nan',
      1000,
      Array.from({ length: 10_000 }, (_, i): [number, number, number] => [i, value(i), 1000 + i]),
    );
    await store.syncJournals();
    const [folded] = store.query('chartSeries', {
      runIds: ['nan'],
      key: 'loss',
      x: 'step',
      lo: 0,
      hi: 9999,
      buckets: 100,
      smoothing: 0,
    });
    assert.equal(folded.points, 10_000);
    assert.deepEqual(
      [...folded.breaks.keys()].filter((i) => folded.breaks[i] === 1),
      [60],
      'the line resumes after the NaNs (the block ending at step 6015 is the first drawn one)',
    );
    assert.ok(Number.isNaN(folded.max[55]), 'nothing drawn where only NaN was logged');
    // Zoomed in, point by point: the line stops at step 4999 and resumes at 6000.
    const [points] = store.query('chartSeries', {
      runIds: ['nan'],
      key: 'loss',
      x: 'step',
      lo: 4900,
      hi: 6099,
      buckets: 1200,
      smoothing: 0,
    });
    assert.deepEqual(
      [...points.breaks.keys()].filter((i) => points.breaks[i] === 1),
      [1100],
    );
    assert.equal(points.last[99], value(4999));
    assert.equal(points.last[1100], value(6000));
  });

  it("finds the step where each of a run's metrics was lowest and highest", () => {
    assert.deepEqual(store.query('extremeSteps', 'r2'), [['loss', { minStep: 0, maxStep: 99 }]]);
    assert.equal(store.query('extremeSteps', 'r1')[0]?.[1].maxStep, 4321, 'the spike');
    assert.deepEqual(store.query('extremeSteps', 'missing'), []);
  });

  it('zooms in to full resolution', () => {
    const [r1] = store.query('chartSeries', {
      runIds: ['r1'],
      key: 'loss',
      x: 'step',
      lo: 4300,
      hi: 4339,
      buckets: 40,
      smoothing: 0,
    });
    assert.equal(r1.points, 40);
    for (let i = 0; i < 40; i++) assert.equal(r1.last[i], Math.sin((4300 + i) / 50) + (4300 + i === 4321 ? 9 : 0));
  });

  it('aligns runs by time since their start on the relative axis', () => {
    const [, r2] = store.query('chartSeries', {
      runIds: ['r1', 'r2'],
      key: 'loss',
      x: 'relative',
      lo: 0,
      hi: 1000,
      buckets: 10,
      smoothing: 0,
    });
    // r2 logs every 10 ms from its start: 100 ms per bucket holds 10 of its points.
    assert.equal(r2.points, 100);
    assert.equal(r2.last[0], 9);
    assert.equal(r2.last[9], 99);
  });

  it('smooths full-resolution points before bucketing, from the series start even when zoomed', () => {
    const [r2] = store.query('chartSeries', {
      runIds: ['r2'],
      key: 'loss',
      x: 'step',
      lo: 50,
      hi: 99,
      buckets: 50,
      smoothing: 0.9,
    });
    const expected = smoothEma(
      Array.from({ length: 100 }, (_, i) => i),
      0.9,
    );
    assert.ok(r2.smoothed);
    for (let i = 0; i < 50; i++) assert.equal(r2.smoothed[i], expected[50 + i]);
    assert.equal(r2.last[0], 50, 'the raw line stays alongside');
  });
});
