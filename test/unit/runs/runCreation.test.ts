import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunHeader } from '../../../src/runs/runCreation';
import { createRun } from '../../../src/runs/runCreation';
import { claimParam } from '../../../src/store/paramClaims';

describe('creating a launched run', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runlog-create-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function header(codeDir: string): RunHeader {
    return {
      experiment: 'lr',
      command: 'python3 train.py --lr 0.1',
      cwd: dir,
      entryPoint: 'train.py',
      source: join(dir, 'train.py'),
      params: { lr: '0.1', epochs: '3' },
      tags: { 'runlog.sweep': 'train.py × 2' },
      codeDir,
      name: 'calm-owl',
    };
  }

  async function events(file: string): Promise<Record<string, unknown>[]> {
    return (await readFile(file, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  it("writes the header as the journal's first lines: run_start, git, params (claimed), tags, QUEUED", async () => {
    const store = join(dir, '.runlog');
    const journal = await createRun(store, header(dir), true);
    assert.match(journal.runId, /^[0-9a-f]{32}$/);
    const written = await events(journal.file);
    const { ts } = written[0] as { ts: number };
    assert.deepEqual(written, [
      {
        t: 'run_start',
        ts,
        run_id: journal.runId,
        name: 'calm-owl',
        experiment: 'lr',
        command: 'python3 train.py --lr 0.1',
        cwd: dir,
        entry_point: 'train.py',
        source: join(dir, 'train.py'),
      },
      { t: 'tag', ts, key: 'runlog.git', value: 'none' },
      { t: 'param', ts, key: 'lr', value: '0.1' },
      { t: 'param', ts, key: 'epochs', value: '3' },
      { t: 'tag', ts, key: 'runlog.sweep', value: 'train.py × 2' },
      { t: 'status', ts, status: 'QUEUED', pid: process.pid, host: hostname() },
    ]);
    assert.deepEqual(
      await claimParam(journal.dir, 'lr', '0.2'),
      { ok: false, existing: '0.1' },
      'params are write-once',
    );
    assert.equal(await readFile(join(store, '.gitignore'), 'utf8'), '*\n');
  });

  it('records the git state of the code folder, and no QUEUED status for a run that starts at once', async () => {
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
    execFileSync(
      'git',
      ['-c', 'user.email=t@example.invalid', '-c', 'user.name=T', 'commit', '-q', '--allow-empty', '-m', 'one'],
      {
        cwd: dir,
      },
    );
    await writeFile(join(dir, 'train.py'), 'print(1)\n');
    const journal = await createRun(join(dir, '.runlog'), header(dir), false);
    const written = await events(journal.file);
    assert.deepEqual(
      written.map((e) => e['t']),
      ['run_start', 'git', 'param', 'param', 'tag'],
    );
    assert.equal(written[1]?.['branch'], 'main');
  });
});
