import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RunStore } from '../../../src/store/runStore';
import { FakeServer, T0, fullRun, metricLine, removeRoot, startLine, tempRoot, writeRun } from '../sync/syncFixture';
import { REPO } from './cliFixture';

const CLI = join(REPO, 'dist', 'cli.js');
const A = 'a0000000000000000000000000000001';
const B = 'b0000000000000000000000000000002';

interface Done {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runlog(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  started?: (child: ChildProcess) => void,
): Promise<Done> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'], ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
    started?.(child);
  });
}

/**
 * `runlog push` and `runlog pull` as a team would run them: a team server (`runlog serve` in its own
 * process), a laptop's store pushing to it — once, again, killed half-way — and a teammate's pulling.
 */
describe('runlog push and pull, end to end', function () {
  this.timeout(120_000);
  let root: string;
  let serve: ChildProcess;
  let uri: string;
  let token: string;
  let mine: string;
  let teamDir: string;

  before(async () => {
    assert.ok(existsSync(CLI), `${CLI} is missing: npm run build (npm test builds it) makes the CLI first`);
    root = await tempRoot();
    teamDir = join(root, 'team', '.runlog');
    serve = spawn(process.execPath, [CLI, 'serve', '--dir', teamDir], { stdio: ['ignore', 'pipe', 'ignore'] });
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: serve.stdout as NodeJS.ReadableStream }).once('line', resolve);
      serve.once('exit', (code) => reject(new Error(`runlog serve exited with ${String(code)}`)));
    });
    const match = /^MLFLOW_TRACKING_URI=(\S+) MLFLOW_TRACKING_TOKEN=(\S+)$/.exec(first);
    assert.ok(match, first);
    [, uri = '', token = ''] = match;
    mine = join(root, 'mine', '.runlog');
    await writeRun(mine, A, fullRun(A, 'bright-owl', 60_000), { 'plot.txt': 'hello' });
    await writeRun(mine, B, startLine(B, 'calm-fox') + metricLine(T0 + 1, 'loss', 0.5, 0));
  });

  after(async () => {
    serve.kill('SIGTERM');
    await new Promise((resolve) => serve.once('exit', resolve));
    await removeRoot(root);
  });

  async function teamPoints(name: string): Promise<number> {
    const store = await RunStore.open({ dir: teamDir, writer: false, version: 'test' });
    try {
      const run = store.query('listRuns', {}).runs.filter((r) => r.name === name);
      assert.ok(run.length <= 1, `${run.length} runs named ${name} on the server`);
      return run[0] ? store.query('series', run[0].id, 'loss', 'step').values.length : 0;
    } finally {
      store.close();
    }
  }

  it('refuses a bad command line and a wrong token, saying why and never the token', async () => {
    let done = await runlog(['push', '--dir', mine], {});
    assert.equal(done.status, 2);
    assert.match(done.stderr, /--to URI is required/);
    done = await runlog(['push', '--to', 'http://ada:pw@127.0.0.1:1', '--dir', mine], {});
    assert.equal(done.status, 2);
    assert.match(done.stderr, /never in the URI/);
    done = await runlog(['push', '--to', uri, '--dir', mine], {
      MLFLOW_TRACKING_TOKEN: 'wrong-t0ken',
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
    });
    assert.equal(done.status, 4);
    assert.match(done.stderr, /401 .*MLFLOW_TRACKING_TOKEN/);
    assert.ok(!done.stderr.includes('wrong-t0ken'));
  });

  it('survives kill -9 half-way: the next push sends only what the server did not confirm', async () => {
    let batches = 0;
    let child: ChildProcess | undefined;
    const fake = await FakeServer.start(Number(new URL(uri).port), (_m, path) => {
      if (path.includes('log-batch') && ++batches === 20) child?.kill('SIGKILL');
      return 'forward';
    });
    try {
      const killed = await runlog(
        ['push', '--to', fake.uri, '--dir', mine],
        { MLFLOW_TRACKING_TOKEN: token },
        (c) => (child = c),
      );
      assert.equal(killed.signal, 'SIGKILL');
    } finally {
      await fake.close();
    }
    const sent = await teamPoints('bright-owl');
    assert.ok(sent > 0 && sent < 60_000, `part of the run reached the server before the kill (${sent})`);
    const done = await runlog(['push', '--to', uri, '--dir', mine], { MLFLOW_TRACKING_TOKEN: token });
    assert.equal(done.status, 0, done.stderr);
    assert.match(done.stdout, /^Pushed 2 runs to http:\/\/127\.0\.0\.1:\d+ \(\d[\d,]* points, /);
    assert.equal(await teamPoints('bright-owl'), 60_000, 'every point once');
    assert.equal(await teamPoints('calm-fox'), 1);
    const again = await runlog(['push', '--to', uri, '--dir', mine], { MLFLOW_TRACKING_TOKEN: token });
    assert.equal(again.status, 0);
    assert.match(again.stdout, /^Pushed 0 runs to .* \(0 points, 0 B\); 2 unchanged$/m);
  });

  it("pulls the team's runs into a teammate's store, and says when an experiment is missing", async () => {
    const theirs = join(root, 'theirs', '.runlog');
    const done = await runlog(['pull', '--from', uri, '--dir', theirs], { MLFLOW_TRACKING_TOKEN: token });
    assert.equal(done.status, 0, done.stderr);
    assert.match(done.stdout, /^Pulled 2 runs from .* \(60,00\d points, /);
    const listed = await runlog(['runs', '--dir', theirs, '--format', 'csv'], {});
    assert.match(listed.stdout, /bright-owl/);
    assert.match(listed.stdout, /calm-fox/);
    const missing = await runlog(['pull', '--from', uri, '--dir', theirs, '--experiment', 'nope'], {
      MLFLOW_TRACKING_TOKEN: token,
    });
    assert.equal(missing.status, 3);
    assert.match(missing.stderr, /the server has no experiment "nope"/);
    const failedPush = await runlog(['push', '--to', uri, '--dir', theirs], { MLFLOW_TRACKING_TOKEN: token });
    assert.equal(failedPush.status, 0);
    assert.match(failedPush.stdout, /2 skipped/);
  });
});
