import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../../src/store/runStore';

interface RunSpec {
  readonly id: string;
  readonly ts: number;
  readonly source?: string;
  readonly command?: string;
  readonly params?: Record<string, string>;
  /** key → values at steps 0, 1, … (null for NaN) */
  readonly metrics?: Record<string, (number | null)[]>;
}

const SCRIPT = '/work/project/train.py';

describe('insight queries (what the editor shows inside a script)', () => {
  let root: string;
  let dir: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'runlog-insights-'));
    dir = join(root, '.runlog');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  function journal(spec: RunSpec): string {
    const lines: object[] = [
      {
        t: 'run_start',
        ts: spec.ts,
        run_id: spec.id,
        name: `name-${spec.id}`,
        experiment: 'e',
        ...(spec.source ? { source: spec.source } : {}),
        ...(spec.command ? { command: spec.command } : {}),
      },
    ];
    for (const [key, value] of Object.entries(spec.params ?? {})) lines.push({ t: 'param', ts: spec.ts, key, value });
    for (const [key, values] of Object.entries(spec.metrics ?? {})) {
      values.forEach((value, step) =>
        lines.push({ t: 'metric', ts: spec.ts + step, key, value: value ?? 'NaN', step }),
      );
    }
    return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
  }

  async function open(...runs: RunSpec[]): Promise<RunStore> {
    await Promise.all(
      runs.map(async (spec) => {
        await mkdir(join(dir, 'runs', spec.id), { recursive: true });
        await writeFile(join(dir, 'runs', spec.id, 'events.jsonl'), journal(spec));
      }),
    );
    return RunStore.open({ dir, writer: false, version: 'test' });
  }

  it('takes the latest run of the script and the best across its runs, by the metric’s goal', async () => {
    const store = await open(
      { id: 'a', ts: 100, source: SCRIPT, metrics: { val_loss: [0.9, 0.2, 0.3], accuracy: [0.5, 0.9] } },
      { id: 'b', ts: 300, source: SCRIPT, metrics: { val_loss: [0.8, 0.5], accuracy: [0.6, 0.7] } },
      { id: 'c', ts: 200, source: SCRIPT, metrics: { val_loss: [0.6, 0.4] } },
      { id: 'other', ts: 400, source: '/work/project/eval.py', metrics: { val_loss: [0.01] } },
    );
    const [loss, acc] = store.query('metricInsights', { script: SCRIPT, keys: ['val_loss', 'accuracy'] });
    assert.equal(loss?.scope, 'script');
    assert.equal(loss?.goal, 'min');
    assert.equal(loss?.runCount, 3);
    assert.deepEqual(
      loss?.recent.map((r) => [r.runId, r.last, r.lastStep]),
      [
        ['b', 0.5, 1],
        ['c', 0.4, 1],
        ['a', 0.3, 2],
      ],
    );
    assert.deepEqual([loss?.best?.runId, loss?.best?.value, loss?.best?.runName], ['a', 0.2, 'name-a']);
    assert.equal(acc?.goal, 'max');
    assert.equal(acc?.runCount, 2);
    assert.deepEqual([acc?.best?.runId, acc?.best?.value], ['a', 0.9]);
    store.close();
  });

  it('follows runlog.metricGoals over the naming convention', async () => {
    const store = await open({ id: 'a', ts: 1, source: SCRIPT, metrics: { score: [3, 1, 2] } });
    assert.equal(store.query('metricInsights', { script: SCRIPT, keys: ['score'] })[0]?.best?.value, 3);
    const [insight] = store.query('metricInsights', { script: SCRIPT, keys: ['score'], goals: { score: 'min' } });
    assert.deepEqual([insight?.goal, insight?.best?.value], ['min', 1]);
    store.close();
  });

  it('falls back to every run of the store when none of the script’s runs logged the key', async () => {
    const store = await open(
      { id: 'mine', ts: 1, source: SCRIPT, metrics: { loss: [1] } },
      { id: 'x', ts: 2, source: '/elsewhere/a.py', metrics: { f1: [0.5] } },
      { id: 'y', ts: 3, metrics: { f1: [0.7] } },
    );
    const insights = store.query('metricInsights', { script: SCRIPT, keys: ['loss', 'f1', 'never'] });
    assert.deepEqual(
      insights.map((i) => [i.key, i.scope, i.runCount, i.recent[0]?.runId]),
      [
        ['loss', 'script', 1, 'mine'],
        ['f1', 'store', 2, 'y'],
      ],
    );
    const anywhere = store.query('metricInsights', { keys: ['loss'] });
    assert.equal(anywhere[0]?.scope, 'store');
    store.close();
  });

  it('counts MLproject runs of the script by their command, and no other script’s', async () => {
    const store = await open(
      { id: 'direct', ts: 1, source: SCRIPT, metrics: { rmse: [3] } },
      {
        id: 'entry',
        ts: 2,
        source: '/work/project/MLproject',
        command: 'python train.py --lr 0.1',
        metrics: { rmse: [2] },
      },
      { id: 'dot', ts: 3, source: '/work/project/MLproject', command: 'python ./train.py', metrics: { rmse: [4] } },
      { id: 'retrain', ts: 4, source: '/work/project/MLproject', command: 'python retrain.py', metrics: { rmse: [1] } },
      { id: 'far', ts: 5, source: '/other/MLproject', command: 'python train.py', metrics: { rmse: [1] } },
    );
    const [rmse] = store.query('metricInsights', { script: SCRIPT, keys: ['rmse'] });
    assert.deepEqual(
      rmse?.recent.map((r) => r.runId),
      ['dot', 'entry', 'direct'],
    );
    store.close();
  });

  it('treats LIKE wildcards in the script’s name as plain characters', async () => {
    const script = '/p/train_small.py';
    const store = await open(
      { id: 'yes', ts: 1, source: '/p/MLproject', command: 'python train_small.py', metrics: { m: [1] } },
      { id: 'no', ts: 2, source: '/p/MLproject', command: 'python trainXsmall.py', metrics: { m: [2] } },
    );
    assert.deepEqual(
      store.query('metricInsights', { script, keys: ['m'] })[0]?.recent.map((r) => r.runId),
      ['yes'],
    );
    store.close();
  });

  it('has no best for a series of NaN only, but still counts it', async () => {
    const store = await open({ id: 'a', ts: 1, source: SCRIPT, metrics: { loss: [null, null] } });
    const [loss] = store.query('metricInsights', { script: SCRIPT, keys: ['loss'] });
    assert.equal(loss?.runCount, 1);
    assert.equal(loss?.best, undefined);
    assert.ok(Number.isNaN(loss?.recent[0]?.last));
    store.close();
  });

  it('summarises a script: its runs, the recent ones, the key metric', async () => {
    const store = await open(
      { id: 'a', ts: 1, source: SCRIPT, metrics: { rmse: [5, 3], r2: [0.5, 0.7] } },
      { id: 'b', ts: 2, source: SCRIPT, metrics: { rmse: [4], r2: [0.6] } },
      { id: 'c', ts: 3, source: SCRIPT },
    );
    const summary = store.query('scriptSummary', { script: SCRIPT });
    assert.equal(summary.runCount, 3);
    assert.deepEqual(summary.recentRunIds, ['c', 'b', 'a']);
    // The first metric the latest run with metrics logged: rmse (logged before r2).
    assert.equal(summary.metric?.key, 'rmse');
    assert.deepEqual([summary.metric?.best?.runId, summary.metric?.best?.value], ['a', 3]);
    assert.equal(store.query('scriptSummary', { script: SCRIPT, keyMetric: 'r2' }).metric?.best?.value, 0.7);
    assert.equal(store.query('scriptSummary', { script: SCRIPT, keyMetric: 'absent' }).metric?.key, 'rmse');
    assert.deepEqual(store.query('scriptSummary', { script: '/nowhere.py' }), {
      runCount: 0,
      recentRunIds: [],
      metric: undefined,
    });
    store.close();
  });

  it('leaves system metrics out of the key metric, even when the sampler logged first', async () => {
    const store = await open(
      { id: 'a', ts: 1, source: SCRIPT, metrics: { 'system/cpu_utilization_percentage': [50], val_loss: [0.4, 0.3] } },
      { id: 'b', ts: 2, source: SCRIPT, metrics: { 'system/cpu_utilization_percentage': [60] } },
    );
    // b, the latest run, has only system metrics: the key metric is a's first own one.
    assert.equal(store.query('scriptSummary', { script: SCRIPT }).metric?.key, 'val_loss');
    store.close();
  });

  it('lists the values a parameter took, newest first, with the key metric of each run', async () => {
    const store = await open(
      { id: 'a', ts: 1, source: SCRIPT, params: { lr: '0.1' }, metrics: { val_loss: [0.5, 0.4] } },
      { id: 'b', ts: 2, source: SCRIPT, params: { lr: '0.01' }, metrics: { val_loss: [0.3] } },
      { id: 'c', ts: 3, source: SCRIPT, params: { lr: '0.001' } },
      { id: 'z', ts: 4, source: '/elsewhere.py', params: { lr: '9', batch: '32' } },
    );
    const history = store.query('paramHistory', { script: SCRIPT, param: 'lr', limit: 2 });
    assert.equal(history.scope, 'script');
    assert.equal(history.runCount, 3);
    assert.equal(history.keyMetric, 'val_loss');
    assert.equal(history.goal, 'min');
    assert.deepEqual(
      history.runs.map((r) => [r.runId, r.value, r.metric?.min]),
      [
        ['c', '0.001', undefined],
        ['b', '0.01', 0.3],
      ],
    );
    const elsewhere = store.query('paramHistory', { script: SCRIPT, param: 'batch' });
    assert.deepEqual([elsewhere.scope, elsewhere.runCount, elsewhere.runs[0]?.value], ['store', 1, '32']);
    assert.deepEqual(store.query('paramHistory', { script: SCRIPT, param: 'nothing' }).runs, []);
    store.close();
  });

  it('answers fast on a store with thousands of runs', async function () {
    this.timeout(60_000);
    const runs: RunSpec[] = [];
    for (let i = 0; i < 2000; i++) {
      runs.push({
        id: `r${String(i).padStart(5, '0')}`,
        ts: 1_000 + i,
        source: i % 3 === 0 ? SCRIPT : `/work/project/script${i % 7}.py`,
        params: { lr: String(i / 1000), seed: String(i % 5) },
        metrics: { val_loss: [1 / (i + 1), 0.5 / (i + 1)], accuracy: [i / 2000], [`extra_${i % 50}`]: [i] },
      });
    }
    const store = await open(...runs);
    const time = (body: () => unknown): number => {
      body(); // prepares the statements
      const start = process.hrtime.bigint();
      for (let k = 0; k < 5; k++) body();
      return Number(process.hrtime.bigint() - start) / 5e6;
    };
    const timings = {
      hover: time(() => store.query('metricInsights', { script: SCRIPT, keys: ['val_loss'] })),
      inline: time(() =>
        store.query('metricInsights', { script: SCRIPT, keys: ['val_loss', 'accuracy', 'nope'], recent: 1 }),
      ),
      storeWide: time(() => store.query('metricInsights', { keys: ['accuracy'] })),
      lens: time(() => store.query('scriptSummary', { script: SCRIPT })),
      param: time(() => store.query('paramHistory', { script: SCRIPT, param: 'lr' })),
    };
    const [loss] = store.query('metricInsights', { script: SCRIPT, keys: ['val_loss'] });
    assert.equal(loss?.runCount, 667);
    assert.equal(loss?.recent[0]?.runId, 'r01998');
    assert.equal(loss?.best?.runId, 'r01998');
    // Generous bounds for a slow CI machine; on a laptop each takes a few milliseconds.
    for (const [name, ms] of Object.entries(timings)) assert.ok(ms < 100, `${name} took ${ms.toFixed(1)} ms`);
    store.close();
  });
});
