import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import {
  api,
  dropStoreDir,
  runEnded,
  screenshot,
  storedRun,
  useStoreDir,
  waitFor,
  workspaceFolder,
  writeJournal,
} from './helpers';

/** A deterministic script whose result depends on committed code, an uncommitted edit and an untracked module. */
const SCRIPT = (factor: number): string => `import argparse
import runlog
from consts import OFFSET

FACTOR = ${factor}

parser = argparse.ArgumentParser()
parser.add_argument("--scale", type=float, default=1.0)
args = parser.parse_args()
with runlog.start_run():
    for step in range(3):
        runlog.log_metric("score", args.scale * FACTOR * (step + 1) + OFFSET, step=step)
`;

describe('Reproducing a run', function () {
  this.timeout(180_000);
  let storeDir: string;
  let repo: string;
  let script: vscode.Uri;
  const git = (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.email=suite@example.invalid', '-c', 'user.name=Suite', ...args], {
      cwd: repo,
      encoding: 'utf8',
    });

  const details = storedRun;
  const ended = runEnded;

  before(async () => {
    // A repository of its own inside the workspace, so other suites' git state does not matter.
    repo = join(workspaceFolder().uri.fsPath, 'repro');
    await mkdir(repo, { recursive: true });
    await writeFile(join(repo, 'train_repro.py'), SCRIPT(2));
    git('init', '-q', '-b', 'main');
    git('add', 'train_repro.py');
    git('commit', '-q', '-m', 'factor 2');
    script = vscode.Uri.file(join(repo, 'train_repro.py'));
    storeDir = await mkdtemp(join(tmpdir(), 'runlog-reproduce-'));
    await useStoreDir(storeDir);
  });

  after(async () => {
    await dropStoreDir(storeDir);
    await rm(repo, { recursive: true, force: true });
  });

  it('rebuilds the code of a run from a dirty tree and gets the same metrics', async () => {
    // The run: an uncommitted edit (factor 5) and an untracked module.
    await writeFile(join(repo, 'train_repro.py'), SCRIPT(5));
    await writeFile(join(repo, 'consts.py'), 'OFFSET = 0.5\n');
    const { launcher, reproductions } = await api();
    const [original] = await launcher.launchWith(script, { values: { scale: '3' }, extra: [] }, false);
    assert.ok(original);
    const first = await ended(original);
    assert.equal(first.status, 'FINISHED', first.error ?? '');
    assert.deepEqual(
      first.metrics.filter((m) => !m.key.startsWith('system/')).map((m) => [m.key, m.last]),
      [['score', 3 * 5 * 3 + 0.5]],
    );
    // runlog.systemMetrics is on by default: the client sampled the machine (once, at the run's end).
    assert.ok(
      first.metrics.some((m) => m.key === 'system/system_memory_usage_megabytes'),
      'system metrics',
    );
    assert.equal(first.git?.dirty, true);

    // The code moves on: the edit is reverted and the module deleted; running it now would fail.
    git('checkout', '-q', '--', 'train_repro.py');
    await rm(join(repo, 'consts.py'));

    const launched = await vscode.commands.executeCommand<string[]>('runlog.reproduceRun', { runIds: [original] });
    assert.equal(launched.length, 1);
    const same = reproductions.lastEnvironmentCheck;
    assert.equal(same?.runId, original, "the interpreter's packages were compared with the run's");
    assert.equal(same.warning, null, `the interpreter it ran with: no warning (${JSON.stringify(same.diff)})`);
    const copy = await ended(launched[0]);
    assert.equal(copy.status, 'FINISHED', copy.error ?? '');
    assert.equal(copy.tags['reproduces'], original);
    assert.equal(copy.git?.commit, first.git?.commit, 'the same commit');
    assert.equal(copy.source, first.source, "it counts as a run of the workspace's script");
    assert.deepEqual(copy.params, first.params);
    const report = await waitFor('the reproduction report', () =>
      Promise.resolve(reproductions.lastReport?.reproduced === copy.name ? reproductions.lastReport : undefined),
    );
    assert.equal(report.identical, true, JSON.stringify(report.metrics));
    assert.equal(await readFile(join(repo, 'train_repro.py'), 'utf8'), SCRIPT(2), "the user's tree is untouched");
    assert.ok(!git('worktree', 'list').includes('runlog-reproduce-'), 'the worktree is removed');

    // What changed since: train_repro.py (factor 5 → 2).
    const changed = await vscode.commands.executeCommand<number>('runlog.showCodeChangesSinceRun', {
      runIds: [original],
    });
    assert.equal(changed, 1);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    // Check it out: a branch with the edit and the module back.
    const branch = await vscode.commands.executeCommand<string>(
      'runlog.checkOutRunCode',
      { runIds: [original] },
      undefined,
      { confirm: false },
    );
    assert.match(branch, /^runlog\//);
    assert.equal(git('branch', '--show-current').trim(), branch);
    assert.equal(await readFile(join(repo, 'train_repro.py'), 'utf8'), SCRIPT(5));
    assert.ok(existsSync(join(repo, 'consts.py')));
  });

  it("warns when the interpreter's packages differ from the run's, and writes the run's requirements.txt", async () => {
    await writeFile(join(repo, 'consts.py'), 'OFFSET = 1\n');
    const { launcher, reproductions } = await api();
    const [original] = await launcher.launchWith(script, { values: { scale: '1' }, extra: [] }, false);
    assert.ok(original);
    const first = await ended(original);
    assert.equal(first.status, 'FINISHED', first.error ?? '');
    const recorded = first.environment;
    assert.ok(recorded, 'the client recorded the environment of the launched run');
    assert.equal(recorded.runId, original);
    // As if it had run elsewhere: a package this interpreter lacks, another at an older version.
    const [other, version] = Object.entries(recorded.packages).find(([name]) => name !== 'runlog-client') ?? [];
    assert.ok(other && version, `the interpreter has a package: ${JSON.stringify(recorded.packages)}`);
    const packages = { ...recorded.packages, 'fake-tensor-lib': '2.1.0', [other]: `0.0.1.dev0-not-${version}` };
    await writeJournal(
      storeDir,
      original,
      [{ t: 'environment', ts: Date.now(), python_version: recorded.pythonVersion, packages }],
      'a',
    );
    await waitFor('the new environment', async () =>
      (await details(original))?.environment?.packages['fake-tensor-lib'] ? true : undefined,
    );

    // The original's "finished" notification would hide the warning in the screenshot.
    await vscode.commands.executeCommand('notifications.clearAll');
    const launched = await vscode.commands.executeCommand<string[]>('runlog.reproduceRun', { runIds: [original] });
    assert.equal(launched.length, 1);
    const check = reproductions.lastEnvironmentCheck;
    assert.equal(check?.runId, original);
    assert.ok(check.warning?.includes(`fake-tensor-lib not installed (${first.name} had 2.1.0)`), check.warning ?? '');
    assert.deepEqual(
      check.diff.packages.map((p) => [p.name, p.run, p.here]).sort(),
      [
        ['fake-tensor-lib', '2.1.0', null],
        [other, `0.0.1.dev0-not-${version}`, version],
      ].sort(),
    );
    await screenshot('reproduce-environment-warning');

    const target = join(repo, 'requirements-check.txt');
    const written = await vscode.commands.executeCommand<string>(
      'runlog.writeRunRequirements',
      { runIds: [original] },
      undefined,
      { to: target },
    );
    assert.equal(written, target);
    const requirements = (await readFile(target, 'utf8')).split('\n');
    assert.ok(requirements.includes('fake-tensor-lib==2.1.0'), requirements.join('\n'));
    assert.ok(requirements[0]?.startsWith(`# The Python environment of run ${first.name} (${original})`));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    const copy = await ended(launched[0]);
    assert.equal(copy.status, 'FINISHED', copy.error ?? '');
    const report = await waitFor('the reproduction report', () =>
      Promise.resolve(reproductions.lastReport?.reproduced === copy.name ? reproductions.lastReport : undefined),
    );
    assert.equal(report.identical, true, 'the same score: system metrics do not count');
    assert.ok(report.environment?.packages.some((p) => p.name === 'fake-tensor-lib' && p.here === null));
    await rm(join(repo, 'consts.py'));
    await rm(target);
  });

  it('says plainly when the commit of a run is missing', async () => {
    const [folder] = (await api()).storeFolders();
    assert.ok(folder);
    const id = 'f'.repeat(32);
    await writeJournal(storeDir, id, [
      { t: 'run_start', ts: 1, run_id: id, name: 'lost-code', experiment: 'e', source: script.fsPath },
      { t: 'git', ts: 2, commit: 'a'.repeat(40), dirty: false, patch: '', untracked: [] },
      { t: 'run_end', ts: 3, status: 'FINISHED' },
    ]);
    await waitFor('the run', () => details(id));
    const launched = await vscode.commands.executeCommand<string[]>('runlog.reproduceRun', { runIds: [id] });
    assert.deepEqual(launched, [], 'nothing is launched');
  });
});
