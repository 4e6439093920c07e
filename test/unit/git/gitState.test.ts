import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_UNTRACKED_FILE, readGitState, stripCredentials } from '../../../src/git/gitState';

function git(cwd: string, ...args: string[]): void {
  execFileSync('git', args, { cwd, stdio: 'ignore' });
}

describe('git state', () => {
  let repo: string;
  beforeEach(async () => {
    repo = await mkdtemp(join(tmpdir(), 'runlog-git-'));
  });
  afterEach(async () => {
    await rm(repo, { recursive: true, force: true });
  });

  async function init(): Promise<void> {
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'config', 'user.email', 'test@example.invalid');
    git(repo, 'config', 'user.name', 'Test');
    await writeFile(join(repo, 'train.py'), 'print("v1")\n');
    git(repo, 'add', 'train.py');
    git(repo, 'commit', '-q', '-m', 'first');
  }

  it('records commit, branch and remote of a clean tree', async () => {
    await init();
    git(repo, 'remote', 'add', 'origin', 'https://user:secret-token@example.invalid/team/project.git');
    const state = await readGitState(repo);
    assert.ok(state);
    assert.match(state.commit, /^[0-9a-f]{40}$/);
    assert.equal(state.branch, 'main');
    assert.equal(state.remote, 'https://example.invalid/team/project.git', 'credentials are stripped');
    assert.equal(state.dirty, false);
    assert.equal(state.patch, '');
    assert.deepEqual(state.untracked, []);
  });

  it('keeps the diff, binary changes and untracked sources, but not the store or data', async () => {
    await init();
    await writeFile(join(repo, 'train.py'), 'print("v2")\n');
    await writeFile(join(repo, 'weights.bin'), Buffer.from([0, 1, 2, 255]));
    git(repo, 'add', 'weights.bin');
    await writeFile(join(repo, 'new_model.py'), 'class Net: pass\n');
    await writeFile(join(repo, 'data.csv'), 'a,b\n1,2\n');
    await writeFile(join(repo, 'huge.py'), 'x = 1\n'.repeat(MAX_UNTRACKED_FILE / 6 + 10));
    await mkdir(join(repo, '.runlog', 'runs'), { recursive: true });
    await writeFile(join(repo, '.runlog', 'runs', 'x.py'), 'store file');
    const state = await readGitState(join(repo), join(repo, '.runlog'));
    assert.ok(state);
    assert.equal(state.dirty, true);
    assert.match(state.patch, /-print\("v1"\)\n\+print\("v2"\)/);
    assert.match(state.patch, /GIT binary patch/);
    const untracked = Object.fromEntries(state.untracked.map((u) => [u.path, u.content]));
    assert.deepEqual(Object.keys(untracked).sort(), ['data.csv', 'huge.py', 'new_model.py']);
    assert.equal(untracked['new_model.py'], 'class Net: pass\n');
    assert.equal(untracked['data.csv'], undefined, 'data is listed by path only');
    assert.equal(untracked['huge.py'], undefined, 'large files are listed by path only');
    // The patch applies back onto the commit: enough to rebuild the code.
    git(repo, 'stash', '-q');
    await writeFile(join(repo, 'patch.diff'), state.patch);
    git(repo, 'apply', '--binary', 'patch.diff');
  });

  it('says nothing outside a repository or before the first commit', async () => {
    assert.equal(await readGitState(repo), undefined);
    git(repo, 'init', '-q');
    assert.equal(await readGitState(repo), undefined);
  });

  it('strips credentials from http remotes only', () => {
    assert.equal(stripCredentials('https://tok@github.example/a.git'), 'https://github.example/a.git');
    assert.equal(stripCredentials('git@github.example:a/b.git'), 'git@github.example:a/b.git');
  });
});
