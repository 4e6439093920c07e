import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import type { InstallPythonClientResult } from '../../src/commands/installPythonClient';
import { INSTALL_TERMINAL_NAME } from '../../src/commands/installPythonClient';
import {
  EXTENSION_ID,
  api,
  dropStoreDir,
  labelOf,
  runEnded,
  screenshot,
  useStoreDir,
  waitFor,
  workspaceFolder,
} from './helpers';

const run = promisify(execFile);

/** A terminal of a fresh shell: no PYTHONPATH, no active virtualenv, nothing from the editor. */
function terminalEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !['PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV'].includes(name) && !name.startsWith('RUNLOG_'),
    ),
  );
}

/** pip on a machine without a package index: local settings ignored, and any download would fail. */
function offlinePipEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(terminalEnv()).filter(([name]) => !name.startsWith('PIP_')));
  return {
    ...env,
    PIP_CONFIG_FILE: '/dev/null',
    PIP_INDEX_URL: 'http://127.0.0.1:9/simple/',
    PIP_RETRIES: '0',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
  };
}

async function makeVenv(dir: string): Promise<string> {
  await run('python3', ['-m', 'venv', dir], { env: terminalEnv() });
  return join(dir, 'bin', 'python');
}

/** Where an interpreter imports runlog from, asked from a folder without one. */
async function runlogLocation(python: string, cwd: string): Promise<string> {
  const { stdout } = await run(python, ['-c', 'import runlog; print(runlog.__file__)'], { cwd, env: terminalEnv() });
  return stdout.trim();
}

describe('The Python client, installed with pip', function () {
  this.timeout(240_000);
  let tmp: string;
  let clientPath: string;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'runlog-pip-'));
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension);
    clientPath = vscode.Uri.joinPath(extension.extensionUri, 'python').fsPath;
  });

  after(async () => {
    await vscode.workspace
      .getConfiguration('runlog')
      .update('pythonPath', undefined, vscode.ConfigurationTarget.Workspace);
    for (const terminal of vscode.window.terminals) if (terminal.name === INSTALL_TERMINAL_NAME) terminal.dispose();
    await rm(tmp, { recursive: true, force: true });
  });

  it('Install Python Client installs into the interpreter runs use, showing the command in a terminal', async () => {
    const python = await makeVenv(join(tmp, 'venv-command'));
    await vscode.workspace
      .getConfiguration('runlog', workspaceFolder())
      .update('pythonPath', python, vscode.ConfigurationTarget.Workspace);
    const result = await vscode.commands.executeCommand<InstallPythonClientResult | undefined>(
      'runlog.installPythonClient',
    );
    assert.ok(result);
    assert.equal(result.python, python);
    assert.equal(result.commandLine, `${python} -m pip install ${clientPath}`);
    assert.equal(result.outcome, 'installed', `exit code ${String(result.exitCode)}`);
    const terminal = vscode.window.terminals.find((t) => t.name === INSTALL_TERMINAL_NAME);
    assert.ok(terminal, 'the install ran in a terminal');
    await screenshot('install-python-client');
    const location = await runlogLocation(python, tmp);
    assert.ok(location.startsWith(join(tmp, 'venv-command', 'lib')), location);
  });

  it('a script run from a terminal in a fresh virtualenv logs a run that appears in the Runs view', async () => {
    // What a user does: python3 -m venv, pip install the extension's python/, no PYTHONPATH.
    const python = await makeVenv(join(tmp, 'venv-terminal'));
    await run(python, ['-m', 'pip', 'install', clientPath], { cwd: tmp, env: offlinePipEnv() });
    const project = join(tmp, 'project');
    const storeDir = join(project, '.runlog');
    await mkdir(storeDir, { recursive: true });
    await useStoreDir(storeDir);
    try {
      await writeFile(
        join(project, 'train.py'),
        [
          'import runlog',
          'with runlog.start_run(name="from-a-terminal", experiment="terminal", params={"lr": 0.1}):',
          '    for step in range(5):',
          '        runlog.log_metric("loss", 1.0 / (step + 1))',
        ].join('\n') + '\n',
      );
      const env = terminalEnv();
      assert.equal(env['PYTHONPATH'], undefined);
      await run(python, ['train.py'], { cwd: project, env });
      const [runId] = await readdir(join(storeDir, 'runs'));
      assert.ok(runId, 'the script wrote a run journal');
      const details = await runEnded(runId);
      assert.equal(details.status, 'FINISHED');
      assert.deepEqual(details.params, { lr: '0.1' });
      assert.equal(details.metrics.find((m) => m.key === 'loss')?.count, 5);
      assert.equal(details.source, join(project, 'train.py'));
      const { runs } = await api();
      const node = await waitFor('the run in the Runs view', () => runs.findRun(runId));
      assert.equal(labelOf(runs.getTreeItem(node)), 'from-a-terminal');
      await vscode.commands.executeCommand('runlog.revealRunInTree', { runIds: [runId] });
      await screenshot('terminal-run-in-runs-view');
    } finally {
      await dropStoreDir(storeDir);
    }
  });
});
