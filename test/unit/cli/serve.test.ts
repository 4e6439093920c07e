import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from '../../../src/cli/args';
import { COMMANDS } from '../../../src/cli/cli';
import { CliError } from '../../../src/cli/errors';
import { serveArgs } from '../../../src/cli/serveCommand';

// The transpiled CLI sits beside this test's transpiled sources.
const CLI = join(__dirname, '../../../src/cli/main.js');
const serve = COMMANDS.find((c) => c.spec.name === 'serve');

function read(argv: string[]): { dir: string; port: number } | { error: string } {
  try {
    if (!serve) throw new Error('no serve command');
    return serveArgs(parseArgs(serve.spec, argv), '/');
  } catch (error) {
    if (error instanceof CliError) return { error: error.message };
    throw error;
  }
}

describe('runlog serve', function () {
  this.timeout(20_000);

  it('reads its arguments', () => {
    assert.deepEqual(read(['--dir', '/tmp/s', '--port', '5000']), { dir: '/tmp/s', port: 5000 });
    assert.deepEqual(read(['--dir', '/tmp/s']), { dir: '/tmp/s', port: 0 });
    for (const argv of [[], ['run'], ['--dir'], ['--dir', 'x', '--port', '99999'], ['--dri', 'x']]) {
      assert.ok('error' in read(argv), argv.join(' '));
    }
  });

  it('prints one line to export, serves the store, and saves it on SIGTERM', async () => {
    const root = await mkdtemp(join(tmpdir(), 'runlog-cli-'));
    const dir = join(root, '.runlog');
    const child = spawn(process.execPath, [CLI, 'serve', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`exited with ${String(code)}`)));
      });
      const match = /^MLFLOW_TRACKING_URI=(http:\/\/127\.0\.0\.1:\d+) MLFLOW_TRACKING_TOKEN=(\S+)$/.exec(line);
      assert.ok(match, line);
      const [, uri = '', token = ''] = match;
      const created = await fetch(`${uri}/api/2.0/mlflow/runs/create`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ experiment_id: '0', run_name: 'from-ci' }),
      });
      assert.equal(created.status, 200);
      const denied = await fetch(`${uri}/api/2.0/mlflow/experiments/search`);
      assert.equal(denied.status, 401);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.ok(existsSync(join(dir, 'runlog.db')), 'the store was saved');
    } finally {
      child.kill('SIGKILL');
      await rm(root, { recursive: true, force: true });
    }
  });
});
