import * as assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { escapeMarkdown } from '../../src/insights/insightText';
import { formatMetricValue } from '../../shared/formatValue';
import type { RunDetails } from '../../src/store/types';
import {
  EXTENSION_ID,
  api,
  dropStoreDir,
  runEnded,
  useStoreDir,
  waitFor,
  workspaceFolder,
  writeJournal,
} from './helpers';

/** The markdown of every hover at a position, joined. */
async function hoverText(uri: vscode.Uri, position: vscode.Position): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position);
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n---\n');
}

/** The position just inside the first occurrence of `text` in the document. */
function positionOf(document: vscode.TextDocument, text: string): vscode.Position {
  const offset = document.getText().indexOf(text);
  assert.ok(offset >= 0, `${text} is in ${document.uri.fsPath}`);
  return document.positionAt(offset + 1);
}

describe('Metrics inside the code', function () {
  this.timeout(120_000);
  let storeDir: string;
  let demo: string;
  let train: vscode.Uri;
  let run: RunDetails;

  const journal = (runId: string, lines: object[]): Promise<void> => writeJournal(storeDir, runId, lines);

  before(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'runlog-insights-'));
    await useStoreDir(storeDir);
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    demo = join(workspaceFolder().uri.fsPath, 'insights-demo');
    await cp(join(extension.extensionPath, 'examples', 'house-prices'), demo, { recursive: true });
    train = vscode.Uri.file(join(demo, 'train.py'));
    const { launcher } = await api();
    const [id] = await launcher.launchWith(train, { values: { model: 'forest', n_estimators: '3' }, extra: [] }, false);
    assert.ok(id);
    run = await runEnded(id);
    assert.equal(run.status, 'FINISHED', run.error ?? '');
    await vscode.window.showTextDocument(train);
  });

  after(async () => {
    await vscode.workspace
      .getConfiguration('runlog')
      .update('inlineValues', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await dropStoreDir(storeDir);
    await rm(demo, { recursive: true, force: true });
  });

  it('hovers a log_metrics key with its latest value, best, run count, sparkline and links', async () => {
    const rmse = run.metrics.find((m) => m.key === 'rmse');
    assert.ok(rmse);
    const document = await vscode.workspace.openTextDocument(train);
    const text = await waitFor('the rmse hover', async () => {
      const found = await hoverText(train, positionOf(document, '"rmse"'));
      return found.includes('rmse') && found.includes('1 run') ? found : undefined;
    });
    assert.ok(
      text.includes(`latest **${escapeMarkdown(formatMetricValue(rmse.last))}** in *${escapeMarkdown(run.name)}*`),
      text,
    );
    assert.ok(text.includes(`best **${escapeMarkdown(formatMetricValue(rmse.min))}** (lowest)`), text);
    assert.match(text, /1 run of `insights-demo\/train\.py` logged it/);
    assert.match(text, /!\[rmse in [^\]]*\]\(data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+\)/, 'a sparkline');
    assert.match(text, /\[Open Charts\]\(command:runlog\.openCharts\?/);
    // r2 is higher-is-better: its best is the run's maximum.
    const r2 = run.metrics.find((m) => m.key === 'r2');
    assert.ok(r2);
    const r2Text = await hoverText(train, positionOf(document, '"r2"'));
    assert.ok(r2Text.includes(`best **${escapeMarkdown(formatMetricValue(r2.max))}** (highest)`), r2Text);
  });

  it('hovers a parameter declaration with the values it took and the key metric each run reached', async () => {
    const document = await vscode.workspace.openTextDocument(train);
    const text = await hoverText(train, positionOf(document, '"--n-estimators"'));
    const rmse = run.metrics.find((m) => m.key === 'rmse');
    assert.ok(rmse);
    assert.match(text, /\*\*\\-\\-n\\-estimators\*\* in the 1 run of `insights-demo\/train\.py` that recorded it/);
    assert.match(text, /\| n\\_estimators \| rmse \(lowest\) \| run \|/);
    assert.ok(text.includes(`| 3 | **${escapeMarkdown(formatMetricValue(rmse.min))}** |`), text);
  });

  it('shows the summary lens next to the Run lenses', async () => {
    const rmse = run.metrics.find((m) => m.key === 'rmse');
    assert.ok(rmse);
    const lens = await waitFor('the summary lens', async () => {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', train);
      return lenses.find((l) => l.command?.title.startsWith('1 run'));
    });
    assert.equal(lens.command?.title, `1 run · best rmse ${formatMetricValue(rmse.min)} (${run.name})`);
    assert.equal(lens.command?.command, 'runlog.openCharts');
    assert.deepEqual(lens.command?.arguments, [{ runIds: [run.id], keys: ['rmse'] }]);
  });

  it('shows inline values after the logging line, and follows new runs', async () => {
    const { inlineValues } = await api();
    const document = await vscode.workspace.openTextDocument(train);
    const line = positionOf(document, 'runlog.log_metrics(').line;
    const value = (key: string): string => formatMetricValue(run.metrics.find((m) => m.key === key)?.last ?? NaN);
    const expected = `rmse ${value('rmse')} · r2 ${value('r2')} · ${run.name}`;
    await waitFor(
      'the inline values',
      () => inlineValues.shown(train).some((v) => v.line === line && v.text === expected) || undefined,
    );
    // A newer run of the script (written as a journal, as a script run from a terminal would).
    const ts = Date.now();
    await journal('newer-run', [
      { t: 'run_start', ts, run_id: 'newer-run', name: 'newer-owl', experiment: 'house-prices', source: train.fsPath },
      { t: 'metric', ts, key: 'rmse', value: 12345, step: 0 },
      { t: 'metric', ts, key: 'r2', value: 0.5, step: 0 },
    ]);
    const shown = await waitFor('the newer run inline', () =>
      inlineValues.shown(train).find((v) => v.text.endsWith('newer-owl')),
    );
    assert.deepEqual(shown, { line, text: 'rmse 12345 · r2 0.5 · newer-owl' });
    const lens = await waitFor('the summary lens to count both runs', async () => {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', train);
      return lenses.find((l) => l.command?.title.startsWith('2 runs'));
    });
    assert.equal(lens.command?.command, 'runlog.compareRuns');
    assert.deepEqual(lens.command?.arguments, [{ runIds: ['newer-run', run.id] }]);
  });

  it('turns inline values off with runlog.inlineValues', async () => {
    const { inlineValues } = await api();
    await vscode.workspace
      .getConfiguration('runlog')
      .update('inlineValues', false, vscode.ConfigurationTarget.Workspace);
    await waitFor('the inline values to go', () => inlineValues.shown(train).length === 0 || undefined);
    await vscode.workspace
      .getConfiguration('runlog')
      .update('inlineValues', undefined, vscode.ConfigurationTarget.Workspace);
    await waitFor('the inline values to come back', () => inlineValues.shown(train).length > 0 || undefined);
  });

  it('falls back to the runs of the whole store in a script that has none', async () => {
    const other = vscode.Uri.file(join(demo, 'evaluate.py'));
    await writeFile(
      other.fsPath,
      'import mlflow\n\nmlflow.log_metric("rmse", 1.0)\nmlflow.log_metric("never_logged", 2)\n',
    );
    const document = await vscode.workspace.openTextDocument(other);
    await vscode.window.showTextDocument(document);
    const text = await hoverText(other, positionOf(document, '"rmse"'));
    assert.match(text, /2 runs in this workspace logged it \(no run of `insights-demo\/evaluate\.py` did\)/);
    assert.match(text, /latest \*\*12345\*\* in \*newer\\-owl\*/);
    assert.match(
      await hoverText(other, positionOf(document, '"never_logged"')),
      /never\\_logged\*\* · no run logged it yet/,
    );
    const { inlineValues } = await api();
    const shown = await waitFor('inline values in the other script', () =>
      inlineValues.shown(other).length > 0 ? inlineValues.shown(other) : undefined,
    );
    assert.deepEqual(shown, [{ line: 2, text: 'rmse 12345 · newer-owl' }]);
  });
});
