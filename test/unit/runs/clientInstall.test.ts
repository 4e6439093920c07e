import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClientInstall,
  classifyClientInstall,
  clientInstallArgs,
  clientInstallCommandLine,
} from '../../../src/runs/clientInstall';

describe('installing the Python client', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runlog-install-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** An executable standing in for an interpreter: a shell script. */
  async function fakePython(body: string): Promise<string> {
    const file = join(dir, 'python');
    await writeFile(file, `#!/bin/sh\n${body}\n`);
    await chmod(file, 0o755);
    return file;
  }

  async function install(python: string): Promise<{ outcome: string; exitCode: number | null; output: string }> {
    const run = new ClientInstall({ python, clientPath: '/ext/python' });
    let output = '';
    run.start((text) => (output += text));
    return { ...(await run.done), output };
  }

  it('runs pip of the chosen interpreter on the extension’s python folder, shown as typed', () => {
    const spec = { python: '/home/me/my env/bin/python', clientPath: "/ext/runlog's/python" };
    assert.deepEqual(clientInstallArgs(spec), {
      command: '/home/me/my env/bin/python',
      args: ['-m', 'pip', 'install', "/ext/runlog's/python"],
    });
    assert.equal(
      clientInstallCommandLine(spec, 'linux'),
      `'/home/me/my env/bin/python' -m pip install '/ext/runlog'"'"'s/python'`,
    );
    assert.equal(
      clientInstallCommandLine({ python: 'C:\\Py 3\\python.exe', clientPath: 'C:\\ext\\python' }, 'win32'),
      '"C:\\Py 3\\python.exe" -m pip install C:\\ext\\python',
    );
    assert.equal(
      clientInstallCommandLine({ python: 'python3', clientPath: '/ext/python' }, 'linux'),
      'python3 -m pip install /ext/python',
    );
  });

  it('tells a system-managed Python, a missing pip and other failures apart', () => {
    assert.equal(classifyClientInstall(0, 'Successfully installed runlog-client-0.1.0'), 'installed');
    assert.equal(
      classifyClientInstall(1, 'error: externally-managed-environment\n\n× This environment is externally managed'),
      'externally-managed',
    );
    assert.equal(classifyClientInstall(1, '/usr/bin/python3: No module named pip\n'), 'no-pip');
    assert.equal(classifyClientInstall(1, 'ERROR: Could not install packages due to an OSError'), 'failed');
    assert.equal(classifyClientInstall(null, ''), 'failed');
  });

  it('streams pip’s output and reports success', async () => {
    const python = await fakePython('echo "args: $*"; echo "Successfully installed runlog-client" >&2; exit 0');
    const result = await install(python);
    assert.equal(result.outcome, 'installed');
    assert.equal(result.exitCode, 0);
    assert.match(result.output, /args: -m pip install \/ext\/python/);
    assert.match(result.output, /Successfully installed/);
  });

  it('reports a refusal by PEP 668 and never retries with --break-system-packages', async () => {
    const log = join(dir, 'calls');
    const python = await fakePython(`echo "$*" >> '${log}'; echo "error: externally-managed-environment" >&2; exit 1`);
    const result = await install(python);
    assert.equal(result.outcome, 'externally-managed');
    assert.equal(result.exitCode, 1);
    assert.equal(await readFile(log, 'utf8'), '-m pip install /ext/python\n', 'one call, no --break-system-packages');
  });

  it('reports an interpreter that cannot be started', async () => {
    const result = await install(join(dir, 'no-such-python'));
    assert.equal(result.outcome, 'not-started');
    assert.equal(result.exitCode, null);
    assert.match(result.output, /ENOENT/);
  });

  it('stops pip when asked (the terminal was closed)', async () => {
    const python = await fakePython('echo started; exec sleep 30');
    const run = new ClientInstall({ python, clientPath: '/ext/python' });
    let output = '';
    run.start((text) => (output += text));
    while (!output.includes('started')) await new Promise((resolve) => setTimeout(resolve, 20));
    run.stop();
    assert.equal((await run.done).outcome, 'stopped');
  });

  // Debian's and Ubuntu's python3 carry the PEP 668 marker: the real pip refuses, and says so. The
  // folder does not exist, so nothing could be installed even where the marker is overridden.
  (systemManaged() ? it : it.skip)('is refused by a system-managed Python, as pip itself says', async () => {
    const run = new ClientInstall({ python: '/usr/bin/python3', clientPath: join(dir, 'no-such-client') });
    run.start(() => undefined);
    assert.equal((await run.done).outcome, 'externally-managed');
  });
});

function systemManaged(): boolean {
  if (!existsSync('/usr/bin/python3') || process.env['PIP_BREAK_SYSTEM_PACKAGES']) return false;
  const marker =
    'import os, sysconfig; print(os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))';
  const check = spawnSync('/usr/bin/python3', ['-c', `import pip; ${marker}`], { encoding: 'utf8' });
  return check.stdout.trim() === 'True';
}
