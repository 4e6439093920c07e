import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import {
  EXTENSION_ID,
  api,
  dropStoreDir,
  labelOf,
  runEnded,
  screenshot,
  storedRun,
  useStoreDir,
  waitFor,
  workspaceFolder,
} from './helpers';

describe('Launching runs from the editor', function () {
  this.timeout(120_000);
  let storeDir: string;
  let script: vscode.Uri;

  const run = storedRun;
  const ended = runEnded;

  before(async () => {
    const folder = workspaceFolder();
    script = vscode.Uri.joinPath(folder.uri, 'train_small.py');
    const git = (...args: string[]): void => {
      execFileSync('git', args, { cwd: folder.uri.fsPath, stdio: 'ignore' });
    };
    git('init', '-q');
    git('config', 'user.email', 'suite@example.invalid');
    git('config', 'user.name', 'Suite');
    // The suite's own settings changes (.vscode/settings.json) must not make the tree dirty.
    await writeFile(join(folder.uri.fsPath, '.git', 'info', 'exclude'), '.vscode/\n');
    git('add', '.');
    git('commit', '-q', '-m', 'fixture');
    storeDir = await mkdtemp(join(tmpdir(), 'runlog-launch-'));
    await useStoreDir(storeDir);
  });

  after(async () => {
    await dropStoreDir(storeDir);
  });

  it('shows Run and Run with parameters lenses on a training script', async () => {
    await vscode.window.showTextDocument(script);
    const lenses = await waitFor('code lenses', async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', script);
      return found.length > 0 ? found : undefined;
    });
    assert.deepEqual(
      lenses.map((l) => l.command?.title),
      ['▶ Run', '▶ Run with parameters…'],
    );
  });

  it('runs a script: params, metrics, git state and the output log land in the store', async () => {
    const ids = await vscode.commands.executeCommand<string[]>('runlog.runScript', script);
    assert.equal(ids.length, 1);
    const details = await ended(ids[0]);
    assert.equal(details.status, 'FINISHED');
    assert.equal(details.exitCode, 0);
    assert.deepEqual(details.params, { epochs: '3', lr: '0.01', optimizer: 'sgd', sleep: '0' });
    const loss = details.metrics.find((m) => m.key === 'loss');
    assert.equal(loss?.count, 3);
    assert.match(details.git?.commit ?? '', /^[0-9a-f]{40}$/);
    assert.equal(details.git?.dirty, false, details.git?.patch.slice(0, 500));
    assert.equal(details.entryPoint, 'train_small.py');
    assert.ok(
      details.artifacts.some((a) => a.path === 'output.log' && a.size > 0),
      'the output is kept',
    );
    assert.deepEqual(details.rejected, []);
  });

  it('opens the output log of a run from the Runs view', async () => {
    const { runs } = await api();
    runs.refresh();
    const [experiment] = await runs.getChildren();
    assert.ok(experiment);
    const [node] = await runs.getChildren(experiment);
    assert.ok(node && node.kind === 'run');
    await vscode.commands.executeCommand('runlog.openOutputLog', node);
    const editor = await waitFor('the output log', () =>
      vscode.window.activeTextEditor?.document.uri.fsPath.endsWith('output.log')
        ? vscode.window.activeTextEditor
        : undefined,
    );
    assert.match(editor.document.getText(), /epoch 2 loss 0\.9703/);
    // Copy Run ID is not exercised here: the browser's clipboard in code-server waits for a
    // permission no one grants in a headless run.
  });

  it('launches a sweep of three values as three runs, remembered for Rerun last', async () => {
    const { launcher } = await api();
    const ids = await launcher.launchWith(script, { values: { lr: '0.1,0.01,0.001' }, extra: [] });
    assert.equal(ids.length, 3);
    const runs = await Promise.all(ids.map(ended));
    assert.deepEqual(
      runs.map((r) => [r.status, r.params['lr']]),
      [
        ['FINISHED', '0.1'],
        ['FINISHED', '0.01'],
        ['FINISHED', '0.001'],
      ],
    );
    assert.ok(runs.every((r) => r.tags['runlog.sweep'] === 'train_small.py × 3'));
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', script);
    assert.equal(lenses[2]?.command?.title, '↻ Rerun last (lr=0.1,0.01,0.001)');
  });

  it('runs the demo project: a forest, its metrics per tree, the dataset digest and the model', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    const demo = join(workspaceFolder().uri.fsPath, 'house-prices');
    await cp(join(extension.extensionPath, 'examples', 'house-prices'), demo, { recursive: true });
    const train = vscode.Uri.joinPath(workspaceFolder().uri, 'house-prices', 'train.py');
    // The lens provider command reads the editor's model of the file: open it first.
    await vscode.workspace.openTextDocument(train);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', train);
    assert.equal(lenses[1]?.command?.title, '▶ Run with parameters…');
    const { launcher } = await api();
    const [id] = await launcher.launchWith(train, { values: { model: 'forest', n_estimators: '4' }, extra: [] }, false);
    assert.ok(id);
    const details = await ended(id);
    assert.equal(details.status, 'FINISHED', details.error ?? '');
    assert.equal(details.experiment, 'house-prices');
    assert.equal(details.params['n_estimators'], '4');
    const rmse = details.metrics.find((m) => m.key === 'rmse');
    assert.equal(rmse?.count, 4, 'one RMSE per tree');
    assert.ok((details.metrics.find((m) => m.key === 'r2')?.last ?? 0) > 0.8, 'the forest predicts prices');
    assert.equal(details.inputs[0]?.name, 'houses');
    assert.deepEqual(
      details.models.map((m) => [m.name, m.files.map((f) => f.path).sort()]),
      [
        [
          'model',
          [
            'model/MLmodel',
            'model/code/models.py',
            'model/input_example.json',
            'model/model.pkl',
            'model/python_env.yaml',
            'model/requirements.txt',
          ],
        ],
      ],
    );
    const [folder] = (await api()).storeFolders();
    assert.ok(folder);
    const version = await waitFor('the demo model in the registry', async () => {
      const models = await folder.store.call('registeredModels');
      return models.find((m) => m.name === 'house-prices')?.versions.find((v) => v.runId === id);
    });
    assert.deepEqual(version.aliases, ['champion'], 'the first model of the store is the champion');
    await servesTheChampion(extension.extensionPath);
  });

  /** `python -m runlog.serve` (what the Serve Model command runs) answers for the champion. */
  async function servesTheChampion(extensionPath: string): Promise<void> {
    const server = spawn('python3', ['-m', 'runlog.serve', '--model', 'models:/house-prices@champion'], {
      env: { ...process.env, PYTHONPATH: join(extensionPath, 'python'), RUNLOG_DIR: storeDir },
    });
    try {
      let output = '';
      server.stdout.on('data', (data: Buffer) => (output += data.toString()));
      server.stderr.on('data', (data: Buffer) => (output += data.toString()));
      const url = await waitFor(
        'the scoring server',
        () => /^Serving \S+ at (http:\/\/127\.0\.0\.1:\d+)$/m.exec(output)?.[1],
      );
      const response = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          dataframe_split: { columns: ['rooms', 'area_m2', 'age_years', 'distance_km'], data: [[3, 120, 15, 4.5]] },
        }),
      });
      assert.equal(response.status, 200);
      const { predictions } = (await response.json()) as { predictions: [number] };
      assert.equal(predictions.length, 1);
      assert.ok(predictions[0] > 50_000 && predictions[0] < 1_000_000, `a house price, not ${predictions[0]}`);
    } finally {
      server.kill('SIGTERM');
    }
  }

  it('shows the registered demo model in the Models view, serves it, and manages its versions', async () => {
    const { models } = await api();
    const versions = async (): Promise<{ label: string; description: string }[]> => {
      models.refresh();
      const roots = await models.getChildren();
      const demo = roots.find((n) => n.kind === 'model' && n.model.name === 'house-prices');
      if (!demo) return [];
      return (await models.getChildren(demo)).map((n) => {
        const item = models.getTreeItem(n);
        return { label: labelOf(item), description: String(item.description) };
      });
    };
    const shown = await waitFor('the demo model in the Models view', async () => {
      const list = await versions();
      return list.length > 0 ? list : undefined;
    });
    assert.equal(shown[0]?.label, 'v1');
    assert.match(shown[0]?.description ?? '', /^@champion · [a-z]+-[a-z]+ · r2 /, 'alias, run, key metric');
    await vscode.commands.executeCommand('runlog.models.focus');
    await screenshot('models');

    // Serve Model: a scoring server in a terminal, answering MLflow's payloads.
    const url = await vscode.commands.executeCommand<string | undefined>('runlog.serveModel', {
      name: 'house-prices',
      version: 1,
    });
    assert.ok(url, 'the server started');
    try {
      const response = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          dataframe_split: { columns: ['rooms', 'area_m2', 'age_years', 'distance_km'], data: [[4, 150, 5, 2]] },
        }),
      });
      assert.equal(response.status, 200);
      const bad = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"inputs": ',
      });
      assert.equal(bad.status, 400);
    } finally {
      vscode.window.terminals.find((t) => t.name === 'Serve house-prices v1')?.dispose();
    }

    // Aliases move through the Python client's lock; versions are numbered by it.
    assert.equal(
      await vscode.commands.executeCommand('runlog.setModelAlias', { name: 'house-prices', version: 1 }, 'production'),
      true,
    );
    await waitFor('the new alias', async () =>
      (await versions())[0]?.description.startsWith('@champion · @production') ? true : undefined,
    );
    assert.equal(
      await vscode.commands.executeCommand(
        'runlog.removeModelAlias',
        { name: 'house-prices', version: 1 },
        'production',
      ),
      true,
    );
    const [folder] = (await api()).storeFolders();
    assert.ok(folder);
    const [model] = await folder.store.call('registeredModels');
    const runId = model?.versions[0]?.runId;
    assert.ok(runId);
    // The run's Models section opens the manifest as a page.
    const summary = await vscode.commands.executeCommand<vscode.TextDocument>('runlog.showModelSummary', {
      runId,
      model: 'model',
    });
    assert.match(summary.getText(), /registered as: house-prices v1 @champion/);
    assert.match(summary.getText(), /\| model\/model\.pkl \|/);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    const version = await vscode.commands.executeCommand<number>('runlog.registerModel', {
      runId,
      model: 'model',
      name: 'house-prices',
    });
    assert.equal(version, 2);
    assert.equal(
      await vscode.commands.executeCommand(
        'runlog.deleteModelVersion',
        { name: 'house-prices', version: 2 },
        undefined,
        {
          confirm: false,
        },
      ),
      true,
    );
    const after = await waitFor('the deleted version gone', async () => {
      const list = await versions();
      return list.length === 1 ? list : undefined;
    });
    assert.equal(after[0]?.description.startsWith('@champion · '), true);
  });

  it('runs an MLproject entry point, with a sweep, the way MLflow renders its command', async () => {
    const { launcher } = await api();
    const mlproject = vscode.Uri.joinPath(workspaceFolder().uri, 'house-prices', 'MLproject');
    const ids = await launcher.launchEntryPoint(mlproject, 'main', {
      values: { model: 'linear,forest', n_estimators: '2', epochs: '5' },
      extra: [],
    });
    assert.equal(ids.length, 2);
    const runs = await Promise.all(ids.map(ended));
    assert.deepEqual(
      runs.map((r) => [r.status, r.params['model'], r.experiment, r.entryPoint]),
      [
        ['FINISHED', 'linear', 'house-prices', 'house-prices/MLproject › main'],
        ['FINISHED', 'forest', 'house-prices', 'house-prices/MLproject › main'],
      ],
    );
    assert.equal(
      runs[0]?.command,
      'python train.py --model linear --n-estimators 2 --max-depth 6 --epochs 5 --lr 0.05',
    );
    assert.equal(runs[0]?.metrics.find((m) => m.key === 'rmse')?.count, 5, 'one RMSE per epoch');
  });

  it('stops a running run: it ends KILLED with what it logged so far', async () => {
    const { launcher } = await api();
    const [id] = await launcher.launchWith(script, { values: { epochs: '600', sleep: '0.05' }, extra: [] }, false);
    assert.ok(id);
    await waitFor('the run to log', async () => ((await run(id))?.metrics[0]?.count ?? 0) > 2 || undefined);
    await vscode.commands.executeCommand('runlog.stopRun', id);
    const details = await ended(id);
    assert.equal(details.status, 'KILLED');
    assert.ok((details.metrics[0]?.count ?? 0) < 600);
  });

  it('reads metrics from the printed lines of a script that logs nothing itself', async () => {
    const printer = vscode.Uri.joinPath(workspaceFolder().uri, 'print_metrics.py');
    const [id] = await vscode.commands.executeCommand<string[]>('runlog.runScript', printer);
    assert.ok(id);
    const details = await ended(id);
    assert.equal(details.status, 'FINISHED');
    const metrics = Object.fromEntries(details.metrics.map((m) => [m.key, [m.count, m.last]]));
    assert.deepEqual(metrics, { acc: [3, 0.7], loss: [3, 0.333] });
  });

  it('shows a run started from a plain terminal', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    const child = spawn('python3', [script.fsPath, '--epochs', '2'], {
      cwd: workspaceFolder().uri.fsPath,
      env: {
        ...process.env,
        PYTHONPATH: join(extension.extensionPath, 'python'),
        RUNLOG_DIR: storeDir,
        RUNLOG_RUN_ID: '',
      },
      stdio: 'ignore',
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    const { runs } = await api();
    const names = await waitFor('the terminal run in the Runs view', async () => {
      runs.refresh();
      const [experiment] = await runs.getChildren();
      const list = experiment ? await runs.getChildren(experiment) : [];
      return list.length === 7 ? list.map((n) => labelOf(runs.getTreeItem(n))) : undefined;
    });
    assert.equal(names.length, 7);
  });
});
