import * as assert from 'node:assert/strict';
import {
  COMPARE_RUNS,
  OPEN_CHARTS,
  commandUri,
  escapeMarkdown,
  imageHoverMarkdown,
  inlineValueText,
  metricHoverMarkdown,
  paramHoverMarkdown,
  summaryLens,
} from '../../../src/insights/insightText';
import type { MetricInsight, ParamHistory, RunSeries } from '../../../src/store/insightQueries';

const NOW = 1_700_000_000_000;

function series(runId: string, last: number, extra: Partial<RunSeries> = {}): RunSeries {
  return {
    runId,
    runName: `name-${runId}`,
    status: 'FINISHED',
    startTime: NOW - 3_600_000,
    count: 10,
    last,
    lastStep: 9,
    min: last,
    max: last,
    ...extra,
  };
}

const insight = (extra: Partial<MetricInsight> = {}): MetricInsight => ({
  key: 'val_loss',
  scope: 'script',
  goal: 'min',
  runCount: 12,
  recent: [series('a', 0.2134), series('b', 0.3)],
  best: { ...series('c', 0.25, { min: 0.198 }), value: 0.198 },
  ...extra,
});

/** The arguments of every command link in some markdown, by command. */
function links(markdown: string): [string, unknown][] {
  return [...markdown.matchAll(/\]\(command:([\w.]+)\?([^ )]+)/g)].map((m) => [
    m[1] ?? '',
    JSON.parse(decodeURIComponent(m[2] ?? '')),
  ]);
}

describe('insight text', () => {
  it('shows the latest value, the best, the run names, the run count and the links', () => {
    const md = metricHoverMarkdown(insight(), {
      scriptName: 'train.py',
      now: NOW,
      sparkline: 'data:image/svg+xml;base64,AA==',
    });
    assert.match(md, /\*\*val\\_loss\*\* · 12 runs of `train\.py` logged it/);
    assert.match(md, /latest \*\*0\\\.2134\*\* in \*name\\-a\* \(step 9, 1 h ago\)/);
    assert.match(md, /best \*\*0\\\.198\*\* \(lowest\) in \*name\\-c\*/);
    assert.match(md, /!\[val\\_loss in name\\-a\]\(data:image\/svg\+xml;base64,AA==\)/);
    assert.deepEqual(links(md), [
      [OPEN_CHARTS, [{ runIds: ['a', 'b', 'c'], keys: ['val_loss'] }]],
      [COMPARE_RUNS, [{ runIds: ['a', 'c', 'b'] }]],
    ]);
  });

  it('says when the values come from other scripts’ runs, and when a run is still going', () => {
    const md = metricHoverMarkdown(
      insight({ scope: 'store', runCount: 1, recent: [series('a', 1, { status: 'RUNNING' })], best: undefined }),
      { scriptName: 'train.py', now: NOW },
    );
    assert.match(md, /1 run in this workspace logged it \(no run of `train\.py` did\)/);
    assert.match(md, /1 h ago, running\)/);
    assert.match(md, /no value that is a number yet/);
    assert.doesNotMatch(md, /!\[/, 'no sparkline without one');
    assert.deepEqual(
      links(md).map(([command]) => command),
      [OPEN_CHARTS],
      'nothing to compare with one run',
    );
  });

  it('escapes run names and keys, so a journal cannot inject markup or links', () => {
    const evil = '<img src=x onerror=alert(1)> [click](command:workbench.action.reloadWindow) *x*';
    const md = metricHoverMarkdown(
      insight({ key: '`key`<b>', recent: [series('a', 1, { runName: evil })], best: undefined }),
      { scriptName: 'a`b.py', now: NOW },
    );
    assert.doesNotMatch(md, /(?<!\\)[<>]|(?<!\\)\]\(command:workbench/);
    assert.deepEqual(
      links(md).map(([command]) => command),
      [OPEN_CHARTS],
    );
    assert.match(md, /`a'b\.py`/, 'the script name as code, its backtick replaced');
    assert.equal(escapeMarkdown('a\nb_c'), 'a b\\_c');
  });

  it('builds command URIs that VS Code parses back into the { runIds, keys } argument', () => {
    const uri = commandUri(OPEN_CHARTS, { runIds: ['r (1)', 'r"2'], keys: ['a b'] });
    assert.doesNotMatch(uri, /[\s()"]/);
    const [, query] = uri.split('?');
    assert.deepEqual(JSON.parse(decodeURIComponent(query ?? '')), [{ runIds: ['r (1)', 'r"2'], keys: ['a b'] }]);
  });

  it('lists a parameter’s recent values next to the key metric each run reached, the best in bold', () => {
    const history: ParamHistory = {
      param: 'lr',
      scope: 'script',
      runCount: 14,
      keyMetric: 'val_loss',
      goal: 'min',
      runs: [
        {
          runId: 'a',
          runName: 'bright-owl',
          status: 'FINISHED',
          startTime: NOW,
          value: '0.1',
          metric: series('a', 0.5, { min: 0.4 }),
        },
        {
          runId: 'b',
          runName: 'calm|fox',
          status: 'FINISHED',
          startTime: NOW,
          value: '0.01',
          metric: series('b', 0.3, { min: 0.2 }),
        },
        { runId: 'c', runName: 'dry-elk', status: 'FAILED', startTime: NOW, value: '1e-3', metric: undefined },
      ],
    };
    const md = paramHoverMarkdown(history, { label: '--lr', scriptName: 'train.py' });
    assert.ok(md);
    assert.match(md, /\*\*\\-\\-lr\*\* in the latest 3 of 14 runs of `train\.py` that recorded it/);
    assert.match(md, /\| lr \| val\\_loss \(lowest\) \| run \|/);
    assert.match(md, /\| 0\\\.1 \| 0\\\.4 \| bright\\-owl \|/);
    assert.match(md, /\| 0\\\.01 \| \*\*0\\\.2\*\* \| calm\\\|fox \|/);
    assert.match(md, /\| 1e\\-3 \| — \| dry\\-elk \|/);
    assert.deepEqual(links(md), [
      [COMPARE_RUNS, [{ runIds: ['a', 'b', 'c'] }]],
      [OPEN_CHARTS, [{ runIds: ['a', 'b', 'c'], keys: ['val_loss'] }]],
    ]);
    assert.equal(
      paramHoverMarkdown({ ...history, runs: [], runCount: 0 }, { label: 'lr', scriptName: 'x' }),
      undefined,
    );
  });

  it('writes the inline value of each key with its run, keys of one run together', () => {
    const latest = (key: string, run: RunSeries) => ({ key, scope: 'script' as const, run });
    assert.equal(inlineValueText([latest('val_loss', series('a', 0.2134))]), 'val_loss 0.2134 · name-a');
    assert.equal(
      inlineValueText([latest('rmse', series('a', 23456.7)), latest('r2', series('a', 0.87123))]),
      'rmse 23460 · r2 0.8712 · name-a',
    );
    assert.equal(
      inlineValueText([latest('x', series('a', 1)), latest('y', series('b', 2, { runName: 'two\nlines' }))]),
      'x 1 · name-a   y 2 · two lines',
    );
    assert.equal(inlineValueText([]), undefined);
  });

  it('titles the summary lens with the run count and the best of the key metric', () => {
    const lens = summaryLens({ runCount: 12, recentRunIds: ['a', 'b', 'd', 'e', 'f', 'g'], metric: insight() });
    assert.ok(lens);
    assert.equal(lens.title, '12 runs · best val_loss 0.198 (name-c)');
    assert.equal(lens.command, COMPARE_RUNS);
    assert.deepEqual(lens.arg, { runIds: ['a', 'b', 'd', 'e', 'c'] });
    assert.match(lens.tooltip, /latest val_loss 0\.2134 in name-a/);
    const one = summaryLens({ runCount: 1, recentRunIds: ['a'], metric: insight({ runCount: 1 }) });
    assert.deepEqual(
      [one?.title, one?.command, one?.arg],
      ['1 run · best val_loss 0.198 (name-c)', OPEN_CHARTS, { runIds: ['a'], keys: ['val_loss'] }],
    );
    assert.equal(summaryLens({ runCount: 2, recentRunIds: ['a', 'b'], metric: undefined })?.title, '2 runs');
    assert.equal(summaryLens({ runCount: 0, recentRunIds: [], metric: undefined }), undefined);
  });

  it("shows a log_image key's runs, steps and a link to the Media panel, names escaped", () => {
    const runs = [
      {
        runId: 'a',
        runName: '<b>fox</b>',
        status: 'RUNNING' as const,
        startTime: NOW - 60_000,
        images: 50,
        firstStep: 0,
        lastStep: 49,
      },
      {
        runId: 'b',
        runName: 'owl',
        status: 'FINISHED' as const,
        startTime: NOW - 3_600_000,
        images: 1,
        firstStep: 7,
        lastStep: 7,
      },
    ];
    const markdown = imageHoverMarkdown(
      { key: 'val/pred', scope: 'script', runs },
      { scriptName: 'train.py', now: NOW },
    );
    assert.match(markdown, /^\*\*val\/pred\*\* · images · the latest 2 runs of `train\.py` that logged them/);
    assert.ok(markdown.includes('| \\<b\\>fox\\</b\\> (running) · 1 min ago | 50 | 0–49 |'), markdown);
    assert.ok(markdown.includes('| owl · 1 h ago | 1 | 7 |'), markdown);
    assert.deepEqual(links(markdown), [
      ['runlog.openMedia', [{ runIds: ['a', 'b'], keys: ['val/pred'] }]],
      ['runlog.openMedia', [{ runIds: ['a'], keys: ['val/pred'] }]],
    ]);
    assert.equal(
      imageHoverMarkdown({ key: 'x', scope: 'store', runs: [] }, { scriptName: 'train.py', now: NOW }),
      '**x** · images · no run logged images under this key yet',
    );
  });
});
