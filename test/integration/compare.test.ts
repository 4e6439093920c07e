import * as assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RenderReport } from '../../shared/compareProtocol';
import { api, dropStoreDir, screenshot, useStoreDir, waitFor, workspaceFolder, writeJournal } from './helpers';

const HOSTILE = '<img src=x onerror=alert(1)>';
const NOTE = `**Best** so far ${HOSTILE} [quit](command:workbench.action.quit)`;

describe('Compare panel', () => {
  let storeDir: string;

  const journal = (id: string, lines: object[], flag: 'w' | 'a' = 'w'): Promise<void> =>
    writeJournal(storeDir, id, lines, flag);

  /** The next report of a webview that drew exactly these runs and satisfies `check`. */
  async function rendered(runIds: string[], check: (r: RenderReport) => boolean = () => true): Promise<RenderReport> {
    const { compare } = await api();
    return waitFor(`the compare panel to draw ${runIds.join(', ')}`, () => {
      const report = compare.lastRendered;
      return report && report.runIds.join() === runIds.join() && check(report) ? report : undefined;
    });
  }

  before(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'runlog-compare-'));
    const git = (commit: string, patch: string): object => ({
      t: 'git',
      ts: 1_700_000_000_001,
      commit,
      branch: 'main',
      dirty: patch !== '',
      patch,
      untracked: [],
    });
    await journal('run-x', [
      { t: 'run_start', ts: 1_700_000_000_000, run_id: 'run-x', name: HOSTILE, experiment: 'compare' },
      git('1111111111111111111111111111111111111111', 'diff --git a/train.py b/train.py\n-lr = 1\n+lr = 0.1\n'),
      { t: 'param', ts: 1_700_000_000_002, key: 'lr', value: '0.1' },
      { t: 'param', ts: 1_700_000_000_002, key: 'optimizer', value: 'adam' },
      { t: 'param', ts: 1_700_000_000_002, key: 'note', value: `${HOSTILE}|a\nb` },
      { t: 'tag', ts: 1_700_000_000_002, key: 'mlflow.note.content', value: NOTE },
      { t: 'metric', ts: 1_700_000_000_003, key: 'val_loss', value: 0.5, step: 0 },
      { t: 'metric', ts: 1_700_000_000_004, key: 'val_loss', value: 0.4, step: 1 },
      { t: 'run_end', ts: 1_700_000_060_000, status: 'FINISHED' },
    ]);
    await journal('run-y', [
      { t: 'run_start', ts: 1_700_000_100_000, run_id: 'run-y', name: 'calm-fox', experiment: 'compare' },
      git('2222222222222222222222222222222222222222', ''),
      { t: 'param', ts: 1_700_000_100_002, key: 'lr', value: '0.01' },
      { t: 'param', ts: 1_700_000_100_002, key: 'optimizer', value: 'adam' },
      { t: 'metric', ts: 1_700_000_100_003, key: 'val_loss', value: 0.3, step: 0 },
      { t: 'metric', ts: 1_700_000_100_004, key: 'val_loss', value: 0.2, step: 1 },
    ]);
    await useStoreDir(storeDir);
    await waitFor('the store to read both runs', async () => {
      const [folder] = (await api()).storeFolders();
      const runs = await folder?.store.call('listRuns', {}).catch(() => undefined);
      return runs?.total === 2 ? true : undefined;
    });
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await dropStoreDir(storeDir);
  });

  it('shows which params differ, and HTML in a run name and a param as text', async () => {
    await vscode.commands.executeCommand('runlog.compareRuns', { runIds: ['run-x', 'run-y'] });
    const report = await rendered(['run-x', 'run-y']);
    assert.ok(report.differing.includes('params.lr'), 'lr differs');
    assert.ok(report.differing.includes('params.note'), 'only one run has a note');
    assert.ok(!report.differing.includes('params.optimizer'), 'both used adam');
    assert.ok(report.differing.includes('metrics.val_loss.last'));
    assert.ok(report.bestCells >= 1, 'the lower val_loss is marked best');
    assert.ok(report.elements > 50, `the panel drew its table and plots (${report.elements} elements)`);
    assert.equal(report.images, 0, 'the run name, the param and the note stayed text: no <img> was created');
    assert.ok(report.differing.includes('run.note'), 'one run has a note');
    assert.deepEqual(report.notes, [
      '<div class="note"><p><strong>Best</strong> so far &lt;img src=x onerror=alert(1)&gt; ' +
        '[quit](command:workbench.action.quit)</p></div>',
      '',
    ]);
    await screenshot('compare-note');
    const { compare } = await api();
    assert.match(compare.current?.panel.title ?? '', /calm-fox/);
  });

  it('exports the comparison as a Markdown table', async () => {
    const { compare } = await api();
    assert.ok(compare.current, 'a compare panel is open');
    await compare.current.export('markdown', 'document', false);
    const document = await waitFor('the Markdown document', () => {
      const editor = vscode.window.activeTextEditor;
      return editor?.document.languageId === 'markdown' ? editor.document : undefined;
    });
    const lines = document.getText().split('\n');
    assert.equal(lines[0], '|  | &lt;img src=x onerror=alert(1)&gt; | calm-fox |');
    assert.equal(lines[1], '| --- | --- | --- |');
    assert.ok(lines.includes('| params.lr | 0.1 | 0.01 |'), document.getText());
    assert.ok(lines.includes('| params.note | &lt;img src=x onerror=alert(1)&gt;\\|a<br>b | — |'), document.getText());
    assert.ok(lines.includes('| metrics.val\\_loss (last) | 0.4 | **0.2** |'), document.getText());
    assert.ok(
      lines.includes(
        '| note | Best so far &lt;img src=x onerror=alert(1)&gt; \\[quit\\](command:workbench.action.quit) | — |',
      ),
      document.getText(),
    );
    assert.ok(!document.getText().includes('<img'), 'no raw HTML in the export');
    // An untitled document is dirty: plain Close would wait on a "Save changes?" dialog.
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('saves the comparison as CSV through the save dialog', async () => {
    const { compare } = await api();
    assert.ok(compare.current);
    const target = vscode.Uri.joinPath(workspaceFolder().uri, 'runs-comparison.csv');
    await vscode.workspace.fs.delete(target).then(undefined, () => undefined);
    const saving = compare.current.export('csv', 'save', true);
    // code-server's save dialog is a quick input prefilled with the suggested path: accept it.
    const saved = await waitFor('the CSV file', async () => {
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      return vscode.workspace.fs.readFile(target).then(
        (bytes) => Buffer.from(bytes).toString('utf8'),
        () => undefined,
      );
    });
    await saving;
    await vscode.workspace.fs.delete(target);
    const [header, x, y] = saved.split('\r\n');
    assert.ok(header.startsWith('run_id,name,'), header);
    assert.ok(header.includes('params.lr') && !header.includes('params.optimizer'), 'only the differences');
    assert.ok(x.startsWith('run-x,<img src=x onerror=alert(1)>,'), x);
    assert.ok(x.includes('"<img src=x onerror=alert(1)>|a\nb"'), 'a field with a line break is quoted');
    assert.ok(y.startsWith('run-y,calm-fox,'), y);
  });

  it('follows a run that logs new metrics', async () => {
    await journal('run-y', [{ t: 'metric', ts: 1_700_000_100_010, key: 'accuracy', value: 0.9, step: 2 }], 'a');
    const report = await rendered(['run-x', 'run-y'], (r) => r.differing.includes('metrics.accuracy.last'));
    assert.ok(report.differing.includes('params.lr'));
  });

  it("opens a diff of two runs' code", async () => {
    await vscode.commands.executeCommand('runlog.diffRunCode', { runIds: ['run-x', 'run-y'] });
    const input = await waitFor('the diff editor', () => {
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      return tab?.input instanceof vscode.TabInputTextDiff ? tab.input : undefined;
    });
    const left = await vscode.workspace.openTextDocument(input.original);
    const right = await vscode.workspace.openTextDocument(input.modified);
    assert.match(
      left.getText(),
      /^# commit 1111111111111111111111111111111111111111 on main, with uncommitted changes$/m,
    );
    assert.match(left.getText(), /^\+lr = 0\.1$/m);
    assert.match(right.getText(), /^# commit 2222222222222222222222222222222222222222 on main$/m);
    assert.match(right.getText(), /no uncommitted changes/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('takes the runs selected in the Runs view', async () => {
    const { runs } = await api();
    runs.refresh();
    const [experiment] = await runs.getChildren();
    assert.ok(experiment);
    const nodes = await runs.getChildren(experiment);
    await vscode.commands.executeCommand('runlog.compareRuns', nodes[0], nodes);
    await rendered(['run-y', 'run-x']);
  });

  it('comes back with its runs when VS Code restores it after a reload', async () => {
    const { compare } = await api();
    const panel = vscode.window.createWebviewPanel('runlog.compare', 'Compare Runs', vscode.ViewColumn.Active, {
      enableScripts: true,
    });
    await compare.deserializeWebviewPanel(panel, { runIds: ['run-y'], onlyDifferences: true });
    const report = await rendered(['run-y']);
    assert.equal(report.images, 0);
    assert.equal(compare.current?.panel, panel, 'the restored panel is the one Compare Runs reuses');
    panel.dispose();
  });
});
