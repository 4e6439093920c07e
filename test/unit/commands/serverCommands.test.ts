import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { AutoPush } from '../../../src/commands/autoPush';
import type { AutoPushState } from '../../../src/commands/autoPush';
import { serverCommands } from '../../../src/commands/serverCommands';
import type { ServerEntry } from '../../../src/commands/trackingServers';
import { TrackingServers, parseServers, secretKey } from '../../../src/commands/trackingServers';
import type { RunStore } from '../../../src/store/runStore';
import type { StoreClient } from '../../../src/store/storeClient';
import { FakeApp } from '../../support/fakeApp';
import {
  T0,
  Team,
  fullRun,
  line,
  metricLine,
  openStore,
  removeRoot,
  startLine,
  tempRoot,
  writeRun,
} from '../sync/syncFixture';

const A = 'a0000000000000000000000000000001';
const B = 'b0000000000000000000000000000002';

/** A real store behind the StoreClient calls the commands make. */
function clientOf(store: RunStore, dir: string): StoreClient {
  const call = async (method: string, ...args: unknown[]): Promise<unknown> => {
    if (method === 'status') return { dir };
    if (method === 'sync') return store.syncJournals();
    await store.syncJournals();
    return (store.query as (m: string, ...a: unknown[]) => unknown)(method, ...args);
  };
  return { call } as unknown as StoreClient;
}

describe('tracking server commands (Connect, Push to Server, Pull Runs…, autoPush; through the App port)', function () {
  this.timeout(30_000);
  let root: string;
  let team: Team;
  let app: FakeApp;
  let saved: ServerEntry[];
  let autoPush: unknown;
  let servers: TrackingServers;
  let mine: { dir: string; store: RunStore; client: StoreClient };
  let refreshed: number;

  const settings = {
    servers: () => saved,
    setServers: (list: readonly ServerEntry[]) => {
      saved = [...list];
      return Promise.resolve();
    },
    autoPush: () => autoPush,
    setAutoPush: (names: readonly string[]) => {
      autoPush = [...names];
      return Promise.resolve();
    },
  };
  const commands = () =>
    serverCommands({
      app,
      servers,
      folders: () => [{ name: 'mine', store: mine.client }],
      refresh: () => refreshed++,
    });

  beforeEach(async () => {
    root = await tempRoot();
    team = await Team.start(root);
    app = new FakeApp();
    saved = [];
    autoPush = [];
    refreshed = 0;
    servers = new TrackingServers(app, settings, {});
    const dir = join(root, 'mine', '.runlog');
    await writeRun(dir, A, fullRun(A, 'bright-owl', 300));
    await writeRun(dir, B, startLine(B, 'calm-fox') + metricLine(T0 + 1, 'loss', 0.5, 0));
    const store = await openStore(dir);
    mine = { dir, store, client: clientOf(store, dir) };
  });

  afterEach(async () => {
    mine.store.close();
    await team.close();
    await removeRoot(root);
  });

  /** Connect to MLflow Server… answered: the URI, a name, a token. */
  async function connectTeam(): Promise<ServerEntry | undefined> {
    app.inputAnswers.push(team.uri, 'team', team.token);
    app.pickAnswers.push(['Token']);
    return commands()['runlog.connectServer']();
  }

  it('connects: the URI and name in runlog.servers, the token only in SecretStorage, the server asked first', async () => {
    const server = await connectTeam();
    assert.deepEqual(server, { name: 'team', uri: team.uri });
    assert.deepEqual(saved, [{ name: 'team', uri: team.uri }]);
    assert.equal(app.secretValues.get(secretKey(team.uri)), JSON.stringify({ token: team.token }));
    assert.ok(!JSON.stringify(saved).includes(team.token));
    assert.ok(!app.logged.some((l) => l.message.includes(team.token)), 'the token is never logged');
    assert.equal(app.inputs[2]?.password, true, 'the token is typed hidden');
    assert.match(app.messages('information')[0] ?? '', /connected to team \(\d+ experiments\)/);
    assert.equal(refreshed, 1);
    // A URI with a password in it is refused as typed.
    assert.match(app.inputs[0]?.validateInput?.('http://ada:secret@host:5000') ?? '', /user name or password/);
  });

  it('connecting a name again with a new URI replaces the old credentials; Remove MLflow Server forgets it all', async () => {
    await connectTeam();
    const old = 'http://127.0.0.1:9';
    saved = [
      { name: 'team', uri: old },
      { name: 'other', uri: 'http://127.0.0.1:8' },
    ];
    await app.secrets.store(secretKey(old), JSON.stringify({ token: 'old-token' }));
    await servers.add({ name: 'team', uri: team.uri }, { token: team.token });
    assert.equal(await app.secrets.get(secretKey(old)), undefined, 'the replaced URI keeps no credentials');
    assert.equal(app.secretValues.get(secretKey(team.uri)), JSON.stringify({ token: team.token }));

    autoPush = ['team', 'other'];
    app.confirmAnswers.push(false);
    assert.equal(await commands()['runlog.removeServer']('team'), undefined, 'asked first, and declined');
    assert.equal(saved.length, 2);
    app.confirmAnswers.push(true);
    const removed = await commands()['runlog.removeServer']({
      kind: 'server',
      server: { name: 'team', uri: team.uri },
    });
    assert.deepEqual(removed, { name: 'team', uri: team.uri });
    assert.deepEqual(saved, [{ name: 'other', uri: 'http://127.0.0.1:8' }]);
    assert.deepEqual(autoPush, ['other']);
    assert.equal(app.secretValues.get(secretKey(team.uri)), undefined, 'its credentials are gone');
    assert.ok(refreshed >= 2, 'the Runs view drops its root');
  });

  it('says when the server refuses the credentials, and keeps the entry to fix', async () => {
    app.inputAnswers.push(team.uri, 'team', 'not-the-token');
    app.pickAnswers.push(['Token']);
    await commands()['runlog.connectServer']();
    assert.equal(saved.length, 1);
    assert.match(app.messages('warning')[0] ?? '', /added team, but the server did not answer/);
  });

  it('pushes the selected runs with progress, then pushing again writes nothing; pulled runs come back read-only elsewhere', async () => {
    await connectTeam();
    const first = await commands()['runlog.pushToServer']({ runIds: [A, B] });
    assert.ok(first);
    assert.deepEqual(first.failed, []);
    assert.equal(first.pushed.length, 2);
    assert.equal(app.progress.at(-1)?.title, 'Runlog: pushing 2 runs to team');
    assert.match(app.progress.at(-1)?.reports.at(-1) ?? '', /^2\/2 runs · 30\d points/);
    assert.match(app.messages('information').at(-1) ?? '', /^Runlog: Pushed 2 runs to http:\/\/127\.0\.0\.1/);
    const again = await commands()['runlog.pushToServer']({ runIds: [A, B] });
    assert.equal(again?.writes, 0);
    assert.equal(again?.unchanged.length, 2);
    assert.equal((await team.runs()).length, 2);

    // A teammate's store pulls them.
    const theirsDir = join(root, 'theirs', '.runlog');
    const theirs = await openStore(theirsDir);
    try {
      const pulled = await serverCommands({
        app,
        servers,
        folders: () => [{ name: 'theirs', store: clientOf(theirs, theirsDir) }],
        refresh: () => refreshed++,
      })['runlog.pullRuns']({ experiments: ['house-prices'] });
      assert.ok(pulled);
      assert.deepEqual(pulled.failed, []);
      assert.equal(pulled.pulled.length, 2);
      await theirs.syncJournals();
      const runs = theirs.query('listRuns', {}).runs;
      const owl = runs.find((r) => r.name === 'bright-owl');
      assert.ok(owl);
      const details = theirs.query('getRun', owl.id);
      assert.equal(details?.git?.commit, 'c0ffee');
      assert.equal(details?.tags['runlog.remote'], team.uri);
    } finally {
      theirs.close();
    }
  });

  it('Pull Runs… asks which experiments, from the server', async () => {
    await connectTeam();
    await commands()['runlog.pushToServer']({ runIds: [A] });
    app.pickAnswers.push(['house-prices']);
    const theirsDir = join(root, 'theirs', '.runlog');
    const theirs = await openStore(theirsDir);
    try {
      const summary = await serverCommands({
        app,
        servers,
        folders: () => [{ name: 'theirs', store: clientOf(theirs, theirsDir) }],
        refresh: () => refreshed++,
      })['runlog.pullRuns']();
      const pick = app.picks.at(-1);
      assert.equal(pick?.many, true);
      assert.ok(pick?.items.some((i) => i.label === 'house-prices'));
      assert.equal(summary?.pulled.length, 1);
    } finally {
      theirs.close();
    }
  });

  it('a push cancelled from its notification stops without an error, and writes nothing', async () => {
    await connectTeam();
    app.cancelProgress.abort();
    const summary = await commands()['runlog.pushToServer']({ runIds: [A, B] });
    assert.equal(summary, undefined);
    assert.deepEqual(app.messages('error'), []);
    assert.deepEqual(await team.runs(), []);
  });

  it('without a server, offers Connect to MLflow Server… instead of failing', async () => {
    app.actionAnswers.push('Connect to MLflow Server…');
    const summary = await commands()['runlog.pushToServer']({ runIds: [A] });
    assert.equal(summary, undefined);
    assert.deepEqual(
      app.executed.map((e) => e.command),
      ['runlog.connectServer'],
    );
  });

  it('reports a server that cannot be reached as a failure of the command, not a crash', async () => {
    saved = [{ name: 'gone', uri: 'http://127.0.0.1:9' }];
    servers = new TrackingServers(app, settings, { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' });
    const summary = await commands()['runlog.pushToServer']({ runIds: [A] });
    assert.equal(summary, undefined);
    assert.match(app.messages('error').at(-1) ?? '', /^Runlog: pushing bright-owl to gone failed: .*127\.0\.0\.1:9/);
    assert.ok(app.logged.some((l) => l.level === 'error'));
  });

  it('autoPush pushes a run when it ends, to the servers it names, and reports pending and failed', async () => {
    await connectTeam();
    saved.push({ name: 'gone', uri: 'http://127.0.0.1:9' }, { name: 'other', uri: 'http://127.0.0.1:8' });
    autoPush = ['team', 'gone'];
    const states: AutoPushState[] = [];
    const quick = new TrackingServers(app, settings, { MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' });
    const auto = new AutoPush(quick, app.log, (s) => states.push(s));
    await auto.changed(mine.dir, mine.client, [B]); // running: seen live
    assert.equal(states.length, 0);
    await writeRun(
      mine.dir,
      B,
      startLine(B, 'calm-fox') +
        metricLine(T0 + 1, 'loss', 0.5, 0) +
        line({ t: 'run_end', ts: T0 + 9, status: 'FINISHED' }),
    );
    await auto.changed(mine.dir, mine.client, [B]);
    assert.deepEqual(states[1], { pending: 2, failed: [] });
    await auto.idle();
    const last = states.at(-1);
    assert.equal(last?.pending, 0);
    assert.deepEqual(
      last?.failed.map((f) => [f.run, f.server]),
      [['calm-fox', 'gone']],
    );
    assert.ok(app.logged.some((l) => l.level === 'warn' && l.message.startsWith('Auto-push of calm-fox to gone: ')));
    const remote = (await team.runs()).find((r) => r.name === 'calm-fox');
    assert.equal(remote?.status, 'FINISHED');
    // Another change of an ended run is not a new end.
    await auto.changed(mine.dir, mine.client, [B]);
    assert.equal(auto.state.pending, 0);
  });

  it('autoPush pushes a run this window launched even when the first news of it is its end', async () => {
    await connectTeam();
    autoPush = ['team'];
    const auto = new AutoPush(servers, app.log, () => undefined);
    auto.expect([mine.dir], [A]);
    await auto.changed(mine.dir, mine.client, [A]);
    await auto.idle();
    assert.deepEqual(auto.state, { pending: 0, failed: [] });
    assert.deepEqual(
      (await team.runs()).map((r) => r.name),
      ['bright-owl'],
    );
  });

  it('autoPush off (the default) asks the store nothing', async () => {
    let asked = 0;
    const client = { call: () => (asked++, Promise.resolve({ runs: [] })) } as unknown as StoreClient;
    await new AutoPush(servers, app.log, () => undefined).changed(mine.dir, client, [A]);
    assert.equal(asked, 0);
  });

  it('reads runlog.servers leniently: bad entries left out, URIs in one form, names unique', () => {
    assert.deepEqual(
      parseServers([
        { name: 'team', uri: 'https://mlflow.example/' },
        { name: 'team', uri: 'https://other.example' },
        { uri: 'http://host:5000' },
        { name: 'bad', uri: 'ftp://x' },
        { name: 'secret', uri: 'http://u:p@host' },
        'nonsense',
        null,
      ]),
      [
        { name: 'team', uri: 'https://mlflow.example' },
        { name: 'host:5000', uri: 'http://host:5000' },
      ],
    );
    assert.deepEqual(parseServers('not a list'), []);
  });
});
