import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JOURNAL_FORMAT } from '../../../src/store/events';
import { RunStore } from '../../../src/store/runStore';
import { FORMAT_FILE, readStoreFormat, recordStoreFormat } from '../../../src/store/storeFormat';
import { StoreService } from '../../../src/store/storeService';
import { waitFor } from '../../support/waitFor';

const REPO = join(__dirname, '../../../..');

// One number for the extension and the Python client, one for the journal format they share:
// both live in two languages, so these tests are what keeps each pair equal.
describe('versions', () => {
  it('the Python client is the extension’s version', async () => {
    const pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { version: string };
    const python = await readFile(join(REPO, 'python/runlog/_version.py'), 'utf8');
    assert.equal(/^__version__ = "([^"]+)"$/m.exec(python)?.[1], pkg.version);
  });

  it('the Python client writes the journal format the store reads', async () => {
    const python = await readFile(join(REPO, 'python/runlog/_version.py'), 'utf8');
    assert.equal(Number(/^JOURNAL_FORMAT = (\d+)$/m.exec(python)?.[1]), JOURNAL_FORMAT);
  });
});

describe('the store’s journal format', function () {
  this.timeout(20_000);
  let root: string;
  let dir: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'runlog-format-'));
    dir = join(root, '.runlog');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const marker = async (): Promise<unknown> => JSON.parse(await readFile(join(dir, FORMAT_FILE), 'utf8'));

  it('is recorded with the extension that recorded it', async () => {
    await mkdir(dir);
    assert.equal(await recordStoreFormat(dir, 'Runlog 9.9.9'), undefined);
    assert.deepEqual(await marker(), { journal_format: JOURNAL_FORMAT, written_by: 'Runlog 9.9.9' });
    assert.deepEqual(await readStoreFormat(dir), { journal_format: JOURNAL_FORMAT, written_by: 'Runlog 9.9.9' });
  });

  it('is not recorded in a store folder that does not exist', async () => {
    assert.equal(await recordStoreFormat(dir, 'Runlog 9.9.9'), undefined);
    assert.equal(await readStoreFormat(dir), undefined);
  });

  it('replaces an unreadable marker and never lowers a newer one', async () => {
    await mkdir(dir);
    await writeFile(join(dir, FORMAT_FILE), '{"journal_format": "one"');
    await recordStoreFormat(dir, 'Runlog 1');
    assert.deepEqual(await marker(), { journal_format: JOURNAL_FORMAT, written_by: 'Runlog 1' });
    const newer = { journal_format: JOURNAL_FORMAT + 1, written_by: 'Runlog 99' };
    await writeFile(join(dir, FORMAT_FILE), JSON.stringify(newer));
    assert.deepEqual(await recordStoreFormat(dir, 'Runlog 1'), newer);
    assert.deepEqual(await marker(), newer);
  });

  it('is recorded by the process that writes the store, also when the folder appears later', async () => {
    const service = await StoreService.start(
      { dir, version: 'Runlog 9.9.9', heartbeatMs: 50, pollMs: 100 },
      { changed: () => undefined, log: () => undefined },
    );
    try {
      assert.equal(await readStoreFormat(dir), undefined, 'opening a store creates nothing');
      await mkdir(join(dir, 'runs'), { recursive: true });
      const found = await waitFor('the format to be recorded', () => readStoreFormat(dir), 5_000);
      assert.deepEqual(found, { journal_format: JOURNAL_FORMAT, written_by: 'Runlog 9.9.9' });
    } finally {
      await service.close();
    }
  });

  it('of a newer Runlog is reported, not lowered', async () => {
    await mkdir(dir);
    await writeFile(
      join(dir, FORMAT_FILE),
      JSON.stringify({ journal_format: JOURNAL_FORMAT + 1, written_by: 'Runlog 99' }),
    );
    const logs: string[] = [];
    const service = await StoreService.start(
      { dir, version: 'Runlog 9.9.9' },
      { changed: () => undefined, log: (_level, message) => logs.push(message) },
    );
    await service.close();
    assert.ok(
      logs.some((m) => m.includes(`format ${JOURNAL_FORMAT + 1} (Runlog 99), newer than Runlog 9.9.9`)),
      logs.join('\n'),
    );
    assert.equal(((await marker()) as { journal_format: number }).journal_format, JOURNAL_FORMAT + 1);
  });

  it('newer than a Python client’s: the client says so once and still logs', async () => {
    await mkdir(dir);
    await writeFile(
      join(dir, FORMAT_FILE),
      JSON.stringify({ journal_format: JOURNAL_FORMAT + 1, written_by: 'Runlog 99' }),
    );
    const script = [
      'import runlog',
      'for name in ("first", "second"):',
      '    with runlog.start_run(name=name):',
      '        runlog.log_metric("loss", 0.5)',
    ].join('\n');
    const result = spawnSync('python3', ['-c', script], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: join(REPO, 'python'), RUNLOG_DIR: dir, RUNLOG_RUN_ID: '' },
    });
    assert.equal(result.status, 0, result.stderr);
    const warnings = result.stderr.split('\n').filter((line) => line.includes('journal format'));
    assert.equal(warnings.length, 1, result.stderr);
    assert.match(
      warnings[0] ?? '',
      new RegExp(`format ${JOURNAL_FORMAT + 1} \\(Runlog 99\\), newer than this client's format ${JOURNAL_FORMAT}`),
    );
    assert.match(warnings[0] ?? '', /Runlog: Install Python Client/);
    const store = await RunStore.open({ dir, writer: false, version: 'test' });
    try {
      assert.deepEqual(
        store
          .query('listRuns')
          .runs.map((r) => r.name)
          .sort(),
        ['first', 'second'],
      );
    } finally {
      store.close();
    }
  });

  it('of the same format: the Python client says nothing', async () => {
    await mkdir(dir);
    await recordStoreFormat(dir, 'Runlog 9.9.9');
    const result = spawnSync('python3', ['-c', 'import runlog; runlog.log_metric("loss", 1.0)'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: join(REPO, 'python'), RUNLOG_DIR: dir, RUNLOG_RUN_ID: '' },
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
  });
});
