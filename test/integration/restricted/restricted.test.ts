import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { api, workspaceFolder } from '../helpers';

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
});
