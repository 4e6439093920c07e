import * as assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ExportSummary } from '../../src/mlruns/mlrunsExport';
import type { ImportSummary } from '../../src/mlruns/mlrunsImport';
import type { RunsTreeNode } from '../../src/views/runsTreeProvider';
import { api, dropStoreDir, labelOf, screenshot, useStoreDir, waitFor } from './helpers';

type RunNode = Extract<RunsTreeNode, { kind: 'run' }>;

/** The committed fixture, written as MLflow's file store writes it (out/test/integration → the repository). */
const FIXTURE = join(__dirname, '..', '..', '..', 'test', 'unit', 'fixtures', 'mlruns');
const OWL = '3f2a9c1d4b5e6f708192a3b4c5d6e7f8';
const HERON = '0123456789abcdef0123456789abcdef';

describe('MLflow import and export', function () {
  this.timeout(90_000);
  let storeDir: string;
  let out: string;

  async function childrenLabelled(parent: RunsTreeNode | undefined, label: string): Promise<RunsTreeNode | undefined> {
    const { runs } = await api();
    return (await runs.getChildren(parent)).find((n) => labelOf(runs.getTreeItem(n)) === label);
  }

  async function runsUnder(label: string): Promise<RunNode[]> {
    const { runs } = await api();
    const parent = await childrenLabelled(undefined, label);
    if (!parent) return [];
    return (await runs.getChildren(parent)).filter((n): n is RunNode => n.kind === 'run');
  }

  async function sectionValues(node: RunNode, section: string): Promise<string[]> {
    const { runs } = await api();
    const found = await childrenLabelled(node, section);
    assert.ok(found, `a ${section} section`);
    return (await runs.getChildren(found)).map(
      (n) => `${labelOf(runs.getTreeItem(n))}=${String(runs.getTreeItem(n).description)}`,
    );
  }

  before(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'runlog-mlruns-store-'));
    out = await mkdtemp(join(tmpdir(), 'runlog-mlruns-out-'));
    await useStoreDir(storeDir);
  });

  after(async () => {
    await dropStoreDir(storeDir);
    await rm(out, { recursive: true, force: true });
  });

  it('imports an mlruns folder: its runs show in the Runs view with their params and metrics', async () => {
    const summary = await vscode.commands.executeCommand<ImportSummary>('runlog.importMlflowRuns', { folder: FIXTURE });
    assert.equal(summary.imported, 5);
    assert.equal(summary.experiments, 3);
    assert.deepEqual(summary.unreadable, []);
    const owl = await waitFor('bright-owl under Default', async () =>
      (await runsUnder('Default')).find((n) => n.run.id === OWL),
    );
    assert.equal(owl.run.name, 'bright-owl');
    assert.equal(owl.run.status, 'FINISHED');
    assert.deepEqual(await sectionValues(owl, 'Params'), ['epochs=3', 'lr=0.01', 'optimizer/name=adam']);
    const metrics = await sectionValues(owl, 'Metrics');
    assert.ok(
      metrics.some((m) => m.startsWith('loss=')),
      metrics.join(', '),
    );
    assert.ok(
      metrics.some((m) => m.startsWith('val/rmse=')),
      metrics.join(', '),
    );
    const heron = (await runsUnder('house-prices')).find((n) => n.run.id === HERON);
    assert.equal(heron?.run.name, 'calm-heron');
    const { runs } = await api();
    const trash = await childrenLabelled(undefined, 'Trash');
    assert.ok(trash, 'deleted runs are in the Trash');
    const trashed = (await runs.getChildren(trash)).map((n) => (n.kind === 'run' ? n.run.name : '')).sort();
    assert.deepEqual(trashed, ['lucky-yak', 'quick-fox']);

    await vscode.commands.executeCommand('workbench.view.extension.runlog');
    assert.equal(await vscode.commands.executeCommand('runlog.revealRunInTree', { runIds: [OWL] }), true);
    await screenshot('mlruns-imported');

    const again = await vscode.commands.executeCommand<ImportSummary>('runlog.importMlflowRuns', { folder: FIXTURE });
    assert.equal(again.imported, 0, 'importing the same folder again adds nothing');
    assert.equal(again.skipped, 5);
  });

  it('exports runs as an mlruns folder in the layout MLflow writes', async () => {
    const summary = await vscode.commands.executeCommand<ExportSummary>('runlog.exportRunsToMlflow', {
      runIds: [OWL, HERON],
      folder: out,
    });
    assert.equal(summary.exported, 2);
    const target = join(out, 'mlruns');
    assert.deepEqual((await readdir(target)).sort(), ['.trash', '0', '746312902186592817']);
    const run = join(target, '0', OWL);
    const meta = await readFile(join(run, 'meta.yaml'), 'utf8');
    assert.match(meta, /^status: 3$/m);
    assert.match(meta, /^run_name: bright-owl$/m);
    assert.match(meta, /^experiment_id: '0'$/m);
    assert.equal(
      await readFile(join(run, 'metrics', 'val', 'rmse'), 'utf8'),
      await readFile(join(FIXTURE, '0', OWL, 'metrics', 'val', 'rmse'), 'utf8'),
    );
    assert.equal(await readFile(join(run, 'params', 'optimizer', 'name'), 'utf8'), 'adam');
    assert.equal(
      await readFile(join(run, 'tags', 'mlflow.source.git.commit'), 'utf8'),
      '4e1c0d2a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e',
    );
    assert.equal(await readFile(join(run, 'artifacts', 'plots', 'loss.txt'), 'utf8'), '0.9 0.5 0.25\n');
    assert.match(await readFile(join(target, '746312902186592817', HERON, 'meta.yaml'), 'utf8'), /^status: 1$/m);
  });
});
