import * as assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { TableReport } from '../../shared/runsTableProtocol';
import type { RunsTablePanel } from '../../src/panels/runsTablePanel';
import { api, dropStoreDir, screenshot, useStoreDir, waitFor, writeJournal } from './helpers';

const HOSTILE = '<img src=x onerror=alert(1)>';
const T0 = 1_700_000_000_000;

describe('Runs table', function () {
  this.timeout(90_000);
  let storeDir: string;
  let table: RunsTablePanel;

  const run = (id: string, n: number, lr: string, losses: number[], extra: object = {}, end = true): object[] => [
    { t: 'run_start', ts: T0 + n * 1000, run_id: id, name: `run-${id}`, experiment: 'table', ...extra },
    { t: 'param', ts: T0 + n * 1000 + 1, key: 'lr', value: lr },
    ...losses.map((value, step) => ({ t: 'metric', ts: T0 + n * 1000 + 2 + step, key: 'val_loss', value, step })),
    ...(end ? [{ t: 'run_end', ts: T0 + n * 1000 + 100, status: 'FINISHED' }] : []),
  ];

  /** The next report whose rows satisfy `check`. */
  async function drawn(what: string, check: (r: TableReport) => boolean): Promise<TableReport> {
    return waitFor(`the table to draw ${what}`, () => {
      const report = table.lastReport;
      return report && !report.rows.some((r) => r.kind === 'loading') && check(report) ? report : undefined;
    });
  }

  const runRows = (r: TableReport): string[] => r.rows.filter((row) => row.kind === 'run').map((row) => row.key);
  function cell(r: TableReport, runId: string, column: string): string | undefined {
    const at = r.columns.indexOf(column);
    return r.rows.find((row) => row.key === runId)?.cells[at];
  }

  before(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'runlog-table-'));
    await writeJournal(storeDir, 'a', run('a', 1, '0.1', [0.9, 0.5]));
    await writeJournal(storeDir, 'b', run('b', 2, '0.01', [0.8, 0.3]));
    await writeJournal(storeDir, 'c', run('c', 3, '0.001', [0.7, 0.4]));
    await writeJournal(storeDir, 'grid', run('grid', 4, '0.5', []));
    await writeJournal(storeDir, 'g1', run('g1', 5, '0.05', [0.6, 0.2], { parent_run_id: 'grid' }));
    await writeJournal(storeDir, 'g2', run('g2', 6, '0.005', [0.9, 0.35], { parent_run_id: 'grid' }));
    await writeJournal(storeDir, 'live', run('live', 7, '0.2', [1.0], {}, false));
    await useStoreDir(storeDir);
    const runlog = await api();
    await waitFor('the store to read every run', async () => {
      const page = await runlog
        .storeFolders()[0]
        ?.store.call('listRuns', {})
        .catch(() => undefined);
      return page?.total === 7 ? true : undefined;
    });
    table = await vscode.commands.executeCommand<RunsTablePanel>('runlog.openRunsTable');
  });

  after(async () => {
    table.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await dropStoreDir(storeDir);
    await rm(storeDir, { recursive: true, force: true });
  });

  it('opens with every top-level run as a row, children folded under their parent', async () => {
    const report = await drawn('five rows', (r) => r.runs === 7 && runRows(r).length === 5);
    assert.deepEqual(runRows(report), ['live', 'grid', 'c', 'b', 'a'], 'newest first');
    assert.ok(report.columns.includes('metrics.val_loss') && report.columns.includes('params.lr'));
    assert.equal(cell(report, 'b', 'params.lr'), '0.01');
    assert.match(cell(report, 'grid', 'metrics.val_loss') ?? '', /0\.2/, 'the parent sums up its children’s best');
    assert.equal(report.rowElements, report.rows.length, 'only the rows on screen are in the DOM');
    await screenshot('runs-table-open');
  });

  it('sorts by a metric in the store, and by several columns', async () => {
    table.updateLayout({ sorts: [{ column: 'metrics.val_loss', descending: false }] });
    const report = await drawn('sorted by val_loss', (r) => runRows(r)[0] === 'b');
    assert.deepEqual(runRows(report), ['b', 'c', 'a', 'live', 'grid'], 'a run without the metric sorts last');
    assert.ok(report.headers.some((h) => h.startsWith('val_loss') && h.includes('↑')));
    assert.deepEqual(
      report.rows.find((r) => r.key === 'grid')?.best,
      ['metrics.val_loss'],
      'the best over every run is a child’s, summed up in its parent',
    );
    table.updateLayout({
      stats: { 'metrics.val_loss': 'max' },
      sorts: [{ column: 'metrics.val_loss', descending: true }],
    });
    const maxima = await drawn('the highest val_loss of each run', (r) => r.headers.some((h) => h.includes('(max)')));
    assert.equal(cell(maxima, 'a', 'metrics.val_loss'), '0.9', 'a run’s highest value, not its last');
    assert.deepEqual(runRows(maxima).slice(0, 2), ['live', 'a'], 'sorted by the maximum, in the store');
    table.updateLayout({
      stats: {},
      sorts: [
        { column: 'run.status', descending: false },
        { column: 'params.lr', descending: true },
      ],
    });
    await drawn('sorted by status then lr', (r) => runRows(r).join() === 'grid,a,b,c,live');
    await screenshot('runs-table-sorted');
  });

  it('shares the filter with the Runs view both ways, and says what is wrong with a bad one', async () => {
    const runlog = await api();
    runlog.runsQuery.setFilter('params.lr < 0.05');
    const report = await drawn('the filtered runs', (r) => r.runs === 3);
    assert.deepEqual(
      new Set(runRows(report)),
      new Set(['b', 'c', 'g2']),
      'g2 stands alone: its parent is filtered out',
    );
    assert.equal(runlog.runs.currentQuery.filter, 'params.lr < 0.05', 'the Runs view filters the same');
    assert.throws(() => runlog.runsQuery.setFilter('params.lr <'), /expected|value/i);
    await screenshot('runs-table-filtered');
    runlog.runsQuery.setFilter('');
    await drawn('every run again', (r) => r.runs === 7);
  });

  it("adds a column's quick filter to the shared filter: a metric's range, a pick of a param's values", async () => {
    const runlog = await api();
    await table.quickFilter('metrics.val_loss', { min: 0.25, max: 0.45 });
    await table.quickFilter('params.lr', { values: ['0.01', '0.001', '0.005'] });
    assert.equal(
      runlog.runs.currentQuery.filter,
      "metrics.val_loss >= 0.25 AND metrics.val_loss <= 0.45 AND (params.lr = '0.01' OR params.lr = '0.001' OR params.lr = '0.005')",
      'the Runs view filters the same',
    );
    const report = await drawn('the quick-filtered runs', (r) => r.runs === 3);
    assert.deepEqual(new Set(runRows(report)), new Set(['b', 'c', 'g2']));
    await screenshot('runs-table-quick-filter');
    runlog.runsQuery.setFilter('');
    await drawn('every run again', (r) => r.runs === 7);
  });

  it('groups rows with counts and the best key metric', async () => {
    await vscode.workspace
      .getConfiguration('runlog')
      .update('keyMetric', 'val_loss', vscode.ConfigurationTarget.Workspace);
    try {
      table.updateLayout({ group: 'status', sorts: [{ column: 'run.start', descending: true }] });
      const report = await drawn('groups', (r) => r.rows.filter((row) => row.kind === 'group').length === 2);
      const groups = report.rows.filter((row) => row.kind === 'group').map((row) => row.cells[0]);
      assert.match(groups[0] ?? '', /FINISHED · 6 runs · best val_loss 0\.2/);
      assert.match(groups[1] ?? '', /RUNNING · 1 run/);
      await screenshot('runs-table-grouped');
    } finally {
      table.updateLayout({ group: null });
      await vscode.workspace
        .getConfiguration('runlog')
        .update('keyMetric', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('shows and hides columns, and pins them to the left', async () => {
    table.updateLayout({
      hidden: ['git.commit', 'git.branch', 'git.dirty', 'run.experiment', 'run.duration'],
      shown: ['spark.val_loss'],
      pinned: ['run.name', 'metrics.val_loss'],
    });
    const report = await drawn(
      'the chosen columns',
      (r) => r.columns[0] === 'run.name' && r.columns.includes('spark.val_loss'),
    );
    assert.equal(report.columns[1], 'metrics.val_loss');
    assert.ok(!report.columns.includes('git.commit'));
    await screenshot('runs-table-columns');
  });

  it('keeps the column order (a dragged header) per workspace: the table opened again has it', async () => {
    // The order a header drag sends (test/browser/runsTable.test.ts drags one in Chromium).
    table.updateLayout({ order: ['params.lr', 'run.status'] });
    await drawn('lr moved after the pinned columns', (r) => r.columns[2] === 'params.lr');
    table.dispose();
    table = await vscode.commands.executeCommand<RunsTablePanel>('runlog.openRunsTable');
    const report = await drawn('the new table', (r) => r.columns[2] === 'params.lr');
    assert.deepEqual(report.columns.slice(0, 4), ['run.name', 'metrics.val_loss', 'params.lr', 'run.status']);
    await screenshot('runs-table-reordered');
  });

  it('expands a parent to show its children under it', async () => {
    table.updateLayout({ expanded: ['grid'] });
    const report = await drawn('the children', (r) => r.rows.some((row) => row.key === 'g1'));
    const rows = report.rows.filter((row) => row.kind === 'run');
    const at = rows.findIndex((row) => row.key === 'grid');
    assert.deepEqual(
      rows.slice(at, at + 3).map((row) => `${row.depth}:${row.key}`),
      ['0:grid', '1:g2', '1:g1'],
    );
    await screenshot('runs-table-nested');
  });

  it('selects the same runs as the Runs view, and runs Compare on the table’s selection', async () => {
    const runlog = await api();
    const node = await runlog.runs.findRun('b');
    assert.ok(node);
    await runlog.runsView.reveal(node, { select: true });
    await drawn('the Runs view’s selection', (r) => r.selected.join() === 'b');
    await table.runCommand('runlog.compareRuns', ['b', 'c']);
    await waitFor('Compare of b and c', () =>
      runlog.compare.lastRendered?.runIds.join() === 'b,c' ? true : undefined,
    );
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    table.lastReport = undefined;
    table.panel.reveal();
    await drawn('the selection kept when the table is shown again', (r) => r.selected.join() === 'b');
  });

  it('shows a note as text in its cell: user text adds no element', async () => {
    table.updateLayout({ pinned: ['run.name', 'run.note'] });
    await vscode.commands.executeCommand('runlog.editNote', { runIds: ['a'] }, undefined, `**best** ${HOSTILE}`);
    const report = await drawn('the note', (r) => (cell(r, 'a', 'run.note') ?? '').includes('best'));
    assert.equal(cell(report, 'a', 'run.note'), `best ${HOSTILE}`);
    assert.equal(report.foreignElements, 0);
  });

  it('updates a running run in place, and writes the table as CSV', async () => {
    await writeJournal(
      storeDir,
      'live',
      [{ t: 'metric', ts: T0 + 7_500, key: 'val_loss', value: 0.125, step: 1 }],
      'a',
    );
    await drawn('the new value', (r) => cell(r, 'live', 'metrics.val_loss') === '0.125');
    await screenshot('runs-table-live');
    const target = vscode.Uri.file(join(storeDir, 'table.csv'));
    await table.writeCsv(target, ['run.name', 'params.lr', 'metrics.val_loss']);
    const lines = (await readFile(target.fsPath, 'utf8')).trim().split(/\r?\n/);
    assert.equal(lines[0], 'run_id,parent_run_id,run.name,params.lr,metrics.val_loss');
    assert.equal(lines.length, 8, 'every run, children included');
    assert.ok(lines.includes('g1,grid,run-g1,0.05,0.2'));
  });
});
