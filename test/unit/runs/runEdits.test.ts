import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendRunEvents,
  deleteRunFolder,
  formatTags,
  parseTags,
  renameEvents,
  tagEvents,
} from '../../../src/runs/runEdits';
import { RunStore } from '../../../src/store/runStore';

describe('run edits', () => {
  let store: string;
  beforeEach(async () => {
    store = await mkdtemp(join(tmpdir(), 'runlog-edits-'));
    await mkdir(join(store, 'runs', 'r1'), { recursive: true });
    await writeFile(
      join(store, 'runs', 'r1', 'events.jsonl'),
      `${JSON.stringify({ t: 'run_start', ts: 1, run_id: 'r1', name: 'old', experiment: 'x' })}\n`,
    );
  });
  afterEach(async () => {
    await rm(store, { recursive: true, force: true });
  });

  it('appends whole lines that the store applies: rename, tags, pin', async () => {
    await appendRunEvents(store, 'r1', [
      ...renameEvents('  <b>new</b> '),
      ...tagEvents({}, { team: 'vision' }),
      { t: 'lifecycle', ts: 5, action: 'pin' },
    ]);
    const runs = await RunStore.open({ dir: store, writer: false, version: 'test' });
    const run = runs.query('getRun', 'r1');
    assert.equal(run?.name, '<b>new</b>');
    assert.equal(run?.pinned, true);
    assert.equal(run?.tags['team'], 'vision');
    assert.deepEqual(run?.rejected, []);
    runs.close();
  });

  it('starts a new line when the journal ends in a cut-off line', async () => {
    const file = join(store, 'runs', 'r1', 'events.jsonl');
    await appendFile(file, '{"t":"metric","ts":2,"key":"lo');
    await appendRunEvents(store, 'r1', renameEvents('fresh'));
    const lines = (await readFile(file, 'utf8')).split('\n');
    assert.equal(lines[1], '{"t":"metric","ts":2,"key":"lo');
    assert.match(lines[2] ?? '', /"value":"fresh"/);
    assert.equal(lines[3], '');
  });

  it('keeps every line when another writer appends at the same time', async () => {
    const file = join(store, 'runs', 'r1', 'events.jsonl');
    const other = Array.from({ length: 200 }, (_, i) =>
      appendFile(file, `${JSON.stringify({ t: 'metric', ts: i, key: 'loss', value: i, step: i })}\n`),
    );
    const ours = Array.from({ length: 50 }, (_, i) => appendRunEvents(store, 'r1', tagEvents({}, { [`k${i}`]: 'v' })));
    await Promise.all([...other, ...ours]);
    const runs = await RunStore.open({ dir: store, writer: false, version: 'test' });
    const run = runs.query('getRun', 'r1');
    assert.deepEqual(run?.rejected, []);
    assert.equal(run?.metrics[0]?.count, 200);
    assert.equal(Object.keys(run?.tags ?? {}).length, 50);
    runs.close();
  });

  it('refuses a missing journal and ids that are not run ids', async () => {
    await assert.rejects(appendRunEvents(store, 'nope', renameEvents('x')), /ENOENT/);
    await assert.rejects(appendRunEvents(store, '../r1', renameEvents('x')), /not a run id/);
    await assert.rejects(deleteRunFolder(store, '..', 'FINISHED'), /not a run id/);
    assert.throws(() => renameEvents('   '), /cannot be empty/);
  });

  it('turns a tag edit into set and remove events, leaving runlog tags alone', () => {
    const events = tagEvents(
      { team: 'vision', note: 'x', 'runlog.name': 'n', same: '1' },
      { team: 'nlp', extra: '', same: '1' },
      7,
    );
    assert.deepEqual(events, [
      { t: 'tag', ts: 7, key: 'team', value: 'nlp' },
      { t: 'tag', ts: 7, key: 'extra', value: '' },
      { t: 'lifecycle', ts: 7, action: 'remove_tag', key: 'note' },
    ]);
  });

  it('reads and writes tags as one line', () => {
    assert.deepEqual(parseTags(' team=vision, best ,note = a=b '), { team: 'vision', best: '', note: 'a=b' });
    assert.deepEqual(parseTags(''), {});
    assert.match((parseTags('=x') as { error: string }).error, /no key/);
    assert.match((parseTags('runlog.name=x') as { error: string }).error, /Runlog's own/);
    assert.equal(formatTags({ team: 'vision', best: '', 'runlog.pinned': 'true' }), 'team=vision, best');
  });

  it('deletes a run folder for good, but not while the run is running or queued', async () => {
    await assert.rejects(deleteRunFolder(store, 'r1', 'RUNNING'), /stop it before/);
    await assert.rejects(deleteRunFolder(store, 'r1', 'QUEUED'), /stop it before/);
    assert.ok(existsSync(join(store, 'runs', 'r1')));
    await deleteRunFolder(store, 'r1', 'FAILED');
    assert.equal(existsSync(join(store, 'runs', 'r1')), false);
  });
});
