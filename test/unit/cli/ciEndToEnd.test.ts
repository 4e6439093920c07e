import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './cliFixture';

const CLI = join(REPO, 'dist', 'cli.js');
const SCRIPT = join(REPO, 'examples', 'ci', 'runlog-ci.sh');

interface Done {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * CI without an editor, end to end: the demo project in a fresh git repository, the Python client
 * pip-installed into a virtualenv, and examples/ci/runlog-ci.sh training, gating and promoting with
 * the built CLI (dist/cli.js, what `npm run build` makes). Three builds: the first champion, a
 * better model on main, a worse one on a branch.
 */
describe('the CLI in CI: the demo trained, gated and promoted from a git repository', function () {
  this.timeout(240_000);
  let root: string;
  let repo: string;
  let python: string;
  let env: NodeJS.ProcessEnv;

  const run = (command: string, args: readonly string[], extra: NodeJS.ProcessEnv = {}): Done => {
    const done = spawnSync(command, args, { cwd: repo, env: { ...env, ...extra }, encoding: 'utf8', timeout: 180_000 });
    return { status: done.status, stdout: done.stdout, stderr: done.stderr };
  };
  const git = (...args: string[]): void => {
    const done = run('git', args);
    assert.equal(done.status, 0, done.stderr);
  };
  const runlog = (...args: string[]): Done => run(process.execPath, [CLI, ...args]);

  before(async () => {
    assert.ok(existsSync(CLI), `${CLI} is missing: npm run build (npm test builds it) makes the CLI first`);
    root = await mkdtemp(join(tmpdir(), 'runlog-ci-'));
    repo = join(root, 'repo');
    await cp(join(REPO, 'examples', 'house-prices'), join(repo, 'examples', 'house-prices'), {
      recursive: true,
      filter: (source) => !/(^|[/\\])(data|outputs|__pycache__|\.runlog)$/.test(source),
    });
    env = {
      PATH: process.env['PATH'],
      HOME: root,
      GIT_AUTHOR_NAME: 'CI',
      GIT_AUTHOR_EMAIL: 'ci@example.com',
      GIT_COMMITTER_NAME: 'CI',
      GIT_COMMITTER_EMAIL: 'ci@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
      PYTHONDONTWRITEBYTECODE: '1',
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
    };
    git('init', '--quiet', '--initial-branch=main');
    await cp(join(REPO, '.gitignore'), join(repo, '.gitignore'));
    git('add', '-A');
    git('commit', '--quiet', '-m', 'the demo');
    // A virtualenv, as a CI job has: the client goes in with pip (the script's first step).
    const venv = join(root, 'venv');
    const made = spawnSync('python3', ['-m', 'venv', venv], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    python = join(venv, 'bin', 'python');
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const build = (trainArgs: string, summary: string): Done =>
    run('sh', [SCRIPT], {
      RUNLOG: `${process.execPath} ${CLI}`,
      RUNLOG_CLIENT: join(REPO, 'python'),
      PYTHON: python,
      TRAIN_ARGS: trainArgs,
      GITHUB_STEP_SUMMARY: summary,
    });

  const champion = (): number | undefined => {
    const done = runlog('models', 'house-prices', '--format', 'json');
    assert.equal(done.status, 0, done.stderr);
    const models = JSON.parse(done.stdout) as { models: { versions: { version: number; aliases: string[] }[] }[] };
    return models.models[0]?.versions.find((v) => v.aliases.includes('champion'))?.version;
  };

  it('makes the first model the champion: there is nothing to beat yet', async () => {
    const summary = join(root, 'summary-1.md');
    const first = build('--n-estimators 2', summary);
    assert.equal(first.status, 0, first.stdout + first.stderr);
    assert.match(first.stdout, /registered house-prices version 1 \(promotion left to CI\)/);
    assert.match(first.stdout, /<!-- runlog:check -->\n### ✅ Runlog check passed/);
    assert.match(first.stdout, /\| rmse \| — \| \d+ \| — \| — \| ✅ no baseline yet \|/);
    assert.match(
      first.stdout,
      /promoted: @champion of house-prices now points at version 1 \(it pointed at no version\)/,
    );
    assert.equal(champion(), 1);
    assert.match(await readFile(summary, 'utf8'), /^<!-- runlog:check -->\n/, 'the job summary has the report');
    // The store is the repository's, found from anywhere inside it; the run records the commit.
    const shown = JSON.parse(runlog('show', 'latest', '--format', 'json').stdout) as { git: { commit: string } };
    assert.equal(shown.git.commit, run('git', ['rev-parse', 'HEAD']).stdout.trim());
  });

  it('promotes a better model on main, with the comparison in the report', async () => {
    const summary = join(root, 'summary-2.md');
    const better = build('--n-estimators 8', summary);
    assert.equal(better.status, 0, better.stdout + better.stderr);
    assert.match(better.stdout, /\| rmse \| \d+ \| \d+ \| -\d+ \| -\d+\.\d\d% \| ✅ better \|/);
    assert.match(better.stdout, /<!-- runlog:compare -->\n### Runlog: /);
    assert.match(better.stdout, /promoted: @champion of house-prices moved from version 1 to version 2/);
    assert.equal(champion(), 2);
    const text = await readFile(summary, 'utf8');
    assert.match(
      text,
      /<!-- runlog:check -->[\s\S]*<!-- runlog:compare -->/,
      'check and compare both in the job summary',
    );
  });

  it('fails the build on a regression and leaves the champion alone', () => {
    git('checkout', '--quiet', '-b', 'slower-model');
    const worse = build('--model linear --epochs 3', join(root, 'summary-3.md'));
    assert.equal(worse.status, 1, worse.stdout + worse.stderr);
    assert.match(worse.stdout, /### ❌ Runlog check failed: a regression/);
    assert.match(worse.stdout, /\| rmse \| \d+ \| \d+ \| \+\d+ \| \+\d+\.\d\d% \| ❌ worse \|/);
    assert.match(worse.stderr, /runlog check exited 1: the new model is not promoted/);
    assert.equal(champion(), 2);
    // The same gate, asked directly: exit 1, and promote refuses it even when asked on this branch.
    assert.equal(
      runlog('check', 'latest', '--metric', 'rmse', '--better-than', 'models:/house-prices@champion').status,
      1,
    );
    const refused = runlog(
      'promote',
      'runs:/latest/model',
      '--alias',
      'champion',
      '--if-better-than',
      'models:/house-prices@champion',
      '--metric',
      'rmse',
    );
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(
      refused.stdout,
      /not promoted: version 3 of house-prices does not pass the gate; @champion stays at version 2/,
    );
    assert.equal(champion(), 2);
  });

  it('ends quietly when the reader of its output goes away (runlog --help | head -1)', async () => {
    const child = spawn(process.execPath, [CLI, '--help'], { cwd: repo, env });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.deepEqual([code, stderr], [0, '']);
  });
});
