// The runs table in a workspace of two folders (the runner's multi-root suite): every folder's
// runs, each folder under a row naming it, sorted in each store, and Compare and Charts on runs of both.
import * as assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { TableReport } from '../../../shared/runsTableProtocol';
import type { RunsTablePanel } from '../../../src/panels/runsTablePanel';
import { api, screenshot, waitFor, writeJournal } from '../helpers';

const T0 = 1_700_000_000_000;

describe('Runs table in a multi-root workspace', function () {
  this.timeout(90_000);
  let table: RunsTablePanel;
  let storeDirs: string[] = [];

  const run = (id: string, n: number, loss: number): object[] => [
    { t: 'run_start', ts: T0 + n * 1000, run_id: id, name: `run-${id}`, experiment: 'roots' },
    { t: 'metric', ts: T0 + n * 1000 + 1, key: 'val_loss', value: loss, step: 0 },
    { t: 'run_end', ts: T0 + n * 1000 + 100, status: 'FINISHED' },
  ];

  async function drawn(what: string, check: (r: TableReport) => boolean): Promise<TableReport> {
    return waitFor(`the table to draw ${what}`, () => {
      const report = table.lastReport;
      return report && !report.rows.some((r) => r.kind === 'loading') && check(report) ? report : undefined;
    });
  }

  const shown = (r: TableReport): string[] =>
    r.rows.map((row) => (row.kind === 'group' ? (row.cells[0] ?? '') : row.key));

  before(async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.equal(folders.length, 2, 'the runner opens two workspace folders');
    storeDirs = folders.map((folder) => join(folder.uri.fsPath, '.runlog'));
    const [alpha, beta] = storeDirs as [string, string];
    await writeJournal(alpha, 'a1', run('a1', 1, 0.5));
    await writeJournal(alpha, 'a2', run('a2', 2, 0.2));
    await writeJournal(beta, 'b1', run('b1', 3, 0.3));
    const runlog = await api();
    await waitFor('both stores to read their runs', async () => {
      const totals = await Promise.all(
        runlog.storeFolders().map((f) =>
          f.store.call('listRuns', {}).then(
            (p) => p.total,
            () => -1,
          ),
        ),
      );
      return totals.join() === '2,1' ? true : undefined;
    });
    table = await vscode.commands.executeCommand<RunsTablePanel>('runlog.openRunsTable');
  });

  after(async () => {
    table.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const dir of storeDirs) await rm(join(dir, 'runs'), { recursive: true, force: true });
  });

  it("shows every folder's runs, each folder under a row naming it, sorted in its store", async () => {
    const names = (vscode.workspace.workspaceFolders ?? []).map((f) => f.name);
    table.updateLayout({ sorts: [{ column: 'metrics.val_loss', descending: false }] });
    const report = await drawn('both folders', (r) => r.runs === 3 && r.rows.length === 5 && shown(r)[1] === 'a2');
    assert.deepEqual(shown(report), [
      `▾ Workspace folder ${names[0] ?? ''} · 2 runs`,
      'a2',
      'a1',
      `▾ Workspace folder ${names[1] ?? ''} · 1 run`,
      'b1',
    ]);
    await screenshot('runs-table-multi-root');
  });

  it('writes both folders into the CSV, each line naming its folder', async () => {
    const names = (vscode.workspace.workspaceFolders ?? []).map((f) => f.name);
    const target = vscode.Uri.file(join(storeDirs[0] ?? '', 'table.csv'));
    await table.writeCsv(target, ['run.name', 'metrics.val_loss']);
    const lines = (await readFile(target.fsPath, 'utf8')).trim().split(/\r?\n/);
    assert.deepEqual(lines, [
      'workspace,run_id,parent_run_id,run.name,metrics.val_loss',
      `${names[0] ?? ''},a2,,run-a2,0.2`,
      `${names[0] ?? ''},a1,,run-a1,0.5`,
      `${names[1] ?? ''},b1,,run-b1,0.3`,
    ]);
    await rm(target.fsPath, { force: true });
  });

  it("compares runs of both folders from the table's selection", async () => {
    const runlog = await api();
    await table.runCommand('runlog.compareRuns', ['a2', 'b1']);
    await waitFor('Compare of a2 and b1', () =>
      runlog.compare.lastRendered?.runIds.join() === 'a2,b1' ? true : undefined,
    );
    await screenshot('runs-table-multi-root-compare');
  });

  it("charts runs of both folders from the table's selection, each from its own store", async () => {
    const runlog = await api();
    await table.runCommand('runlog.openCharts', ['a2', 'b1']);
    const drawn = await waitFor('Charts of a2 and b1', () => {
      const report = runlog.charts()?.lastReport;
      return report && report.charts === 1 && report.points === 2 ? report : undefined;
    });
    assert.deepEqual(drawn.legend, ['run-a2', 'run-b1']);
    assert.deepEqual(
      drawn.lines.map((line) => `${line.runId}: ${line.markers} marker`),
      ['a2: 1 marker', 'b1: 1 marker'],
      "each run's single val_loss point, read from its folder's store",
    );
    await screenshot('runs-table-multi-root-charts');
    runlog.charts()?.dispose();
  });
});
