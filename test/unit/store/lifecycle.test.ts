import * as assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEventLine } from '../../../src/store/eventParse';
import { RunStore } from '../../../src/store/runStore';
import type { ListRunsQuery } from '../../../src/store/types';

const line = (event: object): string => `${JSON.stringify(event)}\n`;

describe('run lifecycle in the store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-lifecycle-')), '.runlog');
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  const open = (): Promise<RunStore> => RunStore.open({ dir, writer: false, version: 'test' });

  async function journal(runId: string, ...events: object[]): Promise<void> {
    await mkdir(join(dir, 'runs', runId), { recursive: true });
    await appendFile(join(dir, 'runs', runId, 'events.jsonl'), events.map(line).join(''));
  }

  const start = (runId: string, ts: number, extra: object = {}): object => ({
    t: 'run_start',
    ts,
    run_id: runId,
    name: `name-${runId}`,
    experiment: 'prices',
    ...extra,
  });

  it('validates lifecycle events', () => {
    for (const action of ['delete', 'restore', 'pin', 'unpin']) {
      assert.equal(parseEventLine(JSON.stringify({ t: 'lifecycle', ts: 1, action })).ok, true, action);
    }
    assert.equal(parseEventLine('{"t":"lifecycle","ts":1,"action":"remove_tag","key":"note"}').ok, true);
    const refused = [
      '{"t":"lifecycle","ts":1,"action":"explode"}',
      '{"t":"lifecycle","ts":1,"action":"remove_tag"}',
      '{"t":"lifecycle","ts":1,"action":"pin","key":3}',
    ];
    for (const text of refused) {
      const parsed = parseEventLine(text);
      assert.equal(parsed.ok, false, text);
      assert.match(parsed.ok ? '' : parsed.reason, /^lifecycle: /);
    }
  });

  it('deletes to the trash, restores, pins and removes tags, in journal order', async () => {
    await journal(
      'a',
      start('a', 100),
      { t: 'tag', ts: 101, key: 'note', value: 'keep' },
      { t: 'tag', ts: 102, key: 'team', value: 'vision' },
      { t: 'lifecycle', ts: 103, action: 'pin' },
      { t: 'lifecycle', ts: 104, action: 'remove_tag', key: 'note' },
    );
    await journal('b', start('b', 200), { t: 'lifecycle', ts: 201, action: 'delete' });
    const store = await open();
    assert.deepEqual(
      store.query('listRuns').runs.map((r) => [r.id, r.pinned, r.deleted]),
      [['a', true, false]],
    );
    assert.deepEqual(store.query('getRun', 'a')?.tags, { 'runlog.pinned': 'true', team: 'vision' });
    assert.deepEqual(
      store.query('listRuns', { deleted: 'deleted' }).runs.map((r) => r.id),
      ['b'],
    );
    assert.equal(
      store.query('experiments').find((e) => e.name === 'prices')?.runCount,
      1,
      'a deleted run does not count',
    );

    await appendFile(join(dir, 'runs', 'b', 'events.jsonl'), line({ t: 'lifecycle', ts: 202, action: 'restore' }));
    await appendFile(join(dir, 'runs', 'a', 'events.jsonl'), line({ t: 'lifecycle', ts: 105, action: 'unpin' }));
    await store.syncJournals();
    assert.deepEqual(
      store.query('listRuns').runs.map((r) => [r.id, r.pinned, r.deleted]),
      [
        ['b', false, false],
        ['a', false, false],
      ],
    );
    store.close();
  });

  it('forgets a run whose folder was deleted, at a full scan and when asked about it', async () => {
    await journal('a', start('a', 100), { t: 'param', ts: 101, key: 'lr', value: '0.1' });
    await journal('b', start('b', 200));
    await journal('c', start('c', 300));
    const store = await open();
    await rm(join(dir, 'runs', 'a'), { recursive: true });
    const scan = await store.syncJournals();
    assert.deepEqual(scan.changedRuns, ['a']);
    await rm(join(dir, 'runs', 'b'), { recursive: true });
    const asked = await store.syncJournals(['b']);
    assert.deepEqual(asked.changedRuns, ['b']);
    assert.deepEqual(
      store.query('listRuns').runs.map((r) => r.id),
      ['c'],
    );
    assert.equal(store.query('getRun', 'a'), undefined);
    assert.deepEqual(store.query('keys', 'params'), [], "the run's rows are gone");
    assert.deepEqual((await store.syncJournals()).changedRuns, [], 'and it is forgotten once');
    store.close();
  });

  it('groups runs by branch, commit and status, and lists one group', async () => {
    const git = (commit: string, branch?: string): object => ({
      t: 'git',
      ts: 1,
      commit,
      ...(branch ? { branch } : {}),
      dirty: false,
      patch: '',
      untracked: [],
    });
    await journal('a', start('a', 100), git('c1', 'main'), { t: 'run_end', ts: 150, status: 'FINISHED' });
    await journal('b', start('b', 200), git('c2', 'main'), { t: 'run_end', ts: 250, status: 'FAILED' });
    await journal('c', start('c', 300), git('c2'));
    await journal('d', start('d', 400));
    const store = await open();
    assert.deepEqual(store.query('runGroups', 'branch'), [
      { value: 'main', runCount: 2 },
      { value: null, runCount: 2 },
    ]);
    assert.deepEqual(store.query('runGroups', 'commit'), [
      { value: 'c2', runCount: 2 },
      { value: 'c1', runCount: 1 },
      { value: null, runCount: 1 },
    ]);
    assert.deepEqual(store.query('runGroups', 'status'), [
      { value: 'FAILED', runCount: 1 },
      { value: 'FINISHED', runCount: 1 },
      { value: 'RUNNING', runCount: 2 },
    ]);
    assert.deepEqual(store.query('runGroups', 'status', { filter: "attributes.run_name != 'name-d'" }).at(-1), {
      value: 'RUNNING',
      runCount: 1,
    });
    const ids = (page: { runs: { id: string }[] }): string[] => page.runs.map((r) => r.id);
    assert.deepEqual(ids(store.query('listRuns', { group: { by: 'branch', value: null } })), ['d', 'c']);
    assert.deepEqual(ids(store.query('listRuns', { group: { by: 'commit', value: 'c2' } })), ['c', 'b']);
    assert.deepEqual(ids(store.query('listRuns', { statuses: ['RUNNING'], runIds: ['a', 'c', 'd'] })), ['d', 'c']);
    store.close();
  });

  it('sorts by a metric best value and puts pinned runs first', async () => {
    const points = (key: string, ...values: number[]): object[] =>
      values.map((value, step) => ({ t: 'metric', ts: 1000 + step, key, value, step }));
    await journal('a', start('a', 100), ...points('loss', 0.9, 0.1, 0.5));
    await journal('b', start('b', 200), ...points('loss', 0.3, 0.2));
    await journal('c', start('c', 300), ...points('loss', 0.4), { t: 'lifecycle', ts: 301, action: 'pin' });
    await journal('d', start('d', 400));
    const store = await open();
    const order = (query: ListRunsQuery): string[] => store.query('listRuns', query).runs.map((r) => r.id);
    assert.deepEqual(order({ sort: { key: 'metrics.loss', descending: false } }), ['b', 'c', 'a', 'd'], 'by last');
    assert.deepEqual(order({ sort: { key: 'metrics.loss', descending: false, value: 'min' } }), ['a', 'b', 'c', 'd']);
    assert.deepEqual(order({ sort: { key: 'metrics.loss', descending: true, value: 'max' } }), ['a', 'c', 'b', 'd']);
    assert.deepEqual(order({ sort: { key: 'metrics.loss', descending: false, value: 'min' }, pinnedFirst: true }), [
      'c',
      'a',
      'b',
      'd',
    ]);
    store.close();
  });
});
