import * as assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ChartLayout, DrawnLine, RenderReport } from '../../shared/chartsProtocol';
import { api, closeChartsAndDropStore, screenshot, useStoreDir, waitFor, writeJournal } from './helpers';

const T0 = 1_700_000_000_000;
/** Every run logs a step every 100 ms of wall time, so the time axes keep each series' cadence. */
const MS_PER_STEP = 100;

interface RunPlan {
  readonly id: string;
  readonly name: string;
  readonly start: number;
  /** [key, steps, value] */
  readonly series: readonly [string, readonly number[], (step: number) => number][];
}

const steps = (from: number, to: number, every: number): number[] =>
  Array.from({ length: Math.floor((to - from) / every) + 1 }, (_, i) => from + i * every);

// The training log's most common shape: a per-step loss beside metrics logged every 50 steps, over
// runs of different lengths, one starting at step 1000, one with NaN in the middle, one of a single point.
const RUNS: readonly RunPlan[] = [
  {
    id: 'mix-long',
    name: 'long-run',
    start: T0,
    series: [
      ['train_loss', steps(0, 2999, 1), (s) => 2 / (1 + s / 200) + 0.05 * Math.sin(s / 5)],
      ['val_loss', steps(0, 2950, 50), (s) => 2.2 / (1 + s / 250)],
      ['accuracy', steps(0, 2950, 50), (s) => 0.3 + 0.6 * (s / 3000)],
    ],
  },
  {
    id: 'mix-short',
    name: 'short-run',
    start: T0 + 1000,
    series: [
      ['train_loss', steps(0, 1499, 1), (s) => 3 / (1 + s / 200) + 0.05 * Math.sin(s / 7)],
      ['val_loss', steps(0, 1450, 50), (s) => (s === 750 ? Number.NaN : 3.2 / (1 + s / 250))],
      ['accuracy', steps(0, 1450, 50), (s) => 0.2 + 0.5 * (s / 3000)],
    ],
  },
  {
    id: 'mix-late',
    name: 'late-start',
    start: T0 + 2000,
    series: [
      ['train_loss', steps(1000, 2999, 1), (s) => 1.5 / (1 + s / 400) + 0.03 * Math.sin(s / 3)],
      ['val_loss', steps(1000, 2950, 50), (s) => 1.6 / (1 + s / 400)],
      ['accuracy', steps(1000, 2950, 50), (s) => 0.4 + 0.5 * (s / 3000)],
    ],
  },
  {
    id: 'mix-single',
    name: 'one-point',
    start: T0 + 3000,
    series: [
      ['val_loss', [1500], () => 0.9],
      ['accuracy', [1500], () => 0.75],
    ],
  },
];

const TOTAL_POINTS = RUNS.reduce((n, run) => n + run.series.reduce((m, [, s]) => m + s.length, 0), 0);

/** What each run's line must look like, per chart: [pieces, markers, columns (undefined: any)]. */
const EXPECTED: Record<string, Record<string, [number, number, number | undefined]>> = {
  train_loss: { 'mix-long': [1, 0, undefined], 'mix-short': [1, 0, undefined], 'mix-late': [1, 0, undefined] },
  val_loss: {
    'mix-long': [1, 0, 60],
    // The NaN at step 750 breaks the line in two; 29 of its 30 points have a value.
    'mix-short': [2, 0, 29],
    'mix-late': [1, 0, 40],
    'mix-single': [1, 1, 1],
  },
  accuracy: { 'mix-long': [1, 0, 60], 'mix-short': [1, 0, 30], 'mix-late': [1, 0, 40], 'mix-single': [1, 1, 1] },
};

function checkLines(lines: readonly DrawnLine[], where: string): void {
  const drawn: Record<string, Record<string, [number, number, number | undefined]>> = {};
  for (const line of lines) {
    const expected = EXPECTED[line.key]?.[line.runId];
    (drawn[line.key] ??= {})[line.runId] = [
      line.pieces,
      line.markers,
      expected?.[2] === undefined ? undefined : line.columns,
    ];
  }
  assert.deepEqual(drawn, EXPECTED, `${where}: every run's line, per chart ([pieces, markers, columns])`);
  for (const line of lines.filter((l) => l.key === 'train_loss')) {
    assert.ok(line.columns > 150, `${where}: ${line.runId}'s train_loss fills its columns (${line.columns})`);
  }
}

describe('Charts panel: dense and sparse metrics in one panel', () => {
  let storeDir: string;

  before(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'runlog-charts-mixed-'));
    for (const run of RUNS) {
      const events: object[] = [{ t: 'run_start', ts: run.start, run_id: run.id, name: run.name, experiment: 'mixed' }];
      for (const [key, at, value] of run.series) {
        for (const step of at) {
          const v = value(step);
          const ts = run.start + (step - at[0]) * MS_PER_STEP;
          events.push({ t: 'metric', ts, key, value: Number.isNaN(v) ? 'NaN' : v, step });
        }
      }
      events.push({ t: 'run_end', ts: run.start + 400_000, status: 'FINISHED' });
      await writeJournal(storeDir, run.id, events);
    }
    await useStoreDir(storeDir);
    const { storeFolders } = await api();
    await waitFor('the store to read the runs', async () => {
      const [folder] = storeFolders();
      const page = await folder?.store.call('listRuns', {});
      return page && page.total === RUNS.length ? true : undefined;
    });
  });

  after(() => closeChartsAndDropStore(storeDir));

  /** The panel's next report after `before` with all three charts drawn. */
  const nextReport = async (what: string, before: RenderReport | undefined): Promise<RenderReport> => {
    const { charts } = await api();
    return waitFor(what, () => {
      const r = charts()?.lastReport;
      return Promise.resolve(r && r !== before && r.charts === 3 && r.lines.length === 11 ? r : undefined);
    });
  };

  it('draws every run of every metric as a line through its own points, on every axis and scale', async () => {
    await vscode.commands.executeCommand('runlog.openCharts', { runIds: RUNS.map((r) => r.id) });
    const panel = (await api()).charts();
    assert.ok(panel);
    const steps = await nextReport('the mixed panel on steps', undefined);
    assert.equal(steps.points, TOTAL_POINTS);
    assert.deepEqual(steps.legend, ['long-run', 'short-run', 'late-start', 'one-point']);
    checkLines(steps.lines, 'steps');
    await screenshot('charts-mixed');

    const layouts: [string, Partial<ChartLayout>][] = [
      ['charts-mixed-time-log', { x: 'time', yLog: true }],
      ['charts-mixed-relative', { x: 'relative', yLog: false }],
    ];
    try {
      let last = steps;
      for (const [name, layout] of layouts) {
        panel.updateLayout(layout);
        last = await nextReport(`the mixed panel on ${JSON.stringify(layout)}`, last);
        assert.equal(last.points, TOTAL_POINTS, name);
        checkLines(last.lines, name);
        await screenshot(name);
      }
    } finally {
      panel.updateLayout({ x: 'step', yLog: false });
    }
  });
});
