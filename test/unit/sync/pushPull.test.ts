import * as assert from 'node:assert/strict';
import { appendFile, readFile, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { metricBatchLine } from '../../../src/store/metricBatchLine';
import { RunStore } from '../../../src/store/runStore';
import type { MlflowHttp } from '../../../src/sync/mlflowHttp';
import { serverKey } from '../../../src/sync/serverUri';
import { pushedRuns } from '../../../src/sync/syncState';
import {
  T0,
  Team,
  connect,
  fullRun,
  line,
  metricLine,
  openStore,
  pull,
  push,
  removeRoot,
  startLine,
  tempRoot,
  writeRun,
} from './syncFixture';

const A = 'a0000000000000000000000000000001';
const B = 'b0000000000000000000000000000002';

describe('sync: push and pull through runlog serve', function () {
  this.timeout(30_000);
  let root: string;
  let team: Team;
  let http: MlflowHttp;
  let mine: string;

  beforeEach(async () => {
    root = await tempRoot();
    team = await Team.start(root);
    http = await connect(team.uri, team.token);
    mine = join(root, 'mine', '.runlog');
    await writeRun(mine, A, fullRun(A, 'bright-owl', 2500), {
      'model/weights.bin': 'w'.repeat(3000),
      'plot.txt': 'hello',
    });
    await writeRun(mine, B, startLine(B, 'calm-fox') + metricLine(T0 + 1, 'loss', 0.5, 0));
  });

  afterEach(async () => {
    http.close();
    await team.close();
    await removeRoot(root);
  });

  it('copies every run exactly: name, status, times, params, tags, git, inputs, every point, files', async () => {
    const summary = await push(mine, http);
    assert.deepEqual(summary.failed, []);
    assert.equal(summary.pushed.length, 2);
    assert.equal(summary.points, 2500 + 4 + 1);
    const [remoteA] = (await team.runs()).filter((r) => r.name === 'bright-owl');
    assert.ok(remoteA);
    const details = team.store.query('getRun', remoteA.id);
    assert.ok(details);
    assert.equal(details.status, 'FINISHED');
    assert.equal(details.startTime, T0);
    assert.equal(details.endTime, T0 + 60_000);
    assert.deepEqual(details.params, { lr: '0.01', model: 'forest' });
    assert.equal(details.tags['team'], 'vision');
    assert.equal(details.tags['runlog.source_id'], A);
    assert.equal(details.tags['mlflow.source.git.commit'], 'c0ffee');
    assert.equal(details.tags['mlflow.source.git.branch'], 'main');
    assert.equal(details.tags['mlflow.source.git.repoURL'], 'git@example.com:team/repo.git');
    assert.deepEqual(
      details.inputs.map((i) => [i.name, i.digest, i.path]),
      [['houses', 'd1g3st', 'data/houses.csv']],
    );
    assert.deepEqual(
      details.artifacts.map((a) => a.path).sort(),
      ['model/weights.bin', 'plot.txt', 'runlog/environment.json', 'runlog/git.diff', 'runlog/untracked.json'].filter(
        (p) => p !== 'runlog/environment.json',
      ),
    );
    const loss = team.store.query('series', remoteA.id, 'loss', 'step');
    assert.equal(loss.values.length, 2500);
    // The push keeps several log-batch requests in flight, so the server may append them in another
    // order than they were sent: each point is looked up by its step.
    assert.deepEqual(
      [...loss.steps].sort((a, b) => a - b),
      Array.from({ length: 2500 }, (_, i) => i),
    );
    const ninth = loss.steps.indexOf(9);
    assert.equal(loss.values[ninth], 1 / 10);
    assert.equal(loss.times[ninth], T0 + 19);
    const odd = team.store.query('series', remoteA.id, 'odd', 'step');
    assert.ok(Number.isNaN(odd.values[0]));
    assert.equal(odd.values[1], Number.POSITIVE_INFINITY);
    assert.equal(odd.values[2], Number.NEGATIVE_INFINITY);
    // Digits past 2^53 reach the server's journal as written.
    const journal = await readFile(join(team.dir, 'runs', remoteA.id, 'events.jsonl'), 'utf8');
    assert.match(journal, /"step":9007199254740993/);
    const diff = await readFile(join(team.dir, 'runs', remoteA.id, 'artifacts', 'runlog', 'git.diff'), 'utf8');
    assert.equal(diff, 'diff --git a/train.py b/train.py\n+lr = 0.1\n');
  });

  it('pushes a compacted journal as the journal it was: every point, param and tag', async () => {
    const series = (store: RunStore, id: string, key: string): string[] => {
      const s = store.query('series', id, key, 'step');
      return [...s.steps].map(
        (step, i) => `${step}@${s.times[i]}=${Buffer.from(new Float64Array([s.values[i]]).buffer).toString('hex')}`,
      );
    };
    const writer = await RunStore.open({ dir: mine, writer: true, version: 'test' });
    const before = { loss: series(writer, A, 'loss'), odd: series(writer, A, 'odd') };
    assert.ok(writer.compactNext({ quietMs: 0 })?.outcome.compacted);
    writer.close();
    assert.match(await readFile(join(mine, 'runs', A, 'events.jsonl'), 'utf8'), /^\{"t":"compacted"/);
    const summary = await push(mine, http);
    assert.deepEqual(summary.failed, []);
    assert.equal(summary.points, 2500 + 4 + 1);
    const [remoteA] = (await team.runs()).filter((r) => r.name === 'bright-owl');
    assert.ok(remoteA);
    assert.deepEqual(series(team.store, remoteA.id, 'loss'), before.loss);
    assert.deepEqual(series(team.store, remoteA.id, 'odd'), before.odd);
    const details = team.store.query('getRun', remoteA.id);
    assert.deepEqual(details?.params, { lr: '0.01', model: 'forest' });
    assert.equal(details?.tags['team'], 'vision');
    assert.match(await readFile(join(team.dir, 'runs', remoteA.id, 'events.jsonl'), 'utf8'), /"step":9007199254740993/);
  });

  it('compacts a pushed run and tells its push state, so pushing again sends nothing twice', async () => {
    assert.deepEqual((await push(mine, http)).failed, []);
    const state = join(mine, 'sync', serverKey(team.uri), 'pushed.jsonl');
    const writer = await RunStore.open({ dir: mine, writer: true, version: 'test' });
    const turn = writer.compactNext({ quietMs: 0 });
    writer.close();
    assert.equal(turn?.runId, A);
    assert.ok(turn.outcome.compacted, 'a run whose every line the server has is compacted');
    const journal = await readFile(join(mine, 'runs', A, 'events.jsonl'));
    const told = (await readFile(state, 'utf8')).trim().split('\n').at(-1) ?? '';
    assert.deepEqual(Object.keys(JSON.parse(told) as object), ['run', 'offset', 'done', 'generation']);
    assert.equal((JSON.parse(told) as { offset: number }).offset, journal.length);
    const [remoteA] = (await team.runs()).filter((r) => r.name === 'bright-owl');
    assert.ok(remoteA);
    const again = await connect(team.uri, team.token);
    try {
      const unchanged = await push(mine, again);
      assert.ok(unchanged.unchanged.some((r) => r.id === A));
      assert.equal(unchanged.writes, 0);
      // A tag after the compaction goes on its own.
      await appendFile(
        join(mine, 'runs', A, 'events.jsonl'),
        line({ t: 'tag', ts: T0 + 70_000, key: 'late', value: 'y' }),
      );
      assert.equal((await push(mine, again)).points, 0);
      assert.equal(team.store.query('getRun', remoteA.id)?.tags['late'], 'y');
      // A push state that never heard of the compaction (its line lost): the run is read again and
      // what the server has is left out, not sent twice.
      const lines = (await readFile(state, 'utf8')).split('\n').filter((l) => !l.includes('"generation"'));
      await rm(state);
      await appendFile(state, lines.join('\n'));
      // Its offset is the uncompacted journal's, past the end of this one: read as such, the next
      // tag would never be sent.
      await appendFile(
        join(mine, 'runs', A, 'events.jsonl'),
        line({ t: 'tag', ts: T0 + 80_000, key: 'later', value: 'z' }),
      );
      const resent = await push(mine, again);
      assert.deepEqual(resent.failed, []);
      assert.equal(resent.points, 0, 'no point sent twice');
      assert.equal(team.store.query('getRun', remoteA.id)?.tags['later'], 'z');
      assert.equal(team.store.query('series', remoteA.id, 'loss', 'step').values.length, 2500);
      assert.ok(
        (await push(mine, again)).unchanged.some((r) => r.id === A),
        'and then it is told again',
      );
    } finally {
      again.close();
    }
  });

  it('compacts a pushed run again once it grew and was pushed again; pushing again sends nothing', async () => {
    assert.deepEqual((await push(mine, http)).failed, []);
    const compactA = async (): Promise<void> => {
      const writer = await RunStore.open({ dir: mine, writer: true, version: 'test' });
      const turn = writer.compactNext({ quietMs: 0 });
      writer.close();
      assert.equal(turn?.runId, A);
      assert.ok(turn.outcome.compacted, JSON.stringify(turn.outcome));
    };
    await compactA();
    // Resumed: 6000 more points, then it ends again.
    let more = line({ t: 'status', ts: T0 + 90_000, status: 'RUNNING' });
    for (let first = 2500; first < 8500; first += 1000) {
      const steps = Array.from({ length: 1000 }, (_, i) => first + i);
      more += metricBatchLine(
        'loss',
        steps,
        steps.map((step) => T0 + 100_000 + step),
        steps.map((step) => 1 / step),
      );
    }
    await appendFile(
      join(mine, 'runs', A, 'events.jsonl'),
      more + line({ t: 'run_end', ts: T0 + 200_000, status: 'FINISHED', exit_code: 0 }),
    );
    const again = await connect(team.uri, team.token);
    try {
      assert.equal((await push(mine, again)).points, 6000);
      await compactA();
      // A new connection: its counts are this push's alone.
      const third = await connect(team.uri, team.token);
      const unchanged = await push(mine, third);
      third.close();
      assert.ok(unchanged.unchanged.some((r) => r.id === A));
      assert.equal(unchanged.writes, 0);
      assert.equal(unchanged.requests, 0);
      const [remoteA] = (await team.runs()).filter((r) => r.name === 'bright-owl');
      assert.ok(remoteA);
      assert.equal(team.store.query('series', remoteA.id, 'loss', 'step').values.length, 8500);
    } finally {
      again.close();
    }
  });

  it('pushes an unchanged store again with no write at all', async () => {
    await push(mine, http);
    const again = await connect(team.uri, team.token);
    const summary = await push(mine, again);
    again.close();
    assert.equal(summary.unchanged.length, 2);
    assert.equal(summary.pushed.length, 0);
    assert.equal(summary.writes, 0);
    assert.equal(summary.requests, 0);
  });

  it('says which runs went to which server, and whether whole there (the Runs view’s "↑ server")', async () => {
    assert.deepEqual(await pushedRuns(mine), new Map());
    await push(mine, http);
    const pushed = await pushedRuns(mine);
    assert.deepEqual(pushed.get(A), [{ uri: team.uri, done: true }]);
    assert.deepEqual(pushed.get(B), [{ uri: team.uri, done: false }], 'a running run is not whole there yet');
    assert.equal(pushed.size, 2);
  });

  it('sends a running run only what the server has not confirmed', async () => {
    await push(mine, http);
    await appendFile(
      join(mine, 'runs', B, 'events.jsonl'),
      metricLine(T0 + 2, 'loss', 0.4, 1) + metricLine(T0 + 3, 'loss', 0.3, 2),
    );
    const again = await connect(team.uri, team.token);
    const summary = await push(mine, again);
    again.close();
    assert.equal(summary.points, 2);
    assert.deepEqual(
      summary.pushed.map((p) => p.name),
      ['calm-fox'],
    );
    const remote = (await team.runs()).find((r) => r.name === 'calm-fox');
    assert.ok(remote);
    assert.deepEqual([...team.store.query('series', remote.id, 'loss', 'step').values], [0.5, 0.4, 0.3]);
  });

  it('pushes every point of a batched line, over as many requests as it takes', async () => {
    await push(mine, http);
    const steps = Array.from({ length: 2500 }, (_, i) => i + 3);
    const values = steps.map((s) => (s % 7 === 0 ? Number.NaN : 1 / s));
    values[1] = -0;
    await appendFile(
      join(mine, 'runs', B, 'events.jsonl'),
      metricBatchLine(
        'loss',
        steps,
        steps.map((s) => T0 + s),
        values,
      ),
    );
    const again = await connect(team.uri, team.token);
    const summary = await push(mine, again);
    again.close();
    assert.equal(summary.points, 2500);
    const remote = (await team.runs()).find((r) => r.name === 'calm-fox');
    assert.ok(remote);
    const series = team.store.query('series', remote.id, 'loss', 'step');
    // Requests in flight may be appended in another order than sent: compare the points by step.
    const shown = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));
    const received = [...series.steps]
      .map((step, i) => [step, shown(series.values[i] ?? Number.NaN)] as const)
      .sort((a, b) => a[0] - b[0]);
    assert.deepEqual(
      received,
      [0, ...steps].map((step, i) => [step, shown([0.5, ...values][i] ?? Number.NaN)] as const),
    );
  });

  it('finds its runs by their tags when the map is lost, and creates no duplicate', async () => {
    await push(mine, http);
    await unlink(join(mine, 'sync', serverKey(team.uri), 'pushed.jsonl'));
    let summary = await push(mine, await connect(team.uri, team.token));
    assert.deepEqual(summary.failed, []);
    assert.equal((await team.runs()).length, 2);
    assert.equal(summary.points, 0, 'every point was there already');
    // The store's id lost too: each run is looked for by its own id.
    await rm(join(mine, 'sync'), { recursive: true });
    summary = await push(mine, await connect(team.uri, team.token));
    assert.deepEqual(summary.failed, []);
    assert.equal((await team.runs()).length, 2);
    const remote = (await team.runs()).find((r) => r.name === 'bright-owl');
    assert.equal(team.store.query('series', remote?.id ?? '', 'loss', 'step').values.length, 2500);
  });

  it("reports a value over MLflow's limits for its run, and pushes the others", async () => {
    const C = 'c0000000000000000000000000000003';
    await writeRun(
      mine,
      C,
      startLine(C, 'long-param') + line({ t: 'param', ts: T0, key: 'prompt', value: 'x'.repeat(6001) }),
    );
    const summary = await push(mine, http);
    assert.equal(summary.pushed.length, 2);
    assert.equal(summary.failed.length, 1);
    assert.match(
      summary.failed[0]?.reason ?? '',
      /param "prompt" has a value of 6001 characters; MLflow takes at most 6000/,
    );
    assert.equal((await team.runs()).length, 2, 'nothing of the refused run reached the server');
  });

  it("pulls a teammate's runs with their git diff, files and points, once", async () => {
    await push(mine, http);
    const theirs = join(root, 'theirs', '.runlog');
    const summary = await pull(theirs, await connect(team.uri, team.token));
    assert.deepEqual(summary.failed, []);
    assert.equal(summary.pulled.length, 2);
    const store = await openStore(theirs);
    try {
      const remoteA = (await team.runs()).find((r) => r.name === 'bright-owl');
      const copy = store.query('getRun', remoteA?.id ?? '');
      assert.ok(copy);
      assert.equal(copy.tags['runlog.remote'], team.uri);
      assert.equal(copy.tags['runlog.remote_run_id'], remoteA?.id);
      // The Runs view's "↓ server": one query for a page of runs.
      assert.deepEqual(store.query('tagValues', [copy.id, 'nope'], 'runlog.remote'), [[copy.id, team.uri]]);
      assert.equal(copy.status, 'FINISHED');
      assert.equal(copy.endTime, T0 + 60_000);
      assert.equal(copy.git?.commit, 'c0ffee');
      assert.equal(copy.git?.patch, 'diff --git a/train.py b/train.py\n+lr = 0.1\n');
      assert.deepEqual(copy.git?.untracked, [{ path: 'notes.py', content: 'x = 1\n' }]);
      assert.deepEqual(copy.params, { lr: '0.01', model: 'forest' });
      // (runlog serve keeps a dataset's name, digest and source; MLflow also its schema and profile.)
      assert.deepEqual(
        copy.inputs.map((i) => [i.name, i.digest, i.path]),
        [['houses', 'd1g3st', 'data/houses.csv']],
      );
      assert.deepEqual(copy.artifacts.map((a) => a.path).sort(), ['model/weights.bin', 'plot.txt']);
      assert.equal(store.query('series', copy.id, 'loss', 'step').values.length, 2500);
      const odd = store.query('series', copy.id, 'odd', 'step');
      assert.ok(Number.isNaN(odd.values[0]));
      assert.equal(odd.values[2], Number.NEGATIVE_INFINITY);
    } finally {
      store.close();
    }
    const again = await connect(team.uri, team.token);
    const second = await pull(theirs, again);
    again.close();
    assert.equal(second.unchanged.length, 2);
    assert.equal(second.pulled.length, 0);
    // Pulled runs are never pushed back.
    const pushedBack = await push(theirs, await connect(team.uri, team.token));
    assert.equal(pushedBack.skipped.length, 2);
    assert.equal((await team.runs()).length, 2);
  });

  it('does not pull back the runs this store pushed', async () => {
    await push(mine, http);
    const summary = await pull(mine, await connect(team.uri, team.token));
    assert.equal(summary.skipped.length, 2);
    assert.equal(summary.pulled.length, 0);
  });
});
