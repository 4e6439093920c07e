import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOrderBy } from '../../../src/mlflow/runHandlers';
import { FilterError, MAX_FILTER_DEPTH } from '../../../src/store/filter';
import { metricBatchLine } from '../../../src/store/metricBatchLine';
import { RunStore } from '../../../src/store/runStore';
import type { ListRunsQuery } from '../../../src/store/types';

const REPO = join(__dirname, '../../../..');

// runlog.search_runs reads journals and evaluates filters in Python (python/runlog/_filter.py,
// _search.py) so a training machine needs no Node. This holds it to the store: the same filters and
// order_by clauses through both, on one store, must find the same runs in the same order, and the
// same bad filters must fail with the same message at the same position.
const PYTHON = `
import json, sys
from runlog._search import find_runs
from runlog._filter import FilterError
store, cases = json.load(sys.stdin)
out = []
for case in cases:
    try:
        runs = find_runs(store, case["filter"] or None, case["orderBy"], None, case["view"])
        out.append({"ids": [run.id for run in runs]})
    except FilterError as error:
        out.append({"error": str(error), "position": error.position, "length": error.length})
    except ValueError as error:
        out.append({"error": str(error)})
print(json.dumps(out))
`;

interface Case {
  readonly filter: string;
  readonly orderBy: readonly string[];
  readonly view: 'active' | 'deleted' | 'all';
}

type Outcome = { ids: string[] } | { error: string; position?: number; length?: number };

const T0 = 1_732_600_000_000;

/** A journal from events; `ts` offsets are seconds after T0. */
function journal(lines: readonly (Record<string, unknown> | string)[]): string {
  return lines.map((l) => `${typeof l === 'string' ? l : JSON.stringify(l)}\n`).join('');
}

function start(id: string, s: number, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { t: 'run_start', ts: T0 + s * 1000, run_id: id, name, experiment: 'exp-a', ...extra };
}

const ev = (t: string, s: number, fields: Record<string, unknown>): Record<string, unknown> => ({
  t,
  ts: T0 + s * 1000,
  ...fields,
});
const metric = (s: number, key: string, value: unknown, step: number): string =>
  `{"t":"metric","ts":${T0 + s * 1000},"key":${JSON.stringify(key)},"value":${typeof value === 'string' ? JSON.stringify(value) : String(value)},"step":${step}}`;

const RUNS: Record<string, string> = {
  r01: journal([
    start('r01', 10, 'alpha', { user: 'ana', command: 'python train.py --lr 0.01', source: '/w/train.py' }),
    ev('git', 10, { commit: 'abc123', branch: 'main', dirty: false, patch: '', untracked: [] }),
    ev('param', 10, { key: 'lr', value: '0.01' }),
    ev('param', 10, { key: 'model', value: 'forest' }),
    ev('param', 10, { key: 'layers', value: ' 3 ' }),
    ev('param', 10, { key: 'note', value: 'auto' }),
    ev('tag', 10, { key: 'team', value: 'ML' }),
    ev('tag', 10, { key: 'note', value: '50% off_peak' }),
    metric(11, 'loss', 1, 0),
    metric(12, 'loss', 0.5, 1),
    metric(13, 'loss', 0.25, 2),
    metric(13, 'acc', 0.9, 2),
    ev('input', 10, { name: 'train', path: 'data.csv', digest: 'd1' }),
    ev('run_end', 20, { status: 'FINISHED', exit_code: 0 }),
  ]),
  r02: journal([
    start('r02', 30, 'Beta', { user: 'bob', command: 'python TRAIN.py' }),
    ev('param', 30, { key: 'lr', value: '1e-3' }),
    ev('param', 30, { key: 'model', value: 'linear' }),
    ev('param', 30, { key: 'layers', value: '2' }),
    ev('tag', 30, { key: 'team', value: 'ml' }),
    metric(31, 'loss', 0.3, 0),
    metric(32, 'loss', 'NaN', 5),
    metric(32, 'acc', 'Infinity', 1),
    ev('run_end', 40, { status: 'FAILED', exit_code: 1, error: 'boom' }),
  ]),
  // Still running; a later point at the same step wins; queued, then running.
  r03: journal([
    start('r03', 50, 'gamma', { user: 'ana' }),
    ev('status', 50, { status: 'QUEUED' }),
    ev('status', 51, { status: 'RUNNING' }),
    ev('param', 50, { key: 'lr', value: 'auto' }),
    metric(52, 'loss', 0.5, 5),
    metric(52, 'loss', 0.1, 2),
    metric(53, 'loss', 0.7, 5),
    metric(53, 'acc', -0.0, 1),
  ]),
  // Killed; a late status cannot revive it; renamed and moved by tags.
  r04: journal([
    start('r04', 60, 'delta'),
    ev('run_end', 61, { status: 'KILLED' }),
    ev('status', 62, { status: 'RUNNING' }),
    ev('tag', 62, { key: 'runlog.name', value: 'renamed' }),
    ev('tag', 62, { key: 'runlog.experiment', value: 'exp-b' }),
    ev('param', 60, { key: 'lr', value: '0.05' }),
    metric(61, 'loss', 0.4, 0),
  ]),
  r05: journal([
    start('r05', 70, 'epsilon'),
    ev('param', 70, { key: 'lr', value: '0.1' }),
    ev('lifecycle', 71, { action: 'delete' }),
    ev('run_end', 72, { status: 'FINISHED' }),
  ]),
  r06: journal([
    start('r06', 80, 'zeta'),
    ev('lifecycle', 81, { action: 'delete' }),
    ev('lifecycle', 82, { action: 'restore' }),
    ev('lifecycle', 82, { action: 'pin' }),
    ev('tag', 82, { key: 'x', value: 'gone' }),
    ev('lifecycle', 83, { action: 'remove_tag', key: 'x' }),
    ev('run_end', 90, { status: 'FINISHED', exit_code: 0 }),
  ]),
  // No run_start: the run starts at its first event, named by its id.
  r07: journal([ev('param', 95, { key: 'lr', value: '0.2' }), metric(96, 'loss', 0.9, 0)]),
  // Lines the store refuses: a number param, a second value for a param, bad JSON, a newer type, a fractional step.
  r08: journal([
    start('r08', 100, 'eta', { user: '' }),
    '{"t":"param","ts":1732600100000,"key":"layers","value":5}',
    ev('param', 100, { key: 'layers', value: '5' }),
    ev('param', 100, { key: 'lr', value: '0.001' }),
    ev('param', 101, { key: 'lr', value: '0.9' }),
    'not json at all',
    '{"t":"hologram","ts":1732600100000,"key":"x"}',
    '{"t":"metric","ts":1732600100000,"key":"loss","value":0.2,"step":1.5}',
    '{"t":"metric","ts":NaN,"key":"loss","value":0.2,"step":1}',
    metric(102, 'loss', 0.15, 3),
    ev('run_end', 103, { status: 'FINISHED', exit_code: 2 }),
  ]),
  r09: journal([
    start('r09', 110, 'theta', { parent_run_id: 'r01', entry_point: 'main' }),
    ev('git', 110, { commit: 'def456', dirty: true, patch: 'diff', untracked: [{ path: 'x.py' }] }),
    ev('input', 110, { name: 'train', path: 'a.csv', digest: 'd2' }),
    ev('input', 110, { name: 'test', path: 'b.csv', digest: 'd3', shape: [10, 2] }),
    ev('param', 110, { key: 'lr', value: '-0.5' }),
    ev('param', 110, { key: 'batch size', value: '32' }),
    metric(111, 'val/loss', 0.33, 0),
    ev('run_end', 112, { status: 'FINISHED', exit_code: 0 }),
  ]),
  r10: journal([
    start('r10', 120, 'über-Ärger', { experiment: 'exp-b' }),
    ev('tag', 120, { key: 'team', value: 'Équipe' }),
    ev('tag', 120, { key: 'glob', value: 'a*b[c]?' }),
    ev('param', 120, { key: 'lr', value: '1E-2' }),
    ev('param', 120, { key: 'model', value: 'Forest' }),
    metric(121, 'loss', 'Infinity', 0),
    metric(121, 'acc', '-Infinity', 0),
    ev('run_end', 130, { status: 'FINISHED' }),
  ]),
  // Starts with r01 to the millisecond: ties are ordered by id.
  r11: journal([
    start('r11', 10, 'ALPHA'),
    ev('param', 10, { key: 'lr', value: '0.010' }),
    ev('param', 10, { key: 'layers', value: '3abc' }),
    metric(11, 'loss', 0.25, 0),
    ev('run_end', 25, { status: 'FINISHED', exit_code: 0 }),
  ]),
  // Batched metric lines (journal format 4) mixed with metric lines; a refused batched line counts for nothing.
  r14: journal([
    start('r14', 140, 'theta'),
    metricBatchLine(
      'loss',
      [0, 1, 1, 3],
      [T0 + 141000, T0 + 141000, T0 + 142000, T0 + 143000],
      [0.8, Number.NaN, 0.35, 0.3],
    ).trimEnd(),
    metric(144, 'loss', 0.05, 3),
    metricBatchLine('acc', [2, 0], [T0 + 141000, T0 + 145000], [-0, 0.95]).trimEnd(),
    '{"t":"metrics","key":"loss","ts":[1732600146000],"step":[9],"value":"bad!"}',
    ev('run_end', 150, { status: 'FINISHED' }),
  ]),
  // No run_start, and a batched line first: the run starts at its first point.
  r15: journal([metricBatchLine('loss', [0, 1], [T0 + 161000, T0 + 162000], [0.6, 0.45]).trimEnd()]),
};

const FILTERS = [
  '',
  'metrics.loss < 0.5',
  'metrics.loss >= 0.25',
  'metrics.loss = NaN',
  'metrics.loss != NaN',
  'metrics.acc > 1e308',
  'metrics.acc = inf',
  'metrics.acc = -inf',
  'metrics.acc = 0',
  'metrics.loss IS NULL',
  'metrics.loss IS NOT NULL',
  'metrics.loss IN (0.7, 0.25)',
  'metrics.loss NOT IN (0.7)',
  'metrics.`val/loss` < 1',
  'metrics.val/loss < 1',
  "params.lr = '0.01'",
  'params.lr = 0.01',
  'params.lr < 0.05',
  'params.lr > 0',
  'params.lr <= -0.5',
  "params.lr != 'auto'",
  'params.lr != 0.01',
  'params.layers = 3',
  "params.layers = '3'",
  'params.layers IN (2, 3)',
  'params.layers NOT IN (2)',
  "params.model IN ('forest', 'linear')",
  "params.model NOT IN ('forest')",
  "params.model LIKE 'f%'",
  "params.model ILIKE 'F%'",
  "params.model NOT ILIKE 'f%'",
  'params.lr IS NULL',
  'params.note = 0',
  'params.`batch size` >= 32',
  "tags.team = 'ml'",
  "tags.team ILIKE 'ml'",
  "tags.team LIKE 'M_'",
  "tags.team ILIKE 'é%'",
  "tags.team ILIKE 'É%'",
  "tags.note LIKE '50\\% off\\_peak'",
  "tags.note LIKE '%\\_%'",
  "tags.note NOT LIKE '%peak'",
  "tags.glob LIKE 'a*b[c]?'",
  "tags.glob LIKE 'a_b%'",
  'tags.x IS NULL',
  "tags.`runlog.pinned` = 'true'",
  'tags.`runlog.name` IS NOT NULL',
  "attributes.status = 'FINISHED'",
  "attributes.status IN ('KILLED', 'RUNNING')",
  "attributes.status = 'finished'",
  "attributes.run_name = 'renamed'",
  "attributes.name ILIKE 'beta'",
  "attributes.name = 'ALPHA'",
  "run.run_name LIKE '%Ä%'",
  "attributes.experiment = 'exp-b'",
  "attributes.experiment_name != 'exp-a'",
  'attributes.experiment IS NULL',
  'attributes.user IS NULL',
  "attributes.user = 'ana'",
  "attributes.user != 'ana'",
  "attributes.user = ''",
  'attributes.end_time IS NULL',
  'attributes.end_time > 0',
  `attributes.end_time < ${T0 + 50_000}`,
  'attributes.exit_code = 0',
  'attributes.exit_code != 0',
  'attributes.exit_code IN (1, 2)',
  'attributes.duration > 9000',
  'attributes.duration <= 10000',
  `attributes.start_time >= ${T0 + 60_000}`,
  `attributes.start_time = ${T0 + 10_000}`,
  "attributes.source LIKE '%train.py'",
  'attributes.parent_run_id IS NULL',
  "attributes.parent_run_id = 'r01'",
  "attributes.entry_point = 'main'",
  "attributes.run_id LIKE 'r0%'",
  "attributes.id IN ('r01', 'r10')",
  "attributes.command ILIKE '%TRAIN%'",
  "attributes.command LIKE '%TRAIN%'",
  "inputs.digest = 'd2'",
  "inputs.name = 'test' AND inputs.path = 'a.csv'",
  "inputs.name = 'train'",
  'inputs.name IS NULL',
  "datasets.path LIKE '%.csv'",
  "inputs.digest NOT IN ('d1')",
  'NOT metrics.loss < 0.5',
  'NOT params.lr = 0.01',
  "NOT tags.team = 'ml'",
  "metrics.loss < 0.5 OR params.model = 'linear'",
  "(metrics.loss < 0.5 OR params.model = 'linear') AND NOT attributes.status = 'FAILED'",
  "NOT (tags.team = 'ML' OR tags.team = 'ml')",
  "params.lr > 0 AND params.lr < 1 OR tags.team ILIKE 'ML'",
  "metric.loss < 1 and param.model = 'forest' or NOT NOT tags.team = 'ml'",
];

const ORDERS: readonly (readonly string[])[] = [
  [],
  ['metrics.loss ASC'],
  ['metrics.loss DESC'],
  ['metrics.acc'],
  ['params.lr ASC'],
  ['params.lr DESC'],
  ['params.layers'],
  ['params.layers DESC', 'name'],
  ['name'],
  ['name DESC'],
  ['attributes.run_name'],
  ['tags.team DESC', 'start_time'],
  ['tags.team', 'metrics.loss DESC'],
  ['end_time'],
  ['end_time DESC'],
  ['status', 'metrics.acc DESC'],
  ['created DESC'],
  ['start_time ASC'],
  ['metrics.`val/loss`'],
  ['params."batch size" DESC'],
];

const BAD_FILTERS = [
  'metrics.loss <',
  'loss < 1',
  'status = 1',
  '(metrics.a = 1',
  'metrics.a = 1)',
  "params.a < 'x'",
  'tags.a < 1',
  "metrics.a LIKE 'x'",
  'metrics.a == 1',
  'metrics.a = 1 && metrics.b = 2',
  'metrics.a = 1 || metrics.b = 2',
  'attributes.foo = 1',
  'inputs.size = 1',
  'foo.bar = 1',
  'metrics.`` = 1',
  'metrics.a IN ()',
  "metrics.a IN (1, 'x')",
  "params.a IN (1, 'x')",
  'params.b = nan',
  "tags.a = 'unterminated",
  'metrics. = 1',
  'metrics.a = 1.2.3',
  'metrics.a = 12abc',
  '`x` = 1',
  'metrics.a IS 1',
  'metrics.a IS NOT 1',
  'metrics.a NOT = 1',
  'metrics.a',
  'NOT',
  'AND',
  'metrics.a = 1 metrics.b = 2',
  '((((metrics.a = 1',
  'metrics.a IN (1 2)',
  'metrics.a IN 1',
  'params.a LIKE 1',
  'metrics.a = @',
  'metrics.a = \u0007',
  'metrics.x ! = 1',
  `${'NOT '.repeat(MAX_FILTER_DEPTH + 1)}metrics.a = 1`,
  'x'.repeat(10_001),
];

const BAD_ORDERS: readonly (readonly string[])[] = [['metrics.a sideways'], ['attributes.foo'], ['a b c']];

describe('runlog.search_runs in Python and the store', function () {
  this.timeout(60_000);
  let root: string;
  let store: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'runlog-search-mirror-'));
    store = join(root, '.runlog');
    for (const [id, text] of Object.entries(RUNS)) {
      await mkdir(join(store, 'runs', id), { recursive: true });
      await writeFile(join(store, 'runs', id, 'events.jsonl'), text);
    }
    // A run still writing its first line, and a run folder that is a symbolic link: neither counts.
    await mkdir(join(store, 'runs', 'r12'), { recursive: true });
    await writeFile(join(store, 'runs', 'r12', 'events.jsonl'), JSON.stringify(start('r12', 140, 'partial')));
    await mkdir(join(root, 'elsewhere'), { recursive: true });
    await writeFile(join(root, 'elsewhere', 'events.jsonl'), journal([start('r13', 150, 'linked')]));
    await symlink(join(root, 'elsewhere'), join(store, 'runs', 'r13'));
    // And a run the Python client itself wrote.
    const written = spawnSync(
      'python3',
      [
        '-c',
        'import runlog\nwith runlog.start_run(name="client", experiment="exp-a", params={"lr": 0.03, "model": "forest"}):\n    runlog.log_metrics({"loss": 0.35, "acc": 0.8}, step=1)\n    runlog.set_tag("team", "ml")',
      ],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, PYTHONPATH: join(REPO, 'python'), RUNLOG_DIR: store, RUNLOG_RUN_ID: '' },
      },
    );
    assert.equal(written.status, 0, written.stderr);
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function storeAnswers(cases: readonly Case[]): Promise<Outcome[]> {
    const opened = await RunStore.open({ dir: store, writer: false, version: 'test' });
    try {
      return cases.map((c): Outcome => {
        try {
          const [sort, ...thenBy] = c.orderBy.map(parseOrderBy);
          const query: ListRunsQuery = {
            deleted: c.view,
            ...(c.filter ? { filter: c.filter } : {}),
            ...(sort ? { sort, thenBy } : {}),
          };
          return { ids: opened.query('listRuns', query).runs.map((r) => r.id) };
        } catch (error) {
          if (error instanceof FilterError)
            return { error: error.message, position: error.position, length: error.length };
          return { error: (error as Error).message };
        }
      });
    } finally {
      opened.close();
    }
  }

  function pythonAnswers(cases: readonly Case[]): Outcome[] {
    const result = spawnSync('python3', ['-c', PYTHON], {
      input: JSON.stringify([store, cases]),
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: join(REPO, 'python') },
      maxBuffer: 64 << 20,
    });
    assert.equal(result.status, 0, result.stderr);
    return JSON.parse(result.stdout) as Outcome[];
  }

  function compare(cases: readonly Case[], ours: readonly Outcome[], theirs: readonly Outcome[]): void {
    const differences = cases
      .map((c, i) => ({ case: c, store: ours[i], python: theirs[i] }))
      .filter((d) => JSON.stringify(d.store) !== JSON.stringify(d.python));
    assert.deepEqual(differences, [], 'Python and the store answer the same');
  }

  it('find the same runs for every filter, active, in the trash and all', async () => {
    const cases: Case[] = FILTERS.flatMap((filter) =>
      (['all', 'active', 'deleted'] as const).map((view) => ({ filter, orderBy: [], view })),
    );
    const ours = await storeAnswers(cases);
    compare(cases, ours, pythonAnswers(cases));
    // The cases are worth something: most filters find some runs and miss others.
    const all = ours.filter((_, i) => cases[i].view === 'all').map((o) => ('ids' in o ? o.ids.length : -1));
    assert.ok(
      all.every((n) => n >= 0),
      'no filter failed',
    );
    assert.ok(all.filter((n) => n > 0 && n < 14).length > FILTERS.length * 0.8, `selective filters: ${all.join(' ')}`);
    assert.ok(!JSON.stringify(ours).includes('r12') && !JSON.stringify(ours).includes('r13'));
  });

  it('order the runs the same way for every order_by', async () => {
    const cases: Case[] = ORDERS.flatMap((orderBy) => [
      { filter: '', orderBy, view: 'all' as const },
      { filter: 'metrics.loss < 1', orderBy, view: 'active' as const },
    ]);
    compare(cases, await storeAnswers(cases), pythonAnswers(cases));
  });

  it('refuse the same filters with the same message at the same position', async () => {
    const cases: Case[] = [
      ...BAD_FILTERS.map((filter) => ({ filter, orderBy: [], view: 'all' as const })),
      ...BAD_ORDERS.map((orderBy) => ({ filter: '', orderBy, view: 'all' as const })),
    ];
    const ours = await storeAnswers(cases);
    assert.ok(
      ours.every((o) => 'error' in o),
      'every case is an error',
    );
    compare(cases, ours, pythonAnswers(cases));
  });

  // Last: it compacts the store's journals (compaction.ts), which every later case would then read.
  it('find and order the same runs after the finished runs were compacted', async () => {
    const cases: Case[] = [
      ...FILTERS.map((filter) => ({ filter, orderBy: [], view: 'all' as const })),
      ...ORDERS.map((orderBy) => ({ filter: '', orderBy, view: 'all' as const })),
    ];
    const before = pythonAnswers(cases);
    const writer = await RunStore.open({ dir: store, writer: true, version: 'test' });
    const compacted: string[] = [];
    try {
      const skip = new Set<string>();
      // Tiny journals grow by the first line: compacted all the same, to read them compacted.
      for (let turn = writer.compactNext({ quietMs: 0, keepAtMost: Infinity, skip }); turn;) {
        if (turn.outcome.compacted) compacted.push(turn.runId);
        turn = writer.compactNext({ quietMs: 0, keepAtMost: Infinity, skip });
      }
    } finally {
      writer.close();
    }
    assert.ok(compacted.length >= 6, `compacted: ${compacted.join(' ')}`);
    const after = pythonAnswers(cases);
    compare(cases, before, after);
    compare(cases, await storeAnswers(cases), after);
  });
});
