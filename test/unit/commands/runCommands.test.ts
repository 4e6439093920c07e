import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunCommandDeps } from '../../../src/commands/runCommands';
import { runCommands } from '../../../src/commands/runCommands';
import type { Relaunch } from '../../../src/commands/rerunRuns';
import type { RunDetails } from '../../../src/store/types';
import { FakeApp } from '../../support/fakeApp';
import type { FakeStore } from '../../support/fakeStore';
import { fakeStore } from '../../support/fakeStore';
import { runDetails } from '../../support/runFixtures';

/** The events a command appended to a run's journal (after its run_start). */
async function appended(store: FakeStore, runId: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(store.dir, 'runs', runId, 'events.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Drops the timestamps, which are the clock's. */
const withoutTs = (events: Record<string, unknown>[]): Record<string, unknown>[] =>
  events.map((event) => Object.fromEntries(Object.entries(event).filter(([key]) => key !== 'ts')));

describe('run commands (through the App port, in Node)', () => {
  let dir: string;
  let app: FakeApp;
  let store: FakeStore;
  let commands: ReturnType<typeof runCommands>;
  let refreshed: number;
  let stopped: string[];
  let active: { running: string[]; waiting: string[] };
  let relaunched: Parameters<Relaunch>[];
  let relaunch: Relaunch;

  const runs: RunDetails[] = [
    runDetails({
      id: 'owl',
      name: 'bright-owl',
      startTime: 300,
      tags: { team: 'vision', stage: 'a', 'mlflow.note.content': 'line one\nC:\\temp\\new' },
    }),
    runDetails({
      id: 'fox',
      name: 'calm-fox',
      startTime: 200,
      tags: { team: 'vision', stage: 'b', 'mlflow.note.content': 'line one\nC:\\temp\\new' },
    }),
    runDetails({ id: 'elk', name: 'late-elk', startTime: 100, status: 'RUNNING', endTime: null }),
    runDetails({ id: 'old', name: 'gone-cat', startTime: 50, deleted: true }),
    runDetails({
      id: 'pulled',
      name: 'their-yak',
      startTime: 40,
      tags: { team: 'vision', 'runlog.remote': 'https://mlflow.team.example' },
    }),
  ];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'runlog-commands-'));
    app = new FakeApp();
    store = await fakeStore(dir, runs);
    refreshed = 0;
    stopped = [];
    active = { running: [], waiting: [] };
    relaunched = [];
    relaunch = (plan, relocation) => {
      relaunched.push([plan, relocation]);
      return Promise.resolve([`new-${relaunched.length}`]);
    };
    const deps: RunCommandDeps = {
      app,
      folders: () => [{ name: 'ws', store: store.client }],
      launcher: {
        get active() {
          return active;
        },
        stop: (runId) => {
          stopped.push(runId);
          return Promise.resolve(true);
        },
      },
      relaunch: (plan, relocation) => relaunch(plan, relocation),
      refresh: () => {
        refreshed++;
      },
    };
    commands = runCommands(deps);
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const ids = (...runIds: string[]) => ({ runIds });
  type Commands = ReturnType<typeof runCommands>;
  const run = <K extends keyof Commands>(id: K): Commands[K] => commands[id];

  describe('Rename Run…', () => {
    it('asks for the name with the current one filled in, refuses an empty one, and records the new one', async () => {
      app.inputAnswers.push('  sharp-owl ');
      await run('runlog.renameRun')(ids('owl'));
      const [input] = app.inputs;
      assert.equal(input?.value, 'bright-owl');
      assert.equal(input?.title, 'Runlog: Rename bright-owl');
      assert.equal(input?.validateInput?.('  '), 'A run name cannot be empty.');
      assert.equal(input?.validateInput?.('x'), undefined);
      assert.deepEqual(withoutTs(await appended(store, 'owl')), [{ t: 'tag', key: 'runlog.name', value: 'sharp-owl' }]);
      assert.equal(store.syncs(), 1, 'the store reads the change now');
      assert.equal(refreshed, 1);
    });

    it('writes nothing when dismissed or given the same name', async () => {
      await run('runlog.renameRun')(ids('owl'));
      await run('runlog.renameRun')(ids('owl'), undefined, 'bright-owl');
      assert.deepEqual(await appended(store, 'owl'), []);
      assert.equal(refreshed, 0);
    });

    it('takes a name given by code without asking; a non-string is asked for', async () => {
      await run('runlog.renameRun')(ids('fox'), undefined, 'quick-fox');
      assert.equal(app.inputs.length, 0);
      assert.deepEqual(withoutTs(await appended(store, 'fox')), [{ t: 'tag', key: 'runlog.name', value: 'quick-fox' }]);
      await (run('runlog.renameRun') as (...args: unknown[]) => Promise<void>)(ids('fox'), undefined, 42);
      assert.equal(app.inputs.length, 1);
    });
  });

  it('leaves a run pulled from a tracking server as it is: read-only here, and says so', async () => {
    await run('runlog.renameRun')(ids('pulled'), undefined, 'my-yak');
    app.inputAnswers.push('owner=ana');
    await run('runlog.tagRuns')(ids('owl', 'pulled'));
    assert.deepEqual(await appended(store, 'pulled'), []);
    assert.equal(app.messages('information').length, 2);
    assert.match(
      app.messages('information')[0] ?? '',
      /their-yak came from https:\/\/mlflow\.team\.example and is read-only here/,
    );
    assert.equal(app.inputs[0]?.title, 'Runlog: Tags of bright-owl', 'the others are still tagged');
  });

  describe('Tag Runs…', () => {
    it('offers the tags every run shares, and sets what is added and removes what is removed on each', async () => {
      app.inputAnswers.push('owner=ana, reviewed');
      await run('runlog.tagRuns')(ids('owl', 'fox'));
      assert.equal(
        app.inputs[0]?.value,
        'team=vision',
        'stage differs between the runs, so it is not offered; the note is Edit Note’s',
      );
      assert.equal(app.inputs[0]?.title, 'Runlog: Tags of 2 runs');
      assert.match(app.inputs[0]?.validateInput?.('runlog.x=1') ?? '', /Runlog's own/);
      for (const id of ['owl', 'fox']) {
        assert.deepEqual(withoutTs(await appended(store, id)), [
          { t: 'tag', key: 'owner', value: 'ana' },
          { t: 'tag', key: 'reviewed', value: '' },
          { t: 'lifecycle', action: 'remove_tag', key: 'team' },
        ]);
      }
      assert.equal(store.syncs(), 1, 'one read for the store both runs are in');
    });

    it('refuses tags it cannot read, and changes nothing', async () => {
      await run('runlog.tagRuns')(ids('owl'), undefined, '=oops');
      assert.deepEqual(app.messages('error'), ['Runlog: "=oops" has no key before "="']);
      assert.deepEqual(await appended(store, 'owl'), []);
    });
  });

  describe('Edit Note…', () => {
    const NOTE = 'mlflow.note.content';

    it('edits the note on one line, a line break as \\n, and writes it as MLflow’s note tag', async () => {
      app.inputAnswers.push('# Best\\nC:\\\\temp\\\\new **so far**');
      await run('runlog.editNote')(ids('owl'));
      const [input] = app.inputs;
      assert.equal(input?.value, 'line one\\nC:\\\\temp\\\\new', 'backslashes doubled, so \\n stays a backslash and n');
      assert.equal(input?.title, 'Runlog: Note of bright-owl');
      assert.equal(input?.validateInput?.('x'.repeat(8000)), undefined);
      assert.match(input?.validateInput?.('x'.repeat(8001)) ?? '', /at most 8000/);
      assert.deepEqual(withoutTs(await appended(store, 'owl')), [
        { t: 'tag', key: NOTE, value: '# Best\nC:\\temp\\new **so far**' },
      ]);
      assert.equal(refreshed, 1);
    });

    it('removes the note when emptied, takes a note from code as is, and writes nothing unchanged', async () => {
      await run('runlog.editNote')(ids('owl'), undefined, '   ');
      await run('runlog.editNote')(ids('fox'), undefined, 'line one\nC:\\temp\\new');
      await run('runlog.editNote')(ids('elk'), undefined, '<img src=x onerror=alert(1)>\nsecond line');
      assert.equal(app.inputs.length, 0);
      assert.deepEqual(withoutTs(await appended(store, 'owl')), [{ t: 'lifecycle', action: 'remove_tag', key: NOTE }]);
      assert.deepEqual(await appended(store, 'fox'), []);
      assert.deepEqual(withoutTs(await appended(store, 'elk')), [
        { t: 'tag', key: NOTE, value: '<img src=x onerror=alert(1)>\nsecond line' },
      ]);
    });
  });

  it('Pin, Unpin, Delete and Restore append one lifecycle event to each run and count them', async () => {
    assert.equal(await run('runlog.pinRun')(ids('owl', 'fox')), 2);
    assert.equal(await run('runlog.unpinRun')(ids('owl')), 1);
    assert.equal(await run('runlog.deleteRun')(ids('fox')), 1);
    assert.equal(await run('runlog.restoreRun')(ids('old')), 1);
    assert.deepEqual(withoutTs(await appended(store, 'owl')), [
      { t: 'lifecycle', action: 'pin' },
      { t: 'lifecycle', action: 'unpin' },
    ]);
    assert.deepEqual(withoutTs(await appended(store, 'fox')), [
      { t: 'lifecycle', action: 'pin' },
      { t: 'lifecycle', action: 'delete' },
    ]);
    assert.deepEqual(withoutTs(await appended(store, 'old')), [{ t: 'lifecycle', action: 'restore' }]);
    assert.equal(refreshed, 4);
  });

  it('acts on the Runs view nodes a context menu passes: the selection, else the clicked run', async () => {
    const node = (id: string) => ({
      kind: 'run' as const,
      store: store.client,
      run: runs.find((r) => r.id === id)!,
      metrics: [],
    });
    assert.equal(await run('runlog.pinRun')(node('owl'), [node('owl'), node('fox')]), 2);
    assert.equal(await run('runlog.deleteRun')(node('fox')), 1);
    assert.equal((await appended(store, 'fox')).length, 2);
  });

  it('names the runs it could not change, and still changes the others', async () => {
    await rm(join(dir, 'runs', 'fox'), { recursive: true });
    assert.equal(await run('runlog.pinRun')(ids('owl', 'fox')), 1);
    assert.equal(app.messages('error').length, 1);
    assert.match(app.messages('error')[0] ?? '', /^Runlog could not change fox: /);
    assert.equal((await appended(store, 'owl')).length, 1);
  });

  describe('Delete Run Permanently…', () => {
    it('asks first, naming the run, and removes its folder only when the user agrees', async () => {
      assert.equal(await run('runlog.deleteRunPermanently')(ids('owl')), 0);
      assert.deepEqual(app.confirmations, [
        {
          message: 'Delete the run bright-owl permanently?',
          action: 'Delete Permanently',
          detail: 'The journal, metrics, artifacts and output log are removed from disk. This cannot be undone.',
        },
      ]);
      assert.ok(existsSync(join(dir, 'runs', 'owl')));
      app.confirmAnswers.push(true);
      assert.equal(await run('runlog.deleteRunPermanently')(ids('owl', 'fox')), 2);
      assert.equal(app.confirmations[1]?.message, 'Delete 2 runs permanently?');
      assert.ok(!existsSync(join(dir, 'runs', 'owl')) && !existsSync(join(dir, 'runs', 'fox')));
      assert.equal(store.syncs(), 1);
    });

    it('leaves running runs alone and says so; confirm: false skips the question', async () => {
      assert.equal(await run('runlog.deleteRunPermanently')(ids('elk', 'owl'), undefined, { confirm: false }), 1);
      assert.deepEqual(app.confirmations, []);
      assert.deepEqual(app.messages('warning'), [
        'Runlog: late-elk is still running or queued; stop it before deleting.',
      ]);
      assert.ok(existsSync(join(dir, 'runs', 'elk')));
      assert.ok(!existsSync(join(dir, 'runs', 'owl')));
    });
  });

  describe('Stop Run', () => {
    it('stops the runs this window launched, by node, { runIds } or a bare run id (the status bar)', async () => {
      active = { running: ['elk'], waiting: ['owl'] };
      await run('runlog.stopRun')(ids('elk', 'owl'));
      await run('runlog.stopRun')('elk');
      assert.deepEqual(stopped, ['elk', 'owl', 'elk']);
      assert.deepEqual(app.shown, []);
    });

    it('says why a run started elsewhere keeps running, and says nothing of ended ones', async () => {
      await run('runlog.stopRun')(ids('owl'));
      assert.deepEqual(app.shown, []);
      await run('runlog.stopRun')(ids('elk'));
      assert.deepEqual(stopped, []);
      assert.deepEqual(app.messages('warning'), [
        'Runlog can stop only runs launched from this window; this one was started elsewhere (a terminal, another window).',
      ]);
    });
  });

  describe('Rerun', () => {
    it('relaunches each run with the values it recorded, tagged with the run it reruns', async () => {
      const scripted = runDetails({ id: 's1', name: 'with-script', source: '/ws/train.py', params: { lr: '0.1,0.2' } });
      const project = runDetails({
        id: 'p1',
        name: 'with-project',
        source: '/ws/MLproject',
        entryPoint: 'MLproject › main',
        params: { alpha: '1' },
      });
      store = await fakeStore(join(dir, 'second'), [scripted, project]);
      assert.deepEqual(await run('runlog.rerunRun')(ids('s1', 'p1')), ['new-1', 'new-2']);
      assert.deepEqual(relaunched, [
        [
          { kind: 'script', script: '/ws/train.py', values: { lr: '"0.1,0.2"' } },
          { tags: { 'runlog.rerun_of': 's1' } },
        ],
        [
          { kind: 'entryPoint', mlproject: '/ws/MLproject', name: 'main', values: { alpha: '1' } },
          { tags: { 'runlog.rerun_of': 'p1' } },
        ],
      ]);
    });

    it('says why a run cannot be rerun, or could not be, and reruns the others', async () => {
      const scripted = runDetails({ id: 's1', name: 'with-script', source: '/ws/train.py' });
      const failing = runDetails({ id: 's2', name: 'unlucky', source: '/ws/other.py' });
      store = await fakeStore(join(dir, 'second'), [runDetails({ id: 'n1', name: 'no-source' }), scripted, failing]);
      relaunch = (plan, relocation) =>
        plan.kind === 'script' && plan.script === '/ws/other.py'
          ? Promise.reject(new Error('the queue is gone'))
          : Promise.resolve([`again-${String(relocation.tags['runlog.rerun_of'])}`]);
      assert.deepEqual(await run('runlog.rerunRun')(ids('n1', 's1', 's2')), ['again-s1']);
      assert.deepEqual(app.messages('warning'), [
        'Runlog: no-source recorded no script, so Runlog cannot tell what to run again.',
      ]);
      assert.deepEqual(app.messages('error'), ['Runlog could not rerun unlucky: the queue is gone']);
    });
  });

  it('Copy Run ID copies the run’s id, and nothing for a run no store has', async () => {
    await run('runlog.copyRunId')(ids('fox'));
    await run('runlog.copyRunId')(ids('nobody'));
    assert.deepEqual(app.clipboard, ['fox']);
  });
});
