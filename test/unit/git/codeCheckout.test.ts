import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGitState } from '../../../src/git/gitState';
import {
  RunCodeError,
  branchNameFor,
  changedSinceRun,
  checkoutRunCode,
  fileInTree,
  hasLocalChanges,
  materializeRunCode,
  removeRunCode,
  runTree,
} from '../../../src/git/codeCheckout';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}

describe("a run's code, rebuilt", () => {
  let repo: string;
  let scratch: string;
  beforeEach(async () => {
    repo = await mkdtemp(join(tmpdir(), 'runlog-code-test-'));
    scratch = await mkdtemp(join(tmpdir(), 'runlog-code-scratch-'));
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'config', 'user.email', 'test@example.invalid');
    git(repo, 'config', 'user.name', 'Test');
    await writeFile(join(repo, 'train.py'), 'lr = 0.1\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'first');
  });
  afterEach(async () => {
    await rm(repo, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  /** The run: lr edited but not committed, and an untracked helper module. */
  async function runState(): Promise<{
    commit: string;
    patch: string;
    untracked: readonly { path: string; content?: string }[];
  }> {
    await writeFile(join(repo, 'train.py'), 'lr = 0.5\n');
    await writeFile(join(repo, 'helper.py'), 'def f(): return 1\n');
    const state = await readGitState(repo);
    assert.ok(state);
    // The user moves on: reverts the edit, deletes the helper, commits something else.
    git(repo, 'checkout', '-q', '--', 'train.py');
    await rm(join(repo, 'helper.py'));
    await writeFile(join(repo, 'later.py'), 'x = 2\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'later');
    return { commit: state.commit, patch: state.patch, untracked: state.untracked };
  }

  it('rebuilds the exact code in a worktree (commit, diff, untracked files) and removes it', async () => {
    const code = await runState();
    const folder = join(scratch, 'code');
    const { skipped } = await materializeRunCode(repo, code, folder);
    assert.deepEqual(skipped, []);
    assert.equal(await readFile(join(folder, 'train.py'), 'utf8'), 'lr = 0.5\n');
    assert.equal(await readFile(join(folder, 'helper.py'), 'utf8'), 'def f(): return 1\n');
    assert.equal(existsSync(join(folder, 'later.py')), false, 'nothing from later commits');
    assert.equal(await readFile(join(repo, 'train.py'), 'utf8'), 'lr = 0.1\n', "the user's tree is untouched");
    await removeRunCode(repo, folder);
    assert.equal(existsSync(folder), false);
    assert.ok(!git(repo, 'worktree', 'list').includes(folder));
  });

  it('says plainly when the commit is not in the repository, and never writes outside the checkout', async () => {
    await assert.rejects(
      materializeRunCode(repo, { commit: 'a'.repeat(40), patch: '', untracked: [] }, join(scratch, 'x')),
      (error: Error) => error instanceof RunCodeError && /never pushed, or its branch was deleted/.test(error.message),
    );
    await assert.rejects(
      materializeRunCode(repo, { commit: '--upload-pack=x', patch: '', untracked: [] }, join(scratch, 'y')),
      RunCodeError,
    );
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const folder = join(scratch, 'code');
    const { skipped } = await materializeRunCode(
      repo,
      { commit: head, patch: '', untracked: [{ path: '../escape.py', content: 'x' }, { path: 'big.bin' }] },
      folder,
    );
    assert.deepEqual(skipped, ['../escape.py', 'big.bin']);
    assert.equal(existsSync(join(scratch, 'escape.py')), false);
  });

  it("checks the run's code out on a new branch", async () => {
    const code = await runState();
    assert.equal(await hasLocalChanges(repo), false);
    const branch = branchNameFor('Bright Owl!', 'abcdef0123456789');
    assert.equal(branch, 'runlog/bright-owl-abcdef01');
    await checkoutRunCode(repo, code, branch);
    assert.equal(git(repo, 'branch', '--show-current').trim(), branch);
    assert.equal(await readFile(join(repo, 'train.py'), 'utf8'), 'lr = 0.5\n');
    assert.equal(await readFile(join(repo, 'helper.py'), 'utf8'), 'def f(): return 1\n');
    assert.equal(await hasLocalChanges(repo), true);
    await assert.rejects(checkoutRunCode(repo, code, 'bad..name'), RunCodeError);
  });

  it('lists what changed since the run, against the tree it ran', async () => {
    const code = await runState();
    const tree = await runTree(repo, code, join(scratch, 'index'));
    const changes = await changedSinceRun(repo, tree);
    assert.deepEqual(changes.sort(), [
      ['A', 'later.py'],
      ['M', 'train.py'],
    ]);
    assert.equal(await fileInTree(repo, tree, 'train.py'), 'lr = 0.5\n');
    assert.equal(await fileInTree(repo, tree, 'later.py'), undefined);
  });
});
