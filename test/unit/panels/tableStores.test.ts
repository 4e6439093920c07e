// The runs table over a multi-root workspace's stores (src/panels/tableStores.ts), against two real
// stores: each folder's runs in that store's order under a group row naming the folder, pages and
// id ranges that span the folders, a folded folder, a folder the filter empties, the metrics' spread.
import * as assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TableEntry } from '../../../shared/runsTable';
import { folderGroupKey } from '../../../shared/runsTable';
import type { TableSource } from '../../../src/panels/tableStores';
import {
  combinedBests,
  combinedCsv,
  combinedIds,
  combinedParamValues,
  combinedRows,
} from '../../../src/panels/tableStores';
import type { StoreClient } from '../../../src/store/storeClient';
import { RunStore } from '../../../src/store/runStore';
import type { TableQuery } from '../../../src/store/tableQueries';

const COLUMNS = { params: [], metrics: ['val_loss'], sparks: [] };
const BY_LOSS: TableQuery = {
  sorts: [{ key: 'metrics.val_loss', descending: false }],
  collapsed: [],
  expanded: [],
};

async function storeWith(base: string, runs: readonly [string, number | null][]): Promise<RunStore> {
  const dir = join(base, '.runlog');
  for (const [i, [id, loss]] of runs.entries()) {
    const events = [
      { t: 'run_start', ts: 1000 + i, run_id: id, name: id, experiment: 'e' },
      { t: 'param', ts: 1000 + i, key: 'opt', value: id.endsWith('1') ? 'adam' : id === 'b2' ? '$(sync) sgd' : 'sgd' },
      ...(loss === null ? [] : [{ t: 'metric', ts: 1001 + i, key: 'val_loss', value: loss, step: 0 }]),
      { t: 'run_end', ts: 1002 + i, status: 'FINISHED' },
    ];
    await mkdir(join(dir, 'runs', id), { recursive: true });
    await writeFile(join(dir, 'runs', id, 'events.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
  return RunStore.open({ dir, writer: true, version: 'test' });
}

function source(name: string, store: RunStore): TableSource {
  return {
    name,
    rows: (query, offset, limit, columns) => Promise.resolve(store.query('tableRows', query, offset, limit, columns)),
    ids: (query, from, to) => Promise.resolve(store.query('tableIds', query, from, to)),
    bests: (query, metrics) => Promise.resolve(store.query('tableBests', query, metrics)),
  };
}

const shown = (entries: readonly TableEntry[]): string[] =>
  entries.map((e) => (e.kind === 'run' ? e.run.id : `[${e.value ?? ''} · ${e.runs}${e.collapsed ? ' folded' : ''}]`));

describe('runs table over several workspace folders', function () {
  this.timeout(20_000);
  let base: string;
  let stores: RunStore[];
  let sources: TableSource[];

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'runlog-table-roots-'));
    stores = [
      await storeWith(join(base, 'alpha'), [
        ['a1', 0.5],
        ['a2', 0.2],
      ]),
      await storeWith(join(base, 'beta'), [
        ['b1', 0.3],
        ['b2', 0.9],
        ['b3', null],
      ]),
    ];
    sources = [source('alpha', stores[0]), source('beta', stores[1])];
  });

  after(async () => {
    for (const store of stores) store.close();
    await rm(base, { recursive: true, force: true });
  });

  it("shows each folder's runs in its store's order, under a row naming the folder", async () => {
    const page = await combinedRows(sources, BY_LOSS, 0, 100, COLUMNS);
    assert.deepEqual(shown(page.entries), ['[alpha · 2]', 'a2', 'a1', '[beta · 3]', 'b1', 'b2', 'b3']);
    assert.equal(page.total, 7);
    assert.equal(page.runs, 5);
    const group = page.entries[3];
    assert.equal(group?.kind === 'group' ? group.key : undefined, folderGroupKey('beta'));
  });

  it('answers a page and a range of ids that span two folders', async () => {
    const page = await combinedRows(sources, BY_LOSS, 2, 3, COLUMNS);
    assert.deepEqual(shown(page.entries), ['a1', '[beta · 3]', 'b1']);
    assert.equal(page.offset, 2);
    assert.deepEqual(await combinedIds(sources, BY_LOSS, 2, 6), ['a1', 'b1', 'b2']);
    assert.deepEqual(await combinedIds(sources, BY_LOSS, 0, 7), ['a2', 'a1', 'b1', 'b2', 'b3']);
  });

  it('folds a folder like a group, and leaves out a folder the filter empties', async () => {
    const folded = await combinedRows(sources, { ...BY_LOSS, collapsed: [folderGroupKey('alpha')] }, 0, 100, COLUMNS);
    assert.deepEqual(shown(folded.entries), ['[alpha · 2 folded]', '[beta · 3]', 'b1', 'b2', 'b3']);
    assert.equal(folded.total, 5);
    const filtered = await combinedRows(sources, { ...BY_LOSS, filter: 'metrics.val_loss > 0.4' }, 0, 100, COLUMNS);
    assert.deepEqual(shown(filtered.entries), ['[alpha · 1]', 'a1', '[beta · 1]', 'b2']);
    const none = await combinedRows(sources, { ...BY_LOSS, filter: 'metrics.val_loss > 5' }, 0, 100, COLUMNS);
    assert.deepEqual(none.entries, []);
    assert.equal(none.total, 0, 'an empty table: the page says so');
  });

  it("keys each folder's own group rows under the folder: folding one folder's group leaves the other's", async () => {
    const grouped: TableQuery = { ...BY_LOSS, group: 'status' };
    const open = await combinedRows(sources, grouped, 0, 100, COLUMNS);
    assert.deepEqual(shown(open.entries), [
      '[alpha · 2]',
      '[FINISHED · 2]',
      'a2',
      'a1',
      '[beta · 3]',
      '[FINISHED · 3]',
      'b1',
      'b2',
      'b3',
    ]);
    const betaFinished = open.entries[5];
    assert.equal(betaFinished?.kind === 'group' ? betaFinished.key : '', `${folderGroupKey('beta')}/status=FINISHED`);
    const folded = { ...grouped, collapsed: [`${folderGroupKey('beta')}/status=FINISHED`] };
    const page = await combinedRows(sources, folded, 0, 100, COLUMNS);
    assert.deepEqual(shown(page.entries), [
      '[alpha · 2]',
      '[FINISHED · 2]',
      'a2',
      'a1',
      '[beta · 3]',
      '[FINISHED · 3 folded]',
    ]);
    assert.deepEqual(await combinedIds(sources, folded, 0, 6), ['a2', 'a1']);
  });

  it("gives each metric's spread over every folder's runs (a column's best)", async () => {
    const bests = new Map(await combinedBests(sources, BY_LOSS, ['val_loss']));
    assert.deepEqual(bests.get('val_loss')?.last, [0.2, 0.9]);
  });

  /** The stores as StoreFolders (the worker's client calls the same queries). */
  const asFolders = (names: readonly string[]): { name: string; store: StoreClient }[] =>
    stores.map((store, i) => ({
      name: names[i] ?? String(i),
      store: {
        call: (method: Parameters<RunStore['query']>[0], ...args: unknown[]) =>
          Promise.resolve((store.query as (m: string, ...a: unknown[]) => unknown)(method, ...args)),
      } as unknown as StoreClient,
    }));

  it('writes the CSV of every folder under one header, each line naming its folder', async () => {
    const csv = await combinedCsv(asFolders(['alpha', 'beta']), BY_LOSS, {
      columns: ['run.name', 'metrics.val_loss'],
      stats: {},
      goals: {},
    });
    assert.deepEqual(csv.split('\r\n'), [
      'workspace,run_id,parent_run_id,run.name,metrics.val_loss',
      'alpha,a2,,a2,0.2',
      'alpha,a1,,a1,0.5',
      'beta,b1,,b1,0.3',
      'beta,b2,,b2,0.9',
      'beta,b3,,b3,',
      '',
    ]);
    const one = await combinedCsv(asFolders(['alpha']).slice(0, 1), BY_LOSS, {
      columns: ['run.name'],
      stats: {},
      goals: {},
    });
    assert.equal(one.split('\r\n')[0], 'run_id,parent_run_id,run.name', 'one folder: no workspace column');
  });

  it("offers a param's values from every folder's store, counted over both", async () => {
    const folders = asFolders(['0', '1']);
    assert.deepEqual(await combinedParamValues(folders, 'opt'), [
      { value: 'adam', runs: 2 },
      { value: 'sgd', runs: 2 },
      { value: '$(sync) sgd', runs: 1 },
    ]);
  });

  it('shows one folder without a folder row', async () => {
    const page = await combinedRows(sources.slice(1), BY_LOSS, 0, 100, COLUMNS);
    assert.deepEqual(shown(page.entries), ['b1', 'b2', 'b3']);
  });
});
