import * as assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TableEntry } from '../../../shared/runsTable';
import { RunStore } from '../../../src/store/runStore';
import { metricRangeTerm, paramValuesTerm, withTerm } from '../../../src/store/filterText';
import type { TableQuery } from '../../../src/store/tableQueries';

const line = (event: object): string => `${JSON.stringify(event)}\n`;

interface RunSpec {
  readonly id: string;
  readonly start: number;
  readonly parent?: string;
  readonly status?: 'FINISHED' | 'FAILED';
  readonly params?: Record<string, string>;
  readonly metrics?: Record<string, number[]>;
  readonly tags?: Record<string, string>;
  readonly branch?: string;
}

const BASE: TableQuery = { sorts: [], collapsed: [], expanded: [] };
const COLUMNS = { params: ['lr', 'optimizer'], metrics: ['val_loss'], sparks: [] };

describe('runs table queries', function () {
  this.timeout(20_000);
  let dir: string;
  let store: RunStore;

  async function journal(spec: RunSpec): Promise<void> {
    let text = line({
      t: 'run_start',
      ts: spec.start,
      run_id: spec.id,
      name: `name-${spec.id}`,
      experiment: 'grid',
      ...(spec.parent ? { parent_run_id: spec.parent } : {}),
    });
    if (spec.branch) {
      text += line({
        t: 'git',
        ts: spec.start,
        commit: `c-${spec.branch}`,
        branch: spec.branch,
        dirty: false,
        patch: '',
        untracked: [],
      });
    }
    for (const [key, value] of Object.entries(spec.params ?? {}))
      text += line({ t: 'param', ts: spec.start, key, value });
    for (const [key, value] of Object.entries(spec.tags ?? {})) text += line({ t: 'tag', ts: spec.start, key, value });
    for (const [key, values] of Object.entries(spec.metrics ?? {})) {
      values.forEach((value, step) => {
        text += line({ t: 'metric', ts: spec.start + step, key, value, step });
      });
    }
    text += line({ t: 'run_end', ts: spec.start + 100, status: spec.status ?? 'FINISHED' });
    await mkdir(join(dir, 'runs', spec.id), { recursive: true });
    await appendFile(join(dir, 'runs', spec.id, 'events.jsonl'), text);
  }

  const runIds = (entries: readonly TableEntry[]): string[] =>
    entries.map((e) => (e.kind === 'run' ? `${'  '.repeat(e.depth)}${e.run.id}` : `[${e.kind}]`));

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-table-')), '.runlog');
    await journal({
      id: 'a',
      start: 100,
      params: { lr: '0.1', optimizer: 'adam' },
      metrics: { val_loss: [0.9, 0.5] },
      branch: 'main',
    });
    await journal({
      id: 'b',
      start: 200,
      params: { lr: '0.01', optimizer: 'sgd' },
      metrics: { val_loss: [0.8, 0.3] },
      branch: 'main',
    });
    await journal({
      id: 'c',
      start: 300,
      params: { lr: '0.001', optimizer: 'adam' },
      metrics: { val_loss: [0.7, 0.4] },
      status: 'FAILED',
      branch: 'dev',
    });
    await journal({
      id: 'grid',
      start: 400,
      params: { optimizer: 'adam' },
      tags: { 'mlflow.note.content': '**best** grid', team: 'vision' },
    });
    await journal({ id: 'g1', start: 401, parent: 'grid', params: { lr: '0.5' }, metrics: { val_loss: [0.6, 0.2] } });
    await journal({ id: 'g2', start: 402, parent: 'grid', params: { lr: '0.05' }, metrics: { val_loss: [0.9, 0.7] } });
    store = await RunStore.open({ dir, writer: true, version: 'test' });
  });
  afterEach(async () => {
    store.close();
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('lists the keys of params, metrics and user tags (not the note, not Runlog’s own)', () => {
    assert.deepEqual(store.query('tableKeys'), { params: ['lr', 'optimizer'], metrics: ['val_loss'], tags: ['team'] });
  });

  it('sorts by a metric in SQL, children under their parent, and pages the rows', () => {
    const query: TableQuery = { ...BASE, sorts: [{ key: 'metrics.val_loss', descending: false }], expanded: ['grid'] };
    const page = store.query('tableRows', query, 0, 100, COLUMNS);
    // The grid has no val_loss of its own: it sorts last; its children follow it in the same order.
    assert.deepEqual(runIds(page.entries), ['b', 'c', 'a', 'grid', '  g1', '  g2']);
    assert.equal(page.total, 6);
    assert.equal(page.runs, 6);
    const second = store.query('tableRows', query, 2, 2, COLUMNS);
    assert.deepEqual(runIds(second.entries), ['a', 'grid']);
    assert.equal(second.offset, 2);
  });

  it('gives each run its params, metrics, tags and note, and a parent its children’s spread', () => {
    const page = store.query(
      'tableRows',
      { ...BASE, sorts: [{ key: 'start_time', descending: true }] },
      0,
      10,
      COLUMNS,
    );
    assert.deepEqual(runIds(page.entries), ['grid', 'c', 'b', 'a'], 'collapsed: the children are not rows');
    const grid = page.entries[0];
    assert.ok(grid?.kind === 'run');
    assert.equal(grid.run.children, 2);
    assert.equal(grid.expanded, false);
    assert.equal(grid.run.note, '**best** grid');
    assert.deepEqual(grid.run.tags, { team: 'vision' });
    assert.deepEqual(grid.run.childMetrics['val_loss'], { last: [0.2, 0.7], min: [0.2, 0.7], max: [0.6, 0.9] });
    const b = page.entries[2];
    assert.ok(b?.kind === 'run');
    assert.deepEqual(b.run.params, { lr: '0.01', optimizer: 'sgd' });
    assert.deepEqual(b.run.metrics, { val_loss: { last: 0.3, min: 0.3, max: 0.8 } });
    assert.deepEqual(b.run.git, { commit: 'c-main', branch: 'main', dirty: false });
  });

  it('sorts by a param numerically, several sorts at once', () => {
    const byLr = store.query('tableRows', { ...BASE, sorts: [{ key: 'params.lr', descending: true }] }, 0, 10, COLUMNS);
    assert.deepEqual(runIds(byLr.entries), ['a', 'b', 'c', 'grid']);
    const twice = store.query(
      'tableRows',
      {
        ...BASE,
        sorts: [
          { key: 'params.optimizer', descending: false },
          { key: 'start_time', descending: true },
        ],
      },
      0,
      10,
      COLUMNS,
    );
    assert.deepEqual(runIds(twice.entries), ['grid', 'c', 'a', 'b']);
  });

  it('shows a child that matches the filter on its own when its parent does not', () => {
    const page = store.query('tableRows', { ...BASE, filter: 'metrics.val_loss < 0.35' }, 0, 10, COLUMNS);
    assert.deepEqual(runIds(page.entries).sort(), ['b', 'g1']);
    assert.equal(page.runs, 2);
  });

  it("lists a param's values, the most common first, and its quick filters select in the store", () => {
    assert.deepEqual(store.query('paramValues', 'optimizer'), [
      { value: 'adam', runs: 3 },
      { value: 'sgd', runs: 1 },
    ]);
    assert.deepEqual(store.query('paramValues', 'missing'), []);
    const range = metricRangeTerm('val_loss', 0.25, 0.45);
    const pick = paramValuesTerm('lr', ['0.01', '0.001']);
    assert.ok(range !== undefined && pick !== undefined);
    const page = store.query('tableRows', { ...BASE, filter: withTerm(range, pick) }, 0, 10, COLUMNS);
    assert.deepEqual(runIds(page.entries).sort(), ['b', 'c']);
  });

  it('groups rows with counts and the best key metric, and hides a collapsed group', () => {
    const query: TableQuery = {
      ...BASE,
      sorts: [{ key: 'start_time', descending: false }],
      group: 'params.optimizer',
      keyMetric: { key: 'val_loss', goal: 'min' },
    };
    const page = store.query('tableRows', query, 0, 20, COLUMNS);
    const groups = page.entries.filter((e) => e.kind === 'group');
    assert.deepEqual(
      groups.map((g) => (g.kind === 'group' ? [g.value, g.runs, g.best] : [])),
      [
        ['adam', 3, 0.4],
        ['sgd', 1, 0.3],
        [null, 2, 0.2],
      ],
    );
    // g1 and g2 log no optimizer: their parent is in another group, so they stand on their own.
    assert.deepEqual(runIds(page.entries), ['[group]', 'a', 'c', 'grid', '[group]', 'b', '[group]', 'g1', 'g2']);
    const adam = groups[0];
    assert.ok(adam?.kind === 'group');
    const folded = store.query('tableRows', { ...query, collapsed: [adam.key] }, 0, 20, COLUMNS);
    assert.deepEqual(runIds(folded.entries), ['[group]', '[group]', 'b', '[group]', 'g1', 'g2']);
  });

  it('groups by branch, and by status', () => {
    const byBranch = store.query('tableRows', { ...BASE, group: 'branch' }, 0, 20, COLUMNS);
    const values = byBranch.entries.flatMap((e) => (e.kind === 'group' ? [e.value] : []));
    assert.deepEqual(values, ['dev', 'main', null]);
    const byStatus = store.query('tableRows', { ...BASE, group: 'status' }, 0, 20, COLUMNS);
    assert.deepEqual(
      byStatus.entries.flatMap((e) => (e.kind === 'group' ? [[e.value, e.runs]] : [])),
      [
        ['FAILED', 1],
        ['FINISHED', 5],
      ],
    );
  });

  it('names the runs of a range of rows, and each metric’s best over the filtered runs', () => {
    const query: TableQuery = { ...BASE, sorts: [{ key: 'start_time', descending: false }], expanded: ['grid'] };
    assert.deepEqual(store.query('tableIds', query, 1, 5), ['b', 'c', 'grid', 'g1']);
    assert.deepEqual(store.query('tableBests', { ...BASE, filter: "params.optimizer = 'adam'" }, ['val_loss']), [
      ['val_loss', { last: [0.4, 0.5], min: [0.4, 0.5], max: [0.7, 0.9] }],
    ]);
  });

  it('writes CSV of every run in the table’s order, children after their parent, full precision', async () => {
    await journal({ id: 'x', start: 50, params: { lr: '=HYPERLINK("evil")' }, metrics: { val_loss: [0.1 + 0.2] } });
    await store.syncJournals();
    const csv = store.query(
      'tableCsv',
      { ...BASE, sorts: [{ key: 'start_time', descending: false }] },
      { columns: ['run.name', 'params.lr', 'metrics.val_loss', 'spark.val_loss', 'run.note'], stats: {}, goals: {} },
    );
    const lines = csv.split('\r\n');
    assert.equal(lines[0], 'run_id,parent_run_id,run.name,params.lr,metrics.val_loss,run.note');
    assert.equal(lines[1], `x,,name-x,"'=HYPERLINK(""evil"")",0.30000000000000004,`);
    assert.deepEqual(
      lines.slice(2, -1).map((l) => l.split(',').slice(0, 2).join(',')),
      ['a,', 'b,', 'c,', 'grid,', 'g1,grid', 'g2,grid'],
    );
    assert.ok(lines[5]?.endsWith(',**best** grid'), lines[5]);
  });

  it('sees new runs at once: the kept order lasts only while the database does not change', async () => {
    const query: TableQuery = { ...BASE, sorts: [{ key: 'metrics.val_loss', descending: false }] };
    assert.equal(runIds(store.query('tableRows', query, 0, 1, COLUMNS).entries)[0], 'b');
    await journal({ id: 'best', start: 500, metrics: { val_loss: [0.01] } });
    await store.syncJournals();
    assert.equal(runIds(store.query('tableRows', query, 0, 1, COLUMNS).entries)[0], 'best');
  });

  it('shows every run of a cycle of parents at the top level rather than none', async () => {
    await journal({ id: 'p', start: 600, parent: 'q' });
    await journal({ id: 'q', start: 601, parent: 'p' });
    await journal({ id: 'kid', start: 602, parent: 'p' });
    await store.syncJournals();
    const page = store.query(
      'tableRows',
      { ...BASE, sorts: [{ key: 'start_time', descending: true }], expanded: ['p'] },
      0,
      3,
      COLUMNS,
    );
    assert.deepEqual(runIds(page.entries), ['q', 'p', '  kid']);
  });

  it('lists the Runs view’s top-level runs and a run’s children, with their counts', () => {
    const top = store.query('listRuns', { nesting: { parent: null }, sort: { key: 'start_time', descending: true } });
    assert.deepEqual(
      top.runs.map((r) => r.id),
      ['grid', 'c', 'b', 'a'],
    );
    assert.equal(top.total, 4);
    assert.deepEqual(top.children, { grid: 2 });
    const kids = store.query('listRuns', {
      nesting: { parent: 'grid' },
      sort: { key: 'start_time', descending: false },
    });
    assert.deepEqual(
      kids.runs.map((r) => r.id),
      ['g1', 'g2'],
    );
    assert.equal(kids.total, 2);
    const filtered = store.query('listRuns', { nesting: { parent: null }, filter: 'metrics.val_loss < 0.25' });
    assert.deepEqual(
      filtered.runs.map((r) => r.id),
      ['g1'],
      'a child whose parent the filter hides stands on its own',
    );
  });

  it('gives the notes of the runs that have one, for the Runs view’s tooltips', () => {
    assert.deepEqual(store.query('notes', ['a', 'grid', 'missing']), [['grid', '**best** grid']]);
    assert.deepEqual(store.query('notes', []), []);
  });
});
