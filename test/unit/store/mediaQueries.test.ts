import * as assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../../../src/store/runStore';

const line = (event: object): string => `${JSON.stringify(event)}\n`;
const image = (key: string, step: number, ts: number, uuid: string, tail = '.png'): string =>
  `images/${key.replace(/\//g, '#')}%step%${step}%timestamp%${ts}%${uuid}${tail}`;

describe('media queries', () => {
  let dir: string;

  async function journal(runId: string, source: string, start: number, paths: string[]): Promise<void> {
    await mkdir(join(dir, 'runs', runId), { recursive: true });
    let text = line({ t: 'run_start', ts: start, run_id: runId, name: `run-${runId}`, experiment: 'e', source });
    for (const path of paths) text += line({ t: 'artifact', ts: start + 1, path, size: 10, sha256: 'x' });
    await appendFile(join(dir, 'runs', runId, 'events.jsonl'), text);
  }

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-media-')), '.runlog');
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('lists the image keys of runs and each run’s steps of a key, with previews', async () => {
    await journal('a', '/w/train.py', 1, [
      image('val/pred', 0, 10, 'g0'),
      image('val/pred', 0, 10, 'g0', '%compressed.webp'),
      image('val/pred', 5, 11, 'g5'),
      image('val/pred', -1, 9, 'gm'),
      image('val', 1, 12, 'gv'), // a key that is a prefix of another's
      image('attn', 3, 13, 'ga'),
      'images/notes.txt',
      'eval/worst.json',
    ]);
    await journal('b', '/w/train.py', 2, [image('val/pred', 2, 20, 'gb'), image('val/pred', 2, 20, 'gb', '+x.png')]);
    await journal('c', '/w/other.py', 3, ['model/model.pkl']);
    const store = await RunStore.open({ dir, writer: true, version: 'test' });
    try {
      await store.syncJournals();
      assert.deepEqual(store.query('imageKeys', ['a', 'b', 'c', 'nobody']), [
        { key: 'attn', runs: 1, images: 1 },
        { key: 'val', runs: 1, images: 1 },
        { key: 'val/pred', runs: 2, images: 4 },
      ]);
      const series = store.query('imageSeries', ['b', 'a', 'c'], 'val/pred');
      assert.deepEqual(
        series.map((s) => s.runId),
        ['b', 'a'],
        'in the order asked, runs without the key left out',
      );
      const a = series[1];
      assert.deepEqual([...a.steps], [-1, 0, 5]);
      assert.deepEqual([...a.times], [9, 10, 11]);
      assert.deepEqual(a.files, [
        image('val/pred', -1, 9, 'gm'),
        image('val/pred', 0, 10, 'g0'),
        image('val/pred', 5, 11, 'g5'),
      ]);
      assert.deepEqual(a.previews, [null, image('val/pred', 0, 10, 'g0', '%compressed.webp'), null]);
      assert.deepEqual(
        store.query('imageSeries', ['a'], 'val').map((s) => [...s.steps]),
        [[1]],
      );
    } finally {
      store.close();
    }
  });

  it("finds a key's images in a script's recent runs, else in the store's", async () => {
    await journal('old', '/w/train.py', 1, [image('samples', 0, 1, 'g1'), image('samples', 9, 2, 'g2')]);
    await journal('new', '/w/train.py', 5, ['model.pkl']);
    await journal('elsewhere', '/w/gen.py', 9, [image('faces', 3, 1, 'g3')]);
    const store = await RunStore.open({ dir, writer: true, version: 'test' });
    try {
      await store.syncJournals();
      const mine = store.query('imageInsight', { script: '/w/train.py', key: 'samples' });
      assert.equal(mine.scope, 'script');
      assert.deepEqual(
        mine.runs.map((r) => [r.runId, r.images, r.firstStep, r.lastStep]),
        [['old', 2, 0, 9]],
      );
      const fallback = store.query('imageInsight', { script: '/w/train.py', key: 'faces' });
      assert.equal(fallback.scope, 'store');
      assert.deepEqual(
        fallback.runs.map((r) => r.runName),
        ['run-elsewhere'],
      );
      assert.deepEqual(store.query('imageInsight', { key: 'nothing' }).runs, []);
    } finally {
      store.close();
    }
  });
});
