import * as assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandTargets } from '../../../src/app/commandRegistry';
import { commandTitles, registerCommands } from '../../../src/app/commandRegistry';
import type { RunlogCommands } from '../../../src/app/commands';
import { COMMANDS } from '../../../src/app/commands';
import type { RunCandidate, VersionCandidate } from '../../../src/commands/runTargets';
import type { RunDetails } from '../../../src/store/types';
import { FakeApp } from '../../support/fakeApp';
import type { FakeStore } from '../../support/fakeStore';
import { fakeStore } from '../../support/fakeStore';
import { runDetails } from '../../support/runFixtures';

/** Waits for the promise callbacks already queued (a notification's answer being handled). */
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('the command registry', () => {
  let dir: string;
  let app: FakeApp;
  let store: FakeStore;
  let calls: [string, unknown[]][];
  let handlers: Record<string, (...args: unknown[]) => unknown>;
  let selection: unknown[];
  let versionSelection: unknown[];
  let launchedHere: string[];
  let offered: RunCandidate[][];

  const runs: RunDetails[] = [
    runDetails({ id: 'owl', name: 'bright-owl', startTime: 300 }),
    runDetails({ id: 'elk', name: 'late-elk', startTime: 200, status: 'RUNNING', endTime: null }),
    runDetails({ id: 'yak', name: 'busy-yak', startTime: 100, status: 'RUNNING', endTime: null }),
  ];
  const node = (id: string): object => ({
    kind: 'run',
    store: store.client,
    run: runs.find((r) => r.id === id),
    metrics: [],
  });

  function targets(): CommandTargets {
    return {
      runs: {
        folders: () => [{ name: 'ws', store: store.client }],
        selection: () => selection,
        launchedHere: (runId) => launchedHere.includes(runId),
        pick: (candidates, preselected) => {
          offered.push([...candidates]);
          return Promise.resolve(preselected);
        },
      },
      versions: {
        folders: () => [],
        selection: () => versionSelection,
        pick: (_c: readonly VersionCandidate[], preselected: readonly VersionCandidate[]) =>
          Promise.resolve(preselected),
      },
    };
  }

  function register(titles: ReadonlyMap<string, string> = new Map()): void {
    registerCommands(app, handlers as unknown as RunlogCommands, targets(), titles);
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runlog-registry-'));
    app = new FakeApp();
    store = await fakeStore(dir, runs);
    calls = [];
    selection = [];
    versionSelection = [];
    launchedHere = [];
    offered = [];
    handlers = Object.fromEntries(
      Object.keys(COMMANDS).map((id) => [
        id,
        (...args: unknown[]) => {
          calls.push([id, args]);
          return `${id} ran`;
        },
      ]),
    );
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('registers every declared command once, and each registration can be undone', () => {
    const disposables = registerCommands(app, handlers as unknown as RunlogCommands, targets(), new Map());
    assert.deepEqual([...app.commands.keys()].sort(), Object.keys(COMMANDS).sort());
    for (const disposable of disposables) disposable.dispose();
    assert.equal(app.commands.size, 0);
  });

  it('refuses a handler for a command that is not declared', () => {
    handlers['runlog.forgotten'] = () => undefined;
    assert.throws(() => register(), /not declared in src\/app\/commands\.ts: runlog\.forgotten/);
    assert.equal(app.commands.size, 0);
  });

  it('passes the arguments it is given to the handler, as they are', async () => {
    register();
    assert.equal(await app.executeCommand('runlog.groupRuns', 'status'), 'runlog.groupRuns ran');
    const clicked = node('owl');
    await app.executeCommand('runlog.deleteRun', clicked, [clicked]);
    assert.deepEqual(calls, [
      ['runlog.groupRuns', ['status']],
      ['runlog.deleteRun', [clicked, [clicked]]],
    ]);
  });

  it('gives a run command called without arguments the runs selected in the Runs view', async () => {
    register();
    selection = [{ kind: 'experiment' }, node('elk'), node('owl')];
    await app.executeCommand('runlog.deleteRun');
    await app.executeCommand('runlog.renameRun');
    assert.deepEqual(calls, [
      ['runlog.deleteRun', [{ runIds: ['elk', 'owl'] }, undefined]],
      ['runlog.renameRun', [{ runIds: ['elk'] }, undefined]],
    ]);
    assert.deepEqual(offered, []);
  });

  it('has Stop offer only the running runs this window launched', async () => {
    register();
    selection = [node('yak')];
    launchedHere = ['elk'];
    await app.executeCommand('runlog.stopRun');
    assert.deepEqual(
      offered.map((candidates) => candidates.map((c) => c.run.id)),
      [['elk']],
      'the selected run was started elsewhere: the pick offers the one launched here',
    );
    assert.deepEqual(calls, [['runlog.stopRun', [{ runIds: ['elk'] }, undefined]]]);
  });

  it('gives a version command called without arguments the versions selected in the Models view', async () => {
    register();
    const version = { version: 3, runId: null, source: null, created: 0, description: null, aliases: [] };
    versionSelection = [{ kind: 'version', store: store.client, model: 'prices', version, run: undefined }];
    await app.executeCommand('runlog.serveModel');
    assert.deepEqual(calls, [
      ['runlog.serveModel', [{ name: 'prices', version: 3 }, [{ name: 'prices', version: 3 }]]],
    ]);
  });

  it('reports every failure the same way: the log with the stack, and a notification naming the command', async () => {
    handlers['runlog.renameRun'] = () => Promise.reject(new Error('the disk is full'));
    handlers['runlog.refreshModels'] = () => {
      throw new TypeError('no models here');
    };
    register(new Map([['runlog.renameRun', 'Rename Run']]));
    app.actionAnswers.push('Show Log');
    assert.equal(await app.executeCommand('runlog.renameRun', { runIds: ['owl'] }), undefined);
    await settled();
    assert.equal(app.logShown, 1, 'Show Log shows the log');
    assert.equal(await app.executeCommand('runlog.refreshModels'), undefined);
    assert.deepEqual(app.shown, [
      { kind: 'error', message: 'Runlog: Rename Run failed: the disk is full', actions: ['Show Log'] },
      { kind: 'error', message: 'Runlog: runlog.refreshModels failed: no models here', actions: ['Show Log'] },
    ]);
    assert.equal(app.logged.length, 2);
    assert.match(
      app.logged[0]?.message ?? '',
      /^Rename Run \(runlog\.renameRun\) failed: Error: the disk is full\n\s+at /,
    );
    assert.match(
      app.logged[1]?.message ?? '',
      /^runlog\.refreshModels \(runlog\.refreshModels\) failed: TypeError: no models/,
    );
    assert.ok(app.logged.every((line) => line.level === 'error'));
  });

  it('names commands by their titles in package.json, without the ellipsis', () => {
    const titles = commandTitles({
      contributes: {
        commands: [
          { command: 'runlog.renameRun', title: 'Rename Run…' },
          { command: 'runlog.stopRun', title: 'Stop Run' },
        ],
      },
    });
    assert.deepEqual(
      [...titles],
      [
        ['runlog.renameRun', 'Rename Run'],
        ['runlog.stopRun', 'Stop Run'],
      ],
    );
    assert.equal(commandTitles({}).size, 0);
  });
});
