import * as assert from 'node:assert/strict';
import { compareRows, escapeMarkdown, toCsv, toMarkdown } from '../../../shared/compareModel';
import type { CompareRun } from '../../../shared/compareProtocol';
import { compareRun, environment, metric, snapshotOf } from './compareFixture';

const runs = [
  compareRun('a', {
    name: 'fast',
    params: { lr: '0.01', depth: '4', optimizer: 'adam' },
    metrics: [metric('val_loss', 0.3, 0.25, 0.9), metric('accuracy', 0.8, 0.5, 0.81)],
    git: { commit: '0123456789abcdef', branch: 'main', dirty: true },
  }),
  compareRun('b', {
    name: 'slow',
    durationMs: 3_725_000,
    params: { lr: '1e-2', depth: '4.0' },
    metrics: [metric('val_loss', 0.2, 0.2, 0.8), metric('accuracy', 0.9, 0.6, 0.9)],
    git: { commit: '0123456789abcdef', branch: 'main', dirty: false },
  }),
];

function row(key: string, onlyDifferences = false): ReturnType<typeof compareRows>[number] | undefined {
  return compareRows(snapshotOf(runs), { onlyDifferences }).find((r) => r.key === key);
}

describe('compare table', () => {
  it('has run, params, metrics (last, best, min, max) and git rows, in that order', () => {
    const keys = compareRows(snapshotOf(runs)).map((r) => r.key);
    assert.deepEqual(keys, [
      'run.status',
      'run.duration',
      'run.experiment',
      'params.depth',
      'params.lr',
      'params.optimizer',
      'metrics.accuracy.last',
      'metrics.accuracy.best',
      'metrics.accuracy.min',
      'metrics.accuracy.max',
      'metrics.val_loss.last',
      'metrics.val_loss.best',
      'metrics.val_loss.min',
      'metrics.val_loss.max',
      'git.commit',
      'git.branch',
      'git.dirty',
    ]);
  });

  it('says where a pulled run came from, in a row only when some run was pulled', () => {
    const pulled = [runs[0], compareRun('c', { name: 'theirs', remote: 'https://mlflow.team.example' })];
    const server = compareRows(snapshotOf(pulled)).find((r) => r.key === 'run.server');
    assert.deepEqual(server?.cells, [null, 'https://mlflow.team.example']);
    assert.equal(server?.label, 'pulled from');
    assert.equal(server?.differs, true);
    assert.equal(row('run.server'), undefined);
  });

  it('has a note row when some run has a note: its text in the cell and Markdown export, as written in CSV', () => {
    const hostile = '**best** so far <img src=x onerror=alert(1)> [go](command:workbench.action.quit)\nsecond | line';
    const noted = [compareRun('a', { name: 'fast', note: hostile }), compareRun('b', { name: 'slow' })];
    const note = compareRows(snapshotOf(noted)).find((r) => r.key === 'run.note');
    assert.equal(note?.section, 'run');
    assert.equal(note?.label, 'note');
    assert.deepEqual(note?.cells, [
      'best so far <img src=x onerror=alert(1)> [go](command:workbench.action.quit) second | line',
      null,
    ]);
    assert.deepEqual(note?.values, [hostile, null]);
    assert.equal(note?.differs, true);
    assert.equal(row('run.note'), undefined, 'no row when no run has a note');
    const markdown = toMarkdown(snapshotOf(noted)).split('\n');
    assert.ok(
      markdown.includes(
        '| note | best so far &lt;img src=x onerror=alert(1)&gt; \\[go\\](command:workbench.action.quit) second \\| line | — |',
      ),
      markdown.join('\n'),
    );
    const [header, first] = toCsv(snapshotOf(noted)).split('\r\n');
    assert.ok(header.split(',').includes('run.note'), header);
    assert.ok(first.includes(`"${hostile.replace(/"/g, '""')}"`), first);
  });

  it('marks rows that differ; equal numbers written differently do not differ, a missing value does', () => {
    assert.equal(row('params.depth')?.differs, false, '4 and 4.0');
    assert.equal(row('params.lr')?.differs, false, '0.01 and 1e-2');
    assert.deepEqual(row('params.lr')?.cells, ['0.01', '1e-2'], 'shown as logged');
    assert.equal(row('params.optimizer')?.differs, true);
    assert.deepEqual(row('params.optimizer')?.cells, ['adam', null]);
    assert.equal(row('git.commit')?.differs, false);
    assert.equal(row('git.dirty')?.differs, true);
  });

  it('hides equal rows when asked for only the differences', () => {
    const keys = compareRows(snapshotOf(runs), { onlyDifferences: true }).map((r) => r.key);
    assert.ok(!keys.includes('params.depth'));
    assert.ok(!keys.includes('git.commit'));
    assert.ok(keys.includes('params.optimizer'));
    assert.ok(keys.includes('run.duration'));
  });

  it('marks the best cell of each differing metric row by the metric goal and the setting', () => {
    assert.equal(row('metrics.val_loss.last')?.best, 1, 'loss: lower is better');
    assert.equal(row('metrics.accuracy.last')?.best, 1, 'accuracy: higher is better');
    assert.deepEqual(row('metrics.val_loss.best')?.cells, ['0.25', '0.2'], 'best of a loss is its min');
    assert.deepEqual(row('metrics.accuracy.best')?.cells, ['0.81', '0.9'], 'best of an accuracy is its max');
    const flipped = compareRows(snapshotOf(runs, { val_loss: 'max' })).find((r) => r.key === 'metrics.val_loss.last');
    assert.equal(flipped?.best, 0, 'runlog.metricGoals overrides the name');
    assert.equal(row('git.dirty')?.best, -1, 'only metric rows have a best');
  });

  it('marks no best where the values are all equal or missing', () => {
    const same = snapshotOf([
      compareRun('a', { metrics: [metric('loss', 1, 1, 1)] }),
      compareRun('b', { metrics: [metric('loss', 1, 1, 1)] }),
      compareRun('c'),
    ]);
    const rows = compareRows(same);
    assert.equal(rows.find((r) => r.key === 'metrics.loss.last')?.best, 0, 'a run without the metric differs');
    const two = compareRows(snapshotOf(same.runs.slice(0, 2)));
    assert.equal(two.find((r) => r.key === 'metrics.loss.last')?.best, -1);
    const none = compareRows(snapshotOf([compareRun('a', { metrics: [metric('loss', null, null, null)] })]));
    assert.equal(none.find((r) => r.key === 'metrics.loss.last')?.best, -1);
  });

  it('formats durations for people and keeps seconds for CSV', () => {
    assert.deepEqual(row('run.duration')?.cells, ['1 min', '1 h 2 min']);
    assert.deepEqual(row('run.duration')?.values, ['60', '3725']);
  });
});

describe('compare: system metrics and environments', () => {
  const gpu = (index: number, memory: number | null, share: number | null, mean: number | null) => ({
    index,
    peakMemoryMegabytes: memory,
    peakMemoryPercentage: share,
    meanUtilizationPercentage: mean,
  });
  const sampled: CompareRun[] = [
    compareRun('a', {
      name: 'on-a100',
      metrics: [
        metric('loss', 0.3, 0.3, 0.9),
        metric('system/cpu_utilization_percentage', 40, 1, 99),
        metric('system/process_memory_rss_megabytes', 1500, 900, 2400.5),
      ],
      gpus: [gpu(0, 10_240.5, 25, 73.25), gpu(1, 800, null, 4.5)],
      environment: environment({ numpy: '1.24.2', torch: '2.1.0', pandas: '2.0.3', six: '1.16.0' }),
    }),
    compareRun('b', {
      name: 'on-cpu',
      metrics: [metric('loss', 0.4, 0.4, 0.8), metric('system/process_memory_rss_megabytes', 1000, 500, 1000)],
      environment: environment(
        { numpy: '1.26.4', pandas: '2.0.3', six: '1.16.0', scipy: '1.11.0' },
        '3.12.1 (CPython)',
      ),
    }),
    compareRun('c', { name: 'no-client', metrics: [metric('loss', 0.5, 0.5, 0.5)] }),
  ];
  const rows = compareRows(snapshotOf(sampled));
  const find = (key: string) => rows.find((r) => r.key === key);

  it('keeps system metrics out of the metric rows, and shows peak GPU memory and mean utilization', () => {
    assert.ok(!rows.some((r) => r.key.startsWith('metrics.system/')));
    assert.deepEqual(
      rows.filter((r) => r.section === 'system').map((r) => [r.label, r.cells, r.values]),
      [
        ['GPU 0 memory (peak)', ['10.2 GB (25%)', null, null], ['10240.5', null, null]],
        ['GPU 0 utilization (mean)', ['73%', null, null], ['73.25', null, null]],
        ['GPU 1 memory (peak)', ['800 MB', null, null], ['800', null, null]],
        ['GPU 1 utilization (mean)', ['4.5%', null, null], ['4.5', null, null]],
        ['process memory (peak)', ['2.4 GB', '1 GB', null], ['2400.5', '1000', null]],
      ],
    );
    assert.equal(find('system.gpu_0.memory_peak_megabytes')?.best, -1, 'less memory is not "better"');
  });

  it('lists only the packages whose versions differ between the runs that recorded an environment', () => {
    const environmentRows = rows.filter((r) => r.section === 'environment');
    assert.deepEqual(
      environmentRows.map((r) => [r.label, r.cells, r.differs]),
      [
        ['Python', ['3.11.2 (CPython)', '3.12.1 (CPython)', null], true],
        ['platform', ['Linux-6.1-x86_64', 'Linux-6.1-x86_64', null], true],
        ['GPUs', ['none', 'none', null], true],
        ['packages', ['4 installed', '4 installed', null], true],
        // The run without an environment makes no package differ; pandas and six are the same.
        ['numpy', ['1.24.2', '1.26.4', null], true],
        ['scipy', ['not installed', '1.11.0', null], true],
        ['torch', ['2.1.0', 'not installed', null], true],
      ],
    );
    assert.deepEqual(find('environment.packages.torch')?.values, ['2.1.0', null, null]);
    // Only differences: the platform is the same where it is known, but c's is unknown.
    const two = compareRows(snapshotOf(sampled.slice(0, 2)), { onlyDifferences: true }).map((r) => r.key);
    assert.ok(two.includes('environment.python'));
    assert.ok(!two.includes('environment.platform'));
    assert.ok(!two.includes('environment.packages.pandas'));
    assert.ok(two.includes('environment.packages.numpy'));
  });

  it('has no environment rows when no run recorded one, and no system rows without system metrics', () => {
    const plain = compareRows(snapshotOf([compareRun('x'), compareRun('y')]));
    assert.ok(!plain.some((r) => r.section === 'environment' || r.section === 'system'));
  });

  it('exports the GPU figures and the differing packages as Markdown and CSV', () => {
    const md = toMarkdown(snapshotOf(sampled.slice(0, 2)), { onlyDifferences: true });
    assert.ok(md.includes('| system.GPU 0 memory (peak) | 10.2 GB (25%) | — |'), md);
    assert.ok(md.includes('| environment.numpy | 1.24.2 | 1.26.4 |'), md);
    assert.ok(md.includes('| environment.scipy | not installed | 1.11.0 |'), md);
    const [header, first] = toCsv(snapshotOf(sampled.slice(0, 2)), { onlyDifferences: true }).split('\r\n');
    const columns = header?.split(',') ?? [];
    const cells = first?.split(',') ?? [];
    const cell = (column: string): string | undefined => cells[columns.indexOf(column)];
    assert.equal(cell('system.gpu_0.memory_peak_megabytes'), '10240.5');
    assert.equal(cell('system.gpu_0.utilization_mean_percentage'), '73.25');
    assert.equal(cell('environment.packages.numpy'), '1.24.2');
    assert.equal(cell('environment.packages.scipy'), '');
  });
});

describe('compare exports', () => {
  it('escapes Markdown: pipes, newlines, HTML and emphasis stay text', () => {
    assert.equal(escapeMarkdown('a|b'), 'a\\|b');
    assert.equal(escapeMarkdown('line1\nline2\r\nline3'), 'line1<br>line2<br>line3');
    assert.equal(escapeMarkdown('<img src=x onerror=alert(1)>'), '&lt;img src=x onerror=alert(1)&gt;');
    assert.equal(
      escapeMarkdown('*bold* _it_ `code` [link](x) \\'),
      '\\*bold\\* \\_it\\_ \\`code\\` \\[link\\](x) \\\\',
    );
    assert.equal(escapeMarkdown('a & b'), 'a &amp; b');
  });

  it('writes a Markdown table with a column per run and the best values bold', () => {
    const text = toMarkdown(
      snapshotOf([
        compareRun('a', { name: 'x|y', params: { note: 'one\ntwo' }, metrics: [metric('loss', 0.5, 0.5, 0.5)] }),
        compareRun('b', { name: '<b>b</b>', params: {}, metrics: [metric('loss', 0.25, 0.25, 0.25)] }),
      ]),
    );
    const lines = text.trimEnd().split('\n');
    assert.equal(lines[0], '|  | x\\|y | &lt;b&gt;b&lt;/b&gt; |');
    assert.equal(lines[1], '| --- | --- | --- |');
    assert.ok(lines.includes('| params.note | one<br>two | — |'), text);
    assert.ok(lines.includes('| metrics.loss (last) | 0.5 | **0.25** |'), text);
    for (const line of lines) assert.equal(line.split(/(?<!\\)\|/).length, 5, `four cells: ${line}`);
  });

  it('exports only the differing rows when asked', () => {
    const text = toMarkdown(snapshotOf(runs), { onlyDifferences: true });
    assert.ok(text.includes('params.optimizer'));
    assert.ok(!text.includes('params.depth'));
  });

  it('writes a CSV row per run with full-precision values and CRLF line ends', () => {
    const text = toCsv(
      snapshotOf([
        compareRun('a', {
          name: 'a, the first',
          params: { lr: '0.1' },
          metrics: [metric('loss', 0.123456789, 0.1, 1)],
        }),
        compareRun('b', { params: {}, metrics: [] }),
      ]),
    );
    const lines = text.split('\r\n');
    assert.equal(lines.at(-1), '', 'ends with CRLF');
    assert.equal(
      lines[0],
      'run_id,name,run.status,run.duration_s,run.experiment,params.lr,metrics.loss.last,metrics.loss.best,metrics.loss.min,metrics.loss.max,git.commit,git.branch,git.dirty',
    );
    assert.equal(lines[1], 'a,"a, the first",FINISHED,60,exp,0.1,0.123456789,0.1,0.1,1,,,');
    assert.equal(lines[2], 'b,b,FINISHED,60,exp,,,,,,,,');
  });
});
