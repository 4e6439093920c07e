import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { api, waitFor, workspaceFolder } from '../helpers';

describe('Runlog in a restricted (untrusted) workspace', () => {
  it('runs in restricted mode', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('still lists runs', async () => {
    const { runs } = await api();
    assert.deepEqual(await runs.getChildren(), []);
  });

  it('refuses to launch a script, and creates no run', async () => {
    const script = vscode.Uri.joinPath(workspaceFolder().uri, 'train_small.py');
    const { launcher } = await api();
    assert.deepEqual(await launcher.launch(script, 'defaults'), []);
    assert.deepEqual(await launcher.launchWith(script, { values: { lr: '0.1,0.2' }, extra: [] }), []);
    assert.equal(existsSync(join(workspaceFolder().uri.fsPath, '.runlog')), false);
  });

  it('refuses to install the Python client: pip would run code', async () => {
    await api();
    const result = await vscode.commands.executeCommand('runlog.installPythonClient');
    assert.equal(result, undefined);
    assert.ok(!vscode.window.terminals.some((t) => t.name === 'Runlog: Install Python Client'));
  });

  it('checks MLproject files but offers no lenses that would launch them', async () => {
    const uri = vscode.Uri.joinPath(workspaceFolder().uri, 'MLproject');
    await writeFile(uri.fsPath, 'entry_points:\n  main:\n    command: "python train_small.py --lr {lr}"\n');
    await vscode.window.showTextDocument(uri);
    const [diagnostic] = await waitFor('the diagnostics', () => {
      const found = vscode.languages.getDiagnostics(uri);
      return found.length > 0 ? found : undefined;
    });
    assert.equal(diagnostic?.message, "The placeholder {lr} names no parameter of entry point 'main'");
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    assert.deepEqual(lenses, []);
    const { launcher } = await api();
    assert.deepEqual(await launcher.launchEntryPoint(uri, 'main', 'defaults'), []);
    assert.equal(existsSync(join(workspaceFolder().uri.fsPath, '.runlog')), false);
  });
});
