import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../src/app/commands';
import { prepareDemoProject } from '../../src/commands/openDemoProject';
import { EXTENSION_ID, api, dropStoreDir, labelOf, useStoreDir, waitFor, writeJournal } from './helpers';

describe('Runlog extension', () => {
  it('runs inside a real VS Code', () => {
    assert.match(vscode.version, /^\d+\.\d+\.\d+/);
    assert.ok(vscode.env.appName.length > 0);
  });

  it('activates and registers its commands: every contributed one and the internal ones, no other', async () => {
    await api();
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      contributes: { commands: { command: string }[]; views: Record<string, { id: string }[]> };
    };
    // VS Code registers `<view>.focus` and the like for each view itself.
    const views = Object.values(manifest.contributes.views).flatMap((list) => list.map((view) => `${view.id}.`));
    const registered = (await vscode.commands.getCommands(true)).filter(
      (id) => id.startsWith('runlog.') && !views.some((view) => id.startsWith(view)),
    );
    const internal = Object.entries(COMMANDS)
      .filter(([, declaration]) => declaration.kind === 'internal')
      .map(([id]) => id);
    assert.deepEqual(registered.sort(), [...manifest.contributes.commands.map((c) => c.command), ...internal].sort());
  });

  it('contributes the Runlog container, the Runs and Models views and their welcome content', () => {
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as {
      contributes: { views: Record<string, { id: string }[]>; viewsWelcome: { view: string; contents: string }[] };
    };
    assert.deepEqual(
      manifest.contributes.views['runlog']?.map((v) => v.id),
      ['runlog.runs', 'runlog.models'],
    );
    const welcome = manifest.contributes.viewsWelcome.find((w) => w.view === 'runlog.runs');
    assert.match(welcome?.contents ?? '', /No runs yet/);
    assert.match(welcome?.contents ?? '', /\[Start a Run\]\(command:runlog\.startRun\)/);
    assert.match(welcome?.contents ?? '', /\[Open the Demo Project\]\(command:runlog\.openDemoProject\)/);
    assert.match(welcome?.contents ?? '', /\[Install Python Client\]\(command:runlog\.installPythonClient\)/);
    const models = manifest.contributes.viewsWelcome.find((w) => w.view === 'runlog.models');
    assert.match(models?.contents ?? '', /No registered models yet/);
  });

  it('resolves the Runs view, empty for an empty store', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.runlog');
    await vscode.commands.executeCommand('runlog.runs.focus');
    const { runs } = await api();
    runs.refresh();
    assert.deepEqual(await runs.getChildren(), []);
  });

  describe('with runs in the store', () => {
    let storeDir: string;

    before(async () => {
      storeDir = await mkdtemp(join(tmpdir(), 'runlog-store-'));
      const journal = (id: string, lines: object[]): Promise<void> => writeJournal(storeDir, id, lines);
      await journal('run-a', [
        {
          t: 'run_start',
          ts: 1_700_000_000_000,
          run_id: 'run-a',
          name: '<b>bright-owl</b>',
          experiment: 'house-prices',
        },
        { t: 'param', ts: 1_700_000_000_001, key: 'lr', value: '0.01' },
        { t: 'metric', ts: 1_700_000_000_002, key: 'rmse', value: 0.5, step: 0 },
        { t: 'metric', ts: 1_700_000_000_003, key: 'rmse', value: 0.25, step: 1 },
        { t: 'run_end', ts: 1_700_000_000_004, status: 'FINISHED' },
      ]);
      await journal('run-b', [
        { t: 'run_start', ts: 1_700_000_100_000, run_id: 'run-b', name: 'calm-fox', experiment: 'house-prices' },
      ]);
      await useStoreDir(storeDir);
    });

    after(async () => {
      await dropStoreDir(storeDir);
      const { runs } = await api();
      runs.refresh();
    });

    it('shows experiments, runs, params and metrics', async () => {
      const { runs } = await api();
      const experiments = await waitFor('the store to be read', async () => {
        const nodes = await runs.getChildren();
        return nodes.length > 0 ? nodes : undefined;
      });
      assert.equal(experiments.length, 1);
      const experimentItem = runs.getTreeItem(experiments[0]);
      assert.equal(labelOf(experimentItem), 'house-prices');
      const runNodes = await runs.getChildren(experiments[0]);
      const labels = runNodes.map((n) => labelOf(runs.getTreeItem(n)));
      assert.deepEqual(labels, ['calm-fox', '<b>bright-owl</b>'], 'newest first, names shown as given');
      const finished = runs.getTreeItem(runNodes[1]);
      assert.match(String(finished.description), /^rmse 0\.25 · /, 'the key metric shows beside the run');
      const tooltip = finished.tooltip as vscode.MarkdownString;
      assert.ok(!tooltip.value.includes('<b>'), 'a run name with HTML is escaped in the tooltip');
      const sections = await runs.getChildren(runNodes[1]);
      const values = (await Promise.all(sections.map((s) => runs.getChildren(s)))).flat();
      const described = values.map((n) => {
        const item = runs.getTreeItem(n);
        return `${labelOf(item)}=${String(item.description)}`;
      });
      assert.deepEqual(described, ['lr=0.01', 'rmse=0.25 (min 0.25, max 0.5; best 0.25 at step 1)']);
    });

    it('filters and sorts runs with the store query language', async () => {
      const { runs } = await api();
      const namesUnder = async (): Promise<string[]> => {
        const [experiment] = await runs.getChildren();
        return experiment ? (await runs.getChildren(experiment)).map((n) => labelOf(runs.getTreeItem(n))) : [];
      };
      try {
        runs.setQuery({ filter: 'metrics.rmse < 0.3', sort: { key: 'start_time', descending: true } });
        assert.deepEqual(await namesUnder(), ['<b>bright-owl</b>']);
        runs.setQuery({ sort: { key: 'name', descending: false } });
        assert.deepEqual(await namesUnder(), ['<b>bright-owl</b>', 'calm-fox']);
        runs.setQuery({ filter: "params.lr = '0.5'", sort: { key: 'start_time', descending: true } });
        assert.deepEqual(await runs.getChildren(), [], 'a filter that matches nothing leaves the view empty');
      } finally {
        runs.setQuery({ sort: { key: 'start_time', descending: true } });
      }
    });

    it('shows points a running run logs within seconds, without a manual refresh', async () => {
      const { runs } = await api();
      await writeFile(
        join(storeDir, 'runs', 'run-b', 'events.jsonl'),
        JSON.stringify({ t: 'metric', ts: 1_700_000_100_500, key: 'loss', value: 0.125, step: 0 }) + '\n',
        { flag: 'a' },
      );
      const description = await waitFor('the new point in the Runs view', async () => {
        const [experiment] = await runs.getChildren();
        const [newest] = experiment ? await runs.getChildren(experiment) : [];
        const text = newest ? String(runs.getTreeItem(newest).description) : '';
        return text.startsWith('loss 0.125') ? text : undefined;
      });
      assert.match(description, /^loss 0\.125 · /);
    });
  });

  it('copies the demo project out of the extension for Open the Demo Project', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    const storage = vscode.Uri.file(await mkdtemp(join(tmpdir(), 'runlog-demo-')));
    const demo = await prepareDemoProject(extension.extensionUri, storage);
    assert.ok(existsSync(join(demo.fsPath, 'README.md')), 'the demo is copied with its README');
    await rm(storage.fsPath, { recursive: true, force: true });
  });
});
