import * as assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { serverKey } from '../../../src/sync/serverUri';
import type { Fault } from './syncFixture';
import {
  FakeServer,
  T0,
  Team,
  connect,
  fullRun,
  line,
  metricLine,
  push,
  removeRoot,
  startLine,
  tempRoot,
  writeRun,
} from './syncFixture';

const A = 'a0000000000000000000000000000001';
const B = 'b0000000000000000000000000000002';

function pointsOf(team: Team, name: string, key: string): Promise<number[]> {
  return team.runs().then((runs) => {
    const run = runs.find((r) => r.name === name);
    return run ? [...team.store.query('series', run.id, key, 'step').values] : [];
  });
}

describe('sync: a server that drops answers, throttles, refuses and dies', function () {
  this.timeout(30_000);
  let root: string;
  let team: Team;
  let mine: string;
  let fake: FakeServer | undefined;

  beforeEach(async () => {
    root = await tempRoot();
    team = await Team.start(root);
    mine = join(root, 'mine', '.runlog');
    await writeRun(mine, A, fullRun(A, 'bright-owl', 3500), { 'plot.txt': 'hello' });
    await writeRun(mine, B, startLine(B, 'calm-fox') + metricLine(T0 + 1, 'loss', 0.5, 0));
  });

  afterEach(async () => {
    await fake?.close().catch(() => undefined);
    fake = undefined;
    await team.close();
    await removeRoot(root);
  });

  async function through(fault: (method: string, path: string, index: number) => Fault): Promise<FakeServer> {
    fake = await FakeServer.start(team.endpoint.port, fault);
    return fake;
  }

  it('makes no second run when the answer to runs/create is lost', async () => {
    let dropped = 0;
    const server = await through((_m, path) => (path.includes('runs/create') && dropped++ === 0 ? 'drop' : 'forward'));
    const summary = await push(mine, await connect(server.uri, team.token));
    assert.deepEqual(summary.failed, []);
    assert.equal(dropped, 2, 'one create per run: the lost one was found, not made again');
    assert.equal((await team.runs()).length, 2, 'exactly one remote run per local run');
    assert.ok(
      server.forwarded.some((r) => r.includes('runs/search')),
      'it looked for the run before creating another',
    );
  });

  it('sends no point twice when the answer to a log-batch is lost', async () => {
    let batches = 0;
    const server = await through((_m, path) => (path.includes('log-batch') && ++batches === 2 ? 'drop' : 'forward'));
    const summary = await push(mine, await connect(server.uri, team.token));
    assert.deepEqual(summary.failed, []);
    const loss = await pointsOf(team, 'bright-owl', 'loss');
    assert.equal(loss.length, 3500);
    assert.equal(new Set(loss).size, 3500);
    assert.ok(
      server.forwarded.some((r) => r.includes('metrics/get-history')),
      'it asked what arrived',
    );
  });

  it('waits what Retry-After says on 429 and 503, and backs off without it', async () => {
    let n = 0;
    const server = await through((_m, path) => {
      if (!path.includes('log-batch')) return 'forward';
      n++;
      if (n === 1) return { status: 429, retryAfter: '2' };
      if (n === 2) return { status: 503, retryAfter: new Date(Date.now() + 3000).toUTCString() };
      if (n === 3) return { status: 503 };
      return 'forward';
    });
    const sleeps: number[] = [];
    const http = await connect(
      server.uri,
      team.token,
      { maxRetries: 5, backoffFactor: 0.5, backoffJitter: 0, timeoutMs: 10_000, respectRetryAfter: true },
      { sleeps },
    );
    const summary = await push(mine, http, { concurrency: 1 });
    assert.deepEqual(summary.failed, []);
    assert.equal(sleeps[0], 2000);
    assert.ok((sleeps[1] ?? 0) > 1000 && (sleeps[1] ?? 0) <= 3000, `an HTTP date: ${sleeps[1]}`);
    assert.equal(sleeps[2], 2000, 'the third retry backs off 0.5 × 2² s');
    assert.equal((await pointsOf(team, 'bright-owl', 'loss')).length, 3500);
  });

  it('does not retry a 400, reports the run and pushes the others', async () => {
    let refused = 0;
    const server = await through((_m, path) => {
      if (path.includes('log-batch') && refused === 0 && !path.includes('calm')) {
        refused++;
        return { status: 400 };
      }
      return 'forward';
    });
    const summary = await push(mine, await connect(server.uri, team.token), { concurrency: 1 });
    // A retry would have gone through (the fake refuses once): the run failing says there was none.
    assert.equal(refused, 1);
    assert.equal(summary.failed.length, 1);
    assert.match(summary.failed[0]?.reason ?? '', /answered POST .*log-batch with 400 INVALID_PARAMETER_VALUE: fake/);
    assert.equal(summary.pushed.length, 1);
  });

  it('after the server dies mid-push, the next push sends only what was not confirmed', async () => {
    let batches = 0;
    const server = await through((_m, path) =>
      path.includes('log-batch') ? (++batches === 3 ? 'drop' : 'forward') : 'forward',
    );
    const killer = setInterval(() => {
      if (batches >= 3) {
        clearInterval(killer);
        void server.die();
      }
    }, 1);
    const first = await push(
      mine,
      await connect(server.uri, team.token, {
        maxRetries: 2,
        backoffFactor: 0,
        backoffJitter: 0,
        timeoutMs: 2000,
        respectRetryAfter: true,
      }),
      { concurrency: 1 },
    );
    clearInterval(killer);
    assert.ok(first.failed.length >= 1, 'the push says it failed');
    assert.match(first.failed[0]?.reason ?? '', /could not be reached|not tried/);
    await server.revive();
    const second = await push(mine, await connect(server.uri, team.token));
    assert.deepEqual(second.failed, []);
    const loss = await pointsOf(team, 'bright-owl', 'loss');
    assert.equal(loss.length, 3500, 'every point once');
    assert.equal(new Set(loss).size, 3500);
    assert.equal((await team.runs()).length, 2);
  });

  it('after a kill between sending and the answer, asks the server what arrived', async () => {
    const http = await connect(team.uri, team.token);
    await push(mine, http);
    // The state as a kill would leave it: the run mapped, everything sent, nothing confirmed.
    const file = join(mine, 'sync', serverKey(team.uri), 'pushed.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.includes(`"run":"${A}"`));
    const size = Buffer.byteLength(fullRun(A, 'bright-owl', 3500)) + 200;
    const mapped = lines.find((l) => l.includes('"remote"')) ?? '';
    await writeFile(file, `${mapped}\n${JSON.stringify({ run: A, sending: [0, size] })}\n`);
    const summary = await push(mine, await connect(team.uri, team.token));
    assert.deepEqual(summary.failed, []);
    assert.equal(summary.points, 0);
    assert.equal((await pointsOf(team, 'bright-owl', 'loss')).length, 3500);
  });

  it('a confirmation of an earlier batch leaves a later batch still on its way unconfirmed', async () => {
    const http = await connect(team.uri, team.token);
    await push(mine, http);
    // Two batches in flight, the first answered, then a kill: the second's range must still be checked.
    const file = join(mine, 'sync', serverKey(team.uri), 'pushed.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.includes(`"run":"${A}"`));
    const size = Buffer.byteLength(fullRun(A, 'bright-owl', 3500)) + 200;
    const mapped = lines.find((l) => l.includes('"remote"')) ?? '';
    const half = Math.floor(size / 2);
    await writeFile(
      file,
      [
        mapped,
        JSON.stringify({ run: A, sending: [0, half] }),
        JSON.stringify({ run: A, sending: [0, size] }),
        JSON.stringify({ run: A, offset: half, done: false }),
        '',
      ].join('\n'),
    );
    const summary = await push(mine, await connect(team.uri, team.token));
    assert.deepEqual(summary.failed, []);
    assert.equal(summary.points, 0, 'the points of the unanswered batch were found on the server');
    assert.equal((await pointsOf(team, 'bright-owl', 'loss')).length, 3500);
  });

  it('reports conflicts with what teammates did on the server, run by run', async () => {
    await push(mine, await connect(team.uri, team.token));
    const runs = await team.runs();
    const owl = runs.find((r) => r.name === 'bright-owl');
    const fox = runs.find((r) => r.name === 'calm-fox');
    assert.ok(owl && fox);
    // A teammate changed a tag on one run, and deleted the other.
    const set = (path: string, body: object): Promise<Response> =>
      fetch(`${team.uri}/api/2.0/mlflow/${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${team.token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    assert.equal((await set('runs/set-tag', { run_id: owl.id, key: 'team', value: 'audio' })).status, 200);
    assert.equal((await set('runs/delete', { run_id: fox.id })).status, 200);
    await appendFile(
      join(mine, 'runs', A, 'events.jsonl'),
      line({ t: 'tag', ts: T0 + 70_000, key: 'team', value: 'speech' }),
    );
    await appendFile(join(mine, 'runs', B, 'events.jsonl'), metricLine(T0 + 2, 'loss', 0.4, 1));
    const C = 'c0000000000000000000000000000003';
    await writeRun(mine, C, startLine(C, 'new-heron'));
    const summary = await push(mine, await connect(team.uri, team.token));
    const reasons = new Map(summary.failed.map((f) => [f.name, f.reason]));
    assert.match(
      reasons.get('bright-owl') ?? '',
      /tag "team" was changed on the server to "audio" since it was pushed; here it is now "speech"/,
    );
    assert.match(reasons.get('calm-fox') ?? '', /was deleted on the server/);
    assert.deepEqual(
      summary.pushed.map((p) => p.name),
      ['new-heron'],
    );
  });

  it('reports a param the server has with another value', async () => {
    await push(mine, await connect(team.uri, team.token));
    const fox = (await team.runs()).find((r) => r.name === 'calm-fox');
    await fetch(`${team.uri}/api/2.0/mlflow/runs/log-parameter`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${team.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ run_id: fox?.id, key: 'lr', value: '0.5' }),
    });
    await appendFile(join(mine, 'runs', B, 'events.jsonl'), line({ t: 'param', ts: T0 + 3, key: 'lr', value: '0.1' }));
    const summary = await push(mine, await connect(team.uri, team.token));
    assert.equal(summary.failed.length, 1);
    assert.match(summary.failed[0]?.reason ?? '', /Changing param values is not allowed.*'lr'/);
  });

  it('never puts the token in a message', async () => {
    const server = await through(() => ({ status: 500 }));
    const secret = 'sup3r-s3cret-t0ken';
    const summary = await push(
      mine,
      await connect(server.uri, secret, {
        maxRetries: 1,
        backoffFactor: 0,
        backoffJitter: 0,
        timeoutMs: 2000,
        respectRetryAfter: true,
      }),
    ).catch((error: Error) => error);
    const text = JSON.stringify(summary instanceof Error ? summary.message : summary);
    assert.ok(!text.includes(secret));
    assert.match(text, /500/);
  });
});
