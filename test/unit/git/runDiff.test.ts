import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGitState } from '../../../src/git/gitState';
import { PatchError, fileAtCommit, filesAfterPatch, hasCommit, patchFiles } from '../../../src/git/runDiff';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' });
}

describe('run diff', () => {
  let repo: string;
  beforeEach(async () => {
    repo = await mkdtemp(join(tmpdir(), 'runlog-diff-test-'));
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'config', 'user.email', 'test@example.invalid');
    git(repo, 'config', 'user.name', 'Test');
    await writeFile(join(repo, 'train.py'), 'lr = 0.1\nprint(lr)\n');
    await writeFile(join(repo, 'old name.py'), 'x = 1\n');
    await writeFile(join(repo, 'gone.py'), 'bye\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'first');
  });
  afterEach(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  it('shows each changed file at the commit and with the stored patch applied, leaving the repo alone', async () => {
    await writeFile(join(repo, 'train.py'), 'lr = 0.5\nprint(lr)\n');
    await writeFile(join(repo, 'added.py'), 'new\n');
    git(repo, 'add', '-N', 'added.py');
    await unlink(join(repo, 'gone.py'));
    await writeFile(join(repo, 'data.bin'), Buffer.from([0, 1, 2, 3]));
    git(repo, 'add', '-N', 'data.bin');
    const state = await readGitState(repo);
    assert.ok(state?.dirty);
    // The run's code moves on: the work tree changes again and a new commit lands.
    git(repo, 'checkout', '-q', '--', 'train.py', 'gone.py');
    git(repo, 'rm', '-q', '--cached', 'added.py', 'data.bin');
    const statusBefore = git(repo, 'status', '--porcelain');

    const files = patchFiles(state.patch);
    assert.deepEqual(
      files.map((f) => [f.oldPath, f.newPath, f.binary]),
      [
        [null, 'added.py', false],
        [null, 'data.bin', true],
        ['gone.py', null, false],
        ['train.py', 'train.py', false],
      ],
    );
    assert.equal(await hasCommit(repo, state.commit), true);
    assert.equal(await fileAtCommit(repo, state.commit, 'train.py'), 'lr = 0.1\nprint(lr)\n');
    assert.equal(await fileAtCommit(repo, state.commit, 'added.py'), undefined);
    const after = await filesAfterPatch(repo, state.commit, state.patch, ['train.py', 'added.py', 'gone.py']);
    assert.equal(after.get('train.py'), 'lr = 0.5\nprint(lr)\n');
    assert.equal(after.get('added.py'), 'new\n');
    assert.equal(after.get('gone.py'), undefined);
    assert.equal(git(repo, 'status', '--porcelain'), statusBefore, "the user's index and work tree are untouched");
    assert.equal(await readFile(join(repo, 'train.py'), 'utf8'), 'lr = 0.1\nprint(lr)\n');
  });

  it('reads renames and quoted paths from the patch headers', () => {
    const patch = [
      'diff --git a/old name.py b/new name.py',
      'similarity index 90%',
      'rename from old name.py',
      'rename to new name.py',
      'diff --git "a/t\\303\\244st.py" "b/t\\303\\244st.py"',
      'index 1..2 100644',
      '--- "a/t\\303\\244st.py"',
      '+++ "b/t\\303\\244st.py"',
      '@@ -1 +1 @@',
      'diff --git a/mode only.sh b/mode only.sh',
      'old mode 100644',
      'new mode 100755',
      '',
    ].join('\n');
    assert.deepEqual(
      patchFiles(patch).map((f) => [f.oldPath, f.newPath]),
      [
        ['old name.py', 'new name.py'],
        ['täst.py', 'täst.py'],
        ['mode only.sh', 'mode only.sh'],
      ],
    );
    assert.deepEqual(patchFiles(''), []);
  });

  it('says when the commit is missing or the patch does not apply', async () => {
    const missing = '0123456789abcdef0123456789abcdef01234567';
    assert.equal(await hasCommit(repo, missing), false);
    assert.equal(await hasCommit(repo, '--output=/tmp/x'), false, 'never passed to git as an option');
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    const bad =
      'diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n@@ -1 +1 @@\n-nothing like this\n+x\n';
    await assert.rejects(filesAfterPatch(repo, head, bad, ['train.py']), PatchError);
    await assert.rejects(filesAfterPatch(repo, missing, '', ['train.py']), PatchError);
  });
});
