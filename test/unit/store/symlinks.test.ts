import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendRunEvents } from '../../../src/runs/runEdits';
import { RunStore } from '../../../src/store/runStore';
import { Harness } from '../mlflow/endpointHarness';

const START = (id: string): string =>
  `${JSON.stringify({ t: 'run_start', ts: 1, run_id: id, name: id, experiment: 'e' })}\n`;

describe('symbolic links in a store', () => {
  let root: string;
  let elsewhere: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'runlog-links-'));
    elsewhere = join(root, 'elsewhere');
    await mkdir(join(elsewhere, 'artifacts'), { recursive: true });
    await writeFile(join(elsewhere, 'events.jsonl'), START('linked'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('the store skips a symlinked run folder or journal, saying why once', async () => {
    const dir = join(root, '.runlog');
    await mkdir(join(dir, 'runs', 'real'), { recursive: true });
    await writeFile(join(dir, 'runs', 'real', 'events.jsonl'), START('real'));
    await symlink(elsewhere, join(dir, 'runs', 'linked'));
    await mkdir(join(dir, 'runs', 'journal-linked'));
    await symlink(join(elsewhere, 'events.jsonl'), join(dir, 'runs', 'journal-linked', 'events.jsonl'));
    const logs: string[] = [];
    const store = await RunStore.open({ dir, writer: false, version: 'test', log: (m) => logs.push(m) });
    await store.syncJournals();
    await store.syncJournals(['linked', 'journal-linked']);
    assert.deepEqual(
      store.query('listRuns').runs.map((r) => r.id),
      ['real'],
    );
    assert.equal(logs.filter((m) => m.includes('runs/linked is a symbolic link')).length, 1, logs.join('\n'));
    assert.equal(logs.filter((m) => m.includes('journal of run journal-linked is a symbolic link')).length, 1);
    store.close();
    await assert.rejects(appendRunEvents(dir, 'linked', [{ t: 'tag', ts: 2, key: 'k', value: 'v' }]), /symbolic link/);
    assert.equal(await readFile(join(elsewhere, 'events.jsonl'), 'utf8'), START('linked'));
  });

  it('the endpoint writes nothing through a symlinked run folder: metrics, params, artifacts', async () => {
    const h = await Harness.start();
    try {
      await mkdir(join(h.dir, 'runs'), { recursive: true });
      await symlink(elsewhere, join(h.dir, 'runs', 'linked'));
      const metric = await h.post('runs/log-metric', { run_id: 'linked', key: 'm', value: 1, timestamp: 1 });
      assert.equal(metric.status, 404);
      const param = await h.post('runs/log-parameter', { run_id: 'linked', key: 'p', value: '1' });
      assert.equal(param.status, 404);
      const put = await h.request('/api/2.0/mlflow-artifacts/artifacts/linked/a.bin', { method: 'PUT', rawBody: 'x' });
      assert.equal(put.status, 404);
      assert.equal(await readFile(join(elsewhere, 'events.jsonl'), 'utf8'), START('linked'));
      assert.deepEqual(await readdir(join(elsewhere, 'artifacts')), []);
      assert.ok(
        h.logs.some((l) => l.includes('symbolic link')),
        h.logs.join('\n'),
      );
    } finally {
      await h.stop();
    }
  });
});
