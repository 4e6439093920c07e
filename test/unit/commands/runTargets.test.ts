import * as assert from 'node:assert/strict';
import type {
  RunCandidate,
  RunChooser,
  RunPickOptions,
  VersionCandidate,
  VersionChooser,
} from '../../../src/commands/runTargets';
import { onRuns, onVersions } from '../../../src/commands/runTargets';
import type { ListRunsQuery, ModelVersion, RegisteredModel, RunRecord } from '../../../src/store/types';
import type { StoreClient } from '../../../src/store/storeClient';
import { runRecord } from '../../support/runFixtures';

/** A store that answers what the rule asks: listRuns (newest first, statuses, trash), getRun, registeredModels. */
function fakeStore(runs: RunRecord[], models: RegisteredModel[] = []): StoreClient {
  const store = {
    listed: [] as ListRunsQuery[],
    call: (method: string, ...args: unknown[]): Promise<unknown> => {
      if (method === 'listRuns') {
        const query = args[0] as ListRunsQuery;
        store.listed.push(query);
        const found = runs
          .filter((r) => (query.deleted === 'deleted' ? r.deleted : !r.deleted))
          .filter((r) => !query.statuses || query.statuses.includes(r.status))
          .sort((a, b) => b.startTime - a.startTime)
          .slice(0, query.limit);
        return Promise.resolve({ runs: found, total: found.length });
      }
      if (method === 'getRun') return Promise.resolve(runs.find((r) => r.id === args[0]));
      if (method === 'registeredModels') return Promise.resolve(models);
      return Promise.reject(new Error(`unexpected ${method}`));
    },
  };
  return store as unknown as StoreClient;
}

const run = (id: string, startTime: number, extra: Partial<RunRecord> = {}): RunRecord =>
  runRecord({ id, name: id, startTime, ...extra });
const node = (store: StoreClient, record: RunRecord): object => ({ kind: 'run', store, run: record, metrics: [] });

/** A chooser over two stores whose pick records what it was offered and answers with `answer`. */
function setUp(selection: (a: StoreClient, b: StoreClient) => unknown[] = () => []) {
  const a = fakeStore([run('a-old', 100), run('a-new', 400), run('a-live', 300, { status: 'RUNNING' })]);
  const b = fakeStore([run('b-mid', 200), run('b-trash', 500, { deleted: true })]);
  const offered: { candidates: string[]; preselected: string[]; options: RunPickOptions }[] = [];
  let answer: (candidates: readonly RunCandidate[], preselected: readonly RunCandidate[]) => RunCandidate[] = (
    _c,
    preselected,
  ) => [...preselected];
  const chooser: RunChooser = {
    folders: () => [
      { name: 'a', store: a },
      { name: 'b', store: b },
    ],
    selection: () => selection(a, b),
    pick: (candidates, preselected, options) => {
      offered.push({
        candidates: candidates.map((c) => c.run.id),
        preselected: preselected.map((c) => c.run.id),
        options,
      });
      return Promise.resolve(answer(candidates, preselected));
    },
  };
  const calls: unknown[][] = [];
  const command = (options: RunPickOptions) =>
    onRuns(chooser, options, (...args: unknown[]) => {
      calls.push(args);
      return 'done';
    });
  return {
    a,
    b,
    offered,
    calls,
    command,
    answerWith: (f: typeof answer) => {
      answer = f;
    },
  };
}

const MANY: RunPickOptions = { title: 'runs to chart', many: true };

describe('what run commands act on', () => {
  it('takes the arguments it is given, as they are', async () => {
    const { command, calls, offered, a } = setUp((s) => [node(s, run('a-old', 100))]);
    const clicked = node(a, run('a-new', 400));
    assert.equal(await command(MANY)(clicked, [clicked], 'extra'), 'done');
    assert.deepEqual(calls, [[clicked, [clicked], 'extra']]);
    assert.deepEqual(offered, [], 'no pick');
  });

  it('called without arguments, acts on the runs selected in the Runs view, in their order', async () => {
    const { command, calls, offered } = setUp((a, b) => [
      node(b, run('b-mid', 200)),
      { kind: 'experiment' },
      node(a, run('a-old', 100)),
      node(b, run('b-mid', 200)),
    ]);
    await command(MANY)();
    assert.deepEqual(calls, [[{ runIds: ['b-mid', 'a-old'] }, undefined]]);
    assert.deepEqual(offered, []);
  });

  it('acts on the first selected run when it takes one', async () => {
    const { command, calls } = setUp((a) => [node(a, run('a-old', 100)), node(a, run('a-new', 400))]);
    await command({ title: 'the run to rename', many: false })(undefined, undefined, 'new-name');
    assert.deepEqual(calls, [[{ runIds: ['a-old'] }, undefined, 'new-name']]);
  });

  it('with nothing selected, offers the recent runs of every store newest first, the newest chosen', async () => {
    const { command, calls, offered } = setUp();
    await command(MANY)();
    assert.deepEqual(offered[0]?.candidates, ['a-new', 'a-live', 'b-mid', 'a-old'], 'the trash is not offered');
    assert.deepEqual(offered[0]?.preselected, ['a-new']);
    assert.deepEqual(calls, [[{ runIds: ['a-new'] }, undefined]], 'Enter acts on the newest run');
  });

  it('preselects as many runs as the command asks (Compare: the two newest)', async () => {
    const { command, offered, calls } = setUp();
    await command({ title: 'runs to compare', many: true, preselect: 2 })();
    assert.deepEqual(offered[0]?.preselected, ['a-new', 'a-live']);
    assert.deepEqual(calls, [[{ runIds: ['a-new', 'a-live'] }, undefined]]);
  });

  it('a selection without runs (an experiment, a section) opens the pick too', async () => {
    const { command, offered } = setUp(() => [{ kind: 'experiment' }, { kind: 'section' }]);
    await command(MANY)();
    assert.equal(offered.length, 1);
  });

  it('offers and takes only the runs the command can act on', async () => {
    // Stop: running runs this window launched; a selected finished run does not count.
    const { command, offered, calls } = setUp((a) => [node(a, run('a-old', 100))]);
    await command({ title: 'runs to stop', many: true, statuses: ['RUNNING', 'QUEUED'], only: () => true })();
    assert.deepEqual(offered[0]?.candidates, ['a-live']);
    assert.deepEqual(calls, [[{ runIds: ['a-live'] }, undefined]]);
    const restore = setUp();
    await restore.command({ title: 'runs to restore', many: true, deleted: true })();
    assert.deepEqual(restore.offered[0]?.candidates, ['b-trash']);
    const pinned = setUp();
    await pinned.command({ title: 'runs to unpin', many: true, only: (r) => r.id === 'b-mid' })();
    assert.deepEqual(pinned.offered[0]?.candidates, ['b-mid']);
  });

  it('does nothing when the pick is dismissed', async () => {
    const { command, calls, answerWith } = setUp();
    answerWith(() => []);
    assert.equal(await command(MANY)(), undefined);
    assert.deepEqual(calls, []);
  });
});

describe('what Models view commands act on', () => {
  const version = (n: number, created: number, aliases: string[] = []): ModelVersion => ({
    version: n,
    runId: `run-${n}`,
    source: null,
    modelId: null,
    created,
    updated: created,
    description: null,
    aliases,
    stage: 'None',
    tags: {},
  });
  const model = (name: string, versions: ModelVersion[]): RegisteredModel => ({
    name,
    created: 0,
    updated: 0,
    description: null,
    tags: {},
    versions,
  });

  function setUp(selection: unknown[] = []) {
    const store = fakeStore(
      [],
      [model('prices', [version(2, 300), version(1, 100)]), model('churn', [version(1, 200)])],
    );
    const offered: { candidates: string[]; preselected: string[] }[] = [];
    const label = (c: VersionCandidate): string => `${c.name} v${c.version.version}`;
    const chooser: VersionChooser = {
      folders: () => [{ name: 'a', store }],
      selection: () => selection.map((s) => (typeof s === 'function' ? (s as (x: StoreClient) => unknown)(store) : s)),
      pick: (candidates, preselected) => {
        offered.push({ candidates: candidates.map(label), preselected: preselected.map(label) });
        return Promise.resolve([...preselected]);
      },
    };
    const calls: unknown[][] = [];
    const command = (many: boolean, preselect?: number) =>
      onVersions(chooser, { title: 't', many, ...(preselect ? { preselect } : {}) }, (...args: unknown[]) => {
        calls.push(args);
        return true;
      });
    return { command, calls, offered };
  }

  it('called without arguments, acts on the versions selected in the Models view', async () => {
    const versionNode = (name: string, v: ModelVersion) => (store: StoreClient) => ({
      kind: 'version',
      store,
      model: name,
      version: v,
      run: undefined,
    });
    const { command, calls, offered } = setUp([
      { kind: 'model' },
      versionNode('prices', version(1, 100)),
      versionNode('churn', version(1, 200)),
    ]);
    await command(true)();
    assert.deepEqual(calls, [
      [
        { name: 'prices', version: 1 },
        [
          { name: 'prices', version: 1 },
          { name: 'churn', version: 1 },
        ],
      ],
    ]);
    assert.deepEqual(offered, []);
  });

  it('with nothing selected, offers every version, the newest registration chosen', async () => {
    const { command, calls, offered } = setUp();
    await command(false)(undefined, undefined, { confirm: false });
    assert.deepEqual(offered[0], { candidates: ['prices v2', 'churn v1', 'prices v1'], preselected: ['prices v2'] });
    assert.deepEqual(calls, [[{ name: 'prices', version: 2 }, [{ name: 'prices', version: 2 }], { confirm: false }]]);
    const compare = setUp();
    await compare.command(true, 2)();
    assert.deepEqual(compare.offered[0]?.preselected, ['prices v2', 'churn v1']);
  });

  it('takes the arguments it is given, as they are', async () => {
    const { command, calls, offered } = setUp();
    await command(false)({ name: 'prices', version: 1 }, 'production');
    assert.deepEqual(calls, [[{ name: 'prices', version: 1 }, 'production']]);
    assert.deepEqual(offered, []);
  });
});
