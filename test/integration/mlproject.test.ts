import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RunDetails } from '../../src/store/types';
import { EXTENSION_ID, api, dropStoreDir, screenshot, useStoreDir, waitFor, workspaceFolder } from './helpers';

const BROKEN = [
  'name: broken',
  'python_env: envs/python_env.yaml',
  'entry_points:',
  '  train:',
  '    parameters:',
  '      lr: {type: float, default: fast}',
  '      epochs: {type: integer, default: 3}',
  '      seed: {type: int, default: 1}',
  '    comand: "python train.py"',
  '  eval:',
  '    parameters:',
  '      model: {type: uri, default: "runs:/x/model"}',
  '    command: "python eval.py --model {model} --batch {batch_size}"',
  '',
].join('\n');

function summary(diagnostics: readonly vscode.Diagnostic[]): string[] {
  return diagnostics.map(
    (d) =>
      `${d.range.start.line}:${d.range.start.character}-${d.range.end.character} ${vscode.DiagnosticSeverity[d.severity]} ${d.message}`,
  );
}

describe('MLproject files in the editor', function () {
  this.timeout(120_000);
  let storeDir: string;
  let brokenDir: string;

  before(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'runlog-mlproject-'));
    await useStoreDir(storeDir);
    brokenDir = join(workspaceFolder().uri.fsPath, 'mlproject-broken');
    await mkdir(brokenDir, { recursive: true });
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    const demo = join(workspaceFolder().uri.fsPath, 'house-prices');
    if (!existsSync(demo))
      await cp(join(extension.extensionPath, 'examples', 'house-prices'), demo, { recursive: true });
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await rm(brokenDir, { recursive: true, force: true });
    await dropStoreDir(storeDir);
  });

  it('is YAML, and shows its mistakes with their ranges as diagnostics', async () => {
    const uri = vscode.Uri.file(join(brokenDir, 'MLproject'));
    await writeFile(uri.fsPath, BROKEN);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    assert.equal(document.languageId, 'yaml');
    await api();
    const diagnostics = await waitFor('the diagnostics', () => {
      const found = vscode.languages.getDiagnostics(uri);
      return found.length > 0 ? found : undefined;
    });
    assert.deepEqual(summary(diagnostics), [
      '5:33-37 Warning The default of \'lr\' is "fast", not a float',
      "6:21-28 Warning Unknown type 'integer'; MLflow's parameter types are float, int, string, path, uri",
      "8:4-10 Warning Unknown key 'comand' (did you mean 'command'?); the entry point keys are parameters, command",
      "3:2-7 Error Entry point 'train' has no command",
      "12:53-65 Error The placeholder {batch_size} names no parameter of entry point 'eval'",
      "1:12-32 Error The python_env file 'envs/python_env.yaml' does not exist next to the MLproject file: MLflow will not run the project without it",
    ]);
    assert.ok(diagnostics.every((d) => d.source === 'MLproject'));
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    // The squiggles reach the renderer after getDiagnostics sees them; the screenshot is for people.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await screenshot('mlproject-diagnostics');
    await vscode.commands.executeCommand('workbench.action.closePanel');
  });

  it('updates the diagnostics as the file is edited and when the environment file appears', async () => {
    const uri = vscode.Uri.file(join(brokenDir, 'MLproject'));
    const document = await vscode.workspace.openTextDocument(uri);
    const edit = new vscode.WorkspaceEdit();
    // Fix the key, add an unused parameter, and break the YAML at the end.
    edit.replace(uri, new vscode.Range(8, 4, 8, 10), 'command');
    edit.insert(uri, new vscode.Position(12, 0), '      unused: {type: int, default: 2}\n');
    edit.insert(uri, document.lineAt(document.lineCount - 1).range.end, 'extra: [1, 2\n');
    assert.ok(await vscode.workspace.applyEdit(edit));
    let found: string[] = [];
    const until = (what: string, done: (messages: string[]) => boolean): Promise<string[]> =>
      waitFor(what, () => {
        found = summary(vscode.languages.getDiagnostics(uri));
        return done(found) ? found : undefined;
      }).catch((error: Error) => assert.fail(`${error.message}; the last ones:\n${found.join('\n')}`));
    await until('the diagnostics of the edited file', (m) =>
      m.some((d) => d.includes("'unused'") && m.some((e) => e.includes('does not exist'))),
    );
    // The file is unchanged now: only the watcher can notice that the environment file appears.
    await mkdir(join(brokenDir, 'envs'));
    await writeFile(join(brokenDir, 'envs', 'python_env.yaml'), 'python: "3.11"\n');
    const messages = await until(
      'the environment file to be found',
      (m) => !m.some((d) => d.includes('does not exist')),
    );
    assert.ok(!messages.some((m) => m.includes('comand') || m.includes("'train' has no command")), messages.join('\n'));
    assert.ok(
      messages.includes(
        "12:6-12 Warning Parameter 'unused' is not used in the command of 'eval', so MLflow never passes it",
      ),
      messages.join('\n'),
    );
    const unused = vscode.languages.getDiagnostics(uri).find((d) => d.message.includes("'unused'"));
    assert.deepEqual(unused?.tags, [vscode.DiagnosticTag.Unnecessary]);
    assert.ok(
      messages.some((m) => m.startsWith('15:') && m.includes('Error')),
      `a YAML syntax error at the unclosed list:\n${messages.join('\n')}`,
    );
  });

  it("shows Run lenses above each entry point of the demo's MLproject, and ▶ Run launches it", async () => {
    const mlproject = vscode.Uri.joinPath(workspaceFolder().uri, 'house-prices', 'MLproject');
    await vscode.window.showTextDocument(mlproject);
    const lenses = await waitFor('the MLproject lenses', async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>(
        'vscode.executeCodeLensProvider',
        mlproject,
      );
      return found.length > 0 ? found : undefined;
    });
    assert.deepEqual(
      lenses.slice(0, 2).map((l) => [l.range.start.line, l.command?.title]),
      [
        [5, '▶ Run main'],
        [5, '▶ Run with parameters…'],
      ],
    );
    // The launch suite may have launched `main` before: then the third lens reruns its values.
    assert.ok(lenses.slice(2).every((l) => l.command?.title.startsWith('↻ Rerun last')));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await screenshot('mlproject-lenses');
    const run = lenses[0]?.command;
    assert.ok(run);
    const ids = await vscode.commands.executeCommand<string[]>(run.command, ...((run.arguments ?? []) as unknown[]));
    assert.equal(ids.length, 1);
    const [folder] = (await api()).storeFolders();
    assert.ok(folder);
    const details = await waitFor('the run to end', async () => {
      const found: RunDetails | undefined = await folder.store.call('getRun', ids[0]);
      return found && !['RUNNING', 'QUEUED'].includes(found.status) ? found : undefined;
    });
    assert.equal(details.status, 'FINISHED', details.error ?? '');
    assert.equal(details.entryPoint, 'house-prices/MLproject › main');
    assert.equal(
      details.command,
      'python train.py --model forest --n-estimators 20 --max-depth 6 --epochs 60 --lr 0.05',
    );
    assert.deepEqual(details.params, { model: 'forest', n_estimators: '20', max_depth: '6', epochs: '60', lr: '0.05' });
  });

  it('offers ↻ Rerun last once an entry point was launched with chosen values', async () => {
    const mlproject = vscode.Uri.joinPath(workspaceFolder().uri, 'house-prices', 'MLproject');
    const { launcher } = await api();
    await launcher.launchEntryPoint(mlproject, 'main', { values: { epochs: '3', model: 'linear' }, extra: [] });
    const rerun = await waitFor('the Rerun last lens', async () => {
      const found = await vscode.commands.executeCommand<vscode.CodeLens[]>(
        'vscode.executeCodeLensProvider',
        mlproject,
      );
      return found.find((l) => l.command?.title === '↻ Rerun last (epochs=3, model=linear)');
    });
    assert.deepEqual(rerun.command?.arguments?.slice(1), ['main', 'last']);
  });

  it('hovers over a parameter with its type, default and the values it took in recent runs', async () => {
    const mlproject = vscode.Uri.joinPath(workspaceFolder().uri, 'house-prices', 'MLproject');
    const document = await vscode.workspace.openTextDocument(mlproject);
    const line = document
      .getText()
      .split('\n')
      .findIndex((l) => l.trim().startsWith('epochs:'));
    const position = new vscode.Position(line, document.lineAt(line).firstNonWhitespaceCharacterIndex + 2);
    const text = await waitFor('a hover with both runs', async () => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        mlproject,
        position,
      );
      const value = hovers
        .flatMap((h) => h.contents)
        .map((c) => (typeof c === 'string' ? c : c.value))
        .join('\n');
      // The ▶ Run test ran 60 epochs, the Rerun last test 3.
      return /^\| 3 \|/m.test(value) && /^\| 60 \|/m.test(value) ? value : undefined;
    });
    assert.match(text, /^\*\*epochs\*\* · `int` · default `60` · entry point `main`/);
    assert.match(text, /\| epochs \| rmse \(lowest\) \| run \|/);
    const editor = await vscode.window.showTextDocument(document);
    editor.selection = new vscode.Selection(position, position);
    await vscode.commands.executeCommand('editor.action.showHover');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await screenshot('mlproject-hover');
  });
});
