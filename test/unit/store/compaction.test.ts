import * as assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import {
  closeSync,
  cpSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADOPTED } from '../../../src/store/compaction';
import type { PointsLinePlace } from '../../../src/store/journalCompactor';
import { COMPACT_LINE_POINTS, JournalCompactor } from '../../../src/store/journalCompactor';
import { generationOf } from '../../../src/store/journalRewrite';
import { pointsFileName } from '../../../src/store/pointsFile';
import { parseJournalBuffer } from '../../../src/store/journal';
import { metricBatchLine } from '../../../src/store/metricBatchLine';
import { RunStore } from '../../../src/store/runStore';
import { StoreLock } from '../../../src/store/lock';
import { StoreService } from '../../../src/store/storeService';
import { DB_FILE } from '../../../src/store/storeLocation';

const line = (event: object): string => `${JSON.stringify(event)}\n`;
const start = (runId: string): string =>
  line({ t: 'run_start', ts: 1, run_id: runId, name: `name-${runId}`, experiment: 'e', command: 'python t.py' });
const end = line({ t: 'run_end', ts: 99_000, status: 'FINISHED', exit_code: 0 });
const metricLine = (key: string, step: number | string, value: number | string, ts: number | string = 1000): string =>
  `{"t":"metric","ts":${ts},"key":"${key}","value":${typeof value === 'string' ? `"${value}"` : value},"step":${step}}\n`;

/**
 * Every series of a journal's text as the store's reader sees it: key -> steps, times and the values'
 * bytes; `folder` holds the points file a compacted journal's lines name.
 */
function seriesOf(
  text: string | Uint8Array,
  folder?: string,
): Map<string, { steps: number[]; times: number[]; values: string }> {
  const chunk = parseJournalBuffer(typeof text === 'string' ? Buffer.from(text) : text, 0, 1, folder);
  assert.deepEqual(
    chunk.malformed.filter((m) => m.reason.startsWith('metrics')),
    [],
    'no batched line refused',
  );
  const out = new Map<string, { steps: number[]; times: number[]; values: string }>();
  for (const [key, columns] of chunk.metrics.series) {
    const count = columns.length;
    out.set(key, {
      steps: [...columns.steps.subarray(0, count)],
      times: [...columns.times.subarray(0, count)],
      values: Buffer.from(columns.values.buffer, columns.values.byteOffset, count * 8).toString('hex'),
    });
  }
  return out;
}

/** A journal of a finished run: params, tags, events, many points a line each, odd values, a batched line. */
function typicalJournal(runId: string, points: number): string {
  let text = start(runId) + line({ t: 'param', ts: 2, key: 'lr', value: '0.01' });
  text += line({ t: 'tag', ts: 3, key: 'phase', value: 'a' });
  for (let i = 0; i < points; i++) {
    text += metricLine('loss', i, Math.fround(1 / (i + 1)), 1000 + i * 7);
    if (i % 3 === 0) text += metricLine('acc', i, i / points, 1000 + i * 7);
  }
  text += metricLine('odd', 0, -0.0) + metricLine('odd', 1, 'NaN') + metricLine('odd', 2, 'Infinity');
  text += metricLine('odd', 3, '-Infinity') + metricBatchLine('odd', [4, 5], [2000, 2001], [1e308, -5e-324]);
  text += line({ t: 'tag', ts: 4, key: 'phase', value: 'b' });
  return text + end;
}

interface CompactedJournal {
  readonly bytes: Buffer;
  readonly lines: number;
  readonly points: number;
  readonly pointsFile: Buffer;
  readonly batched: ReadonlyMap<string, readonly PointsLinePlace[]>;
}

/** A journal held whole rewritten by JournalCompactor in one piece: the new journal and points file. */
function compactJournal(input: Uint8Array, generation: string, ts: number): CompactedJournal {
  const compactor = new JournalCompactor(generation, ts);
  const points: Uint8Array[] = [];
  const journal: Uint8Array[] = [];
  compactor.scan(input, (bytes) => points.push(bytes));
  compactor.endScan((bytes) => points.push(bytes));
  compactor.rewrite(input, (bytes) => journal.push(bytes));
  const summary = compactor.finish((bytes) => journal.push(bytes));
  return { ...summary, bytes: Buffer.concat(journal), pointsFile: Buffer.concat(points) };
}

/** A rewrite's points file written where its lines say, in a new folder: that folder. */
function withPointsFile(out: CompactedJournal, generation: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'runlog-points-'));
  writeFileSync(join(folder, pointsFileName(generation)), out.pointsFile);
  return folder;
}

const G1 = '5f0c2a9e1b7d4c3a';

describe('compaction of sealed runs', () => {
  describe('compactJournal', () => {
    it('keeps every point bit for bit in batched lines and every other line as it was, in order', () => {
      const text =
        start('r') +
        line({ t: 'param', ts: 2, key: 'lr', value: '0.01' }) +
        metricLine('loss', 0, -0.0) +
        line({ t: 'future_event', ts: 3, x: 1 }) +
        metricLine('loss', 1, 'NaN') +
        '{"t":"metric","ts":5,"key":"loss","value":0.5,"step":2}\n' +
        metricBatchLine('loss', [3, 4], [6, 7], [Infinity, -Infinity]) +
        'not json\n' +
        '\n' +
        line({ t: 'tag', ts: 8, key: 'a', value: 'b' }) +
        end;
      const out = compactJournal(Buffer.from(text), G1, 5);
      const lines = out.bytes.toString('utf8').split('\n');
      assert.equal(generationOf(out.bytes), G1);
      assert.equal(out.points, 5);
      assert.deepEqual(lines.slice(1, 3), [
        start('r').trim(),
        line({ t: 'param', ts: 2, key: 'lr', value: '0.01' }).trim(),
      ]);
      // The key's points are in the points file (the chunk codec's 5-byte header, 8 bytes a value,
      // a byte a step, the times 1000, +0, -995, +1, +1 in 2 + 1 + 2 + 1 + 1), named by one line.
      assert.equal(out.pointsFile.length, 5 + 5 * 8 + 5 + 7);
      const sha256 = createHash('sha256').update(out.pointsFile).digest('hex');
      assert.equal(
        lines[3],
        `{"t":"metrics","key":"loss","file":"points.${G1}.bin","at":0,"bytes":${out.pointsFile.length},"count":5,"sha256":"${sha256}"}`,
      );
      assert.deepEqual(lines.slice(4), [
        line({ t: 'future_event', ts: 3, x: 1 }).trim(),
        'not json',
        line({ t: 'tag', ts: 8, key: 'a', value: 'b' }).trim(),
        end.trim(),
        '',
      ]);
      assert.equal(out.lines, 8);
      const folder = withPointsFile(out, G1);
      assert.deepEqual(seriesOf(out.bytes, folder), seriesOf(text));
      // Without its points file the line is refused, never read as no points.
      assert.match(
        parseJournalBuffer(out.bytes)
          .malformed.map((m) => m.reason)
          .join(),
        /points in points\.5f0c2a9e1b7d4c3a\.bin, which this reader cannot open/,
      );
      rmSync(folder, { recursive: true });
    });

    it("keeps a key's lines as they were when a batched line cannot hold its points exactly", () => {
      const text =
        start('r') +
        metricLine('big', '9007199254740993', 1) +
        metricLine('big', 1, 2) +
        '{"t":"metric","ts":5,"key":"extra","value":0.5,"step":2,"model_id":"m-1"}\n' +
        metricLine('extra', 3, 0.25) +
        metricLine('frac', 0, 1, '1000.5') +
        metricLine('fine', 0, 1) +
        metricLine('fine', 1, 2);
      const out = compactJournal(Buffer.from(text), G1, 5);
      const body = out.bytes.toString('utf8');
      assert.equal(out.points, 2);
      assert.ok(body.includes(metricLine('big', '9007199254740993', 1)), 'the int64 step keeps its digits');
      assert.ok(body.includes(metricLine('big', 1, 2)));
      assert.ok(body.includes('"model_id":"m-1"'));
      assert.ok(body.includes(metricLine('extra', 3, 0.25)));
      assert.ok(body.includes(metricLine('frac', 0, 1, '1000.5')));
      assert.deepEqual(seriesOf(out.bytes, withPointsFile(out, G1)), seriesOf(text));
    });

    it('splits a long series into lines of at most COMPACT_LINE_POINTS points, in order', () => {
      const n = COMPACT_LINE_POINTS * 2 + 5;
      let text = start('r');
      for (let i = 0; i < n; i++) text += metricLine('k', i, i * 0.5, 1000 + i);
      const out = compactJournal(Buffer.from(text), G1, 5);
      assert.equal(out.lines, 5);
      assert.deepEqual(
        [...out.batched.get('k')!].map((place) => place.count),
        [COMPACT_LINE_POINTS, COMPACT_LINE_POINTS, 5],
      );
      assert.deepEqual(seriesOf(out.bytes, withPointsFile(out, G1)), seriesOf(text));
    });
  });

  describe('in the store', () => {
    let dir: string;
    let logs: string[];

    beforeEach(async () => {
      dir = join(await mkdtemp(join(tmpdir(), 'runlog-compact-')), '.runlog');
      logs = [];
    });
    afterEach(async () => {
      await rm(join(dir, '..'), { recursive: true, force: true });
    });

    const open = (writer = true): Promise<RunStore> =>
      RunStore.open({ dir, writer, version: 'test', log: (m) => logs.push(m) });
    const journalPath = (runId: string): string => join(dir, 'runs', runId, 'events.jsonl');
    async function journal(runId: string, text: string): Promise<void> {
      await mkdir(join(dir, 'runs', runId), { recursive: true });
      await appendFile(journalPath(runId), text);
    }

    const store2series = (store: RunStore): { steps: number[]; values: number[] } => {
      const s = store.query('series', 'r1', 'loss');
      return { steps: [...s.steps], values: [...s.values] };
    };

    /**
     * A run compacted and saved, then its database deleted and rebuilt from the journals and saved
     * (its chunks hold the points again): the rebuilt writer, and what `read` gave before.
     */
    async function rebuiltAfterCompaction<T>(read: (store: RunStore) => T): Promise<{ store: RunStore; expected: T }> {
      await journal('r1', typicalJournal('r1', 5000));
      const first = await open();
      const expected = read(first);
      assert.ok(first.compactNext({ quietMs: 0 })?.outcome.compacted);
      await first.snapshot();
      first.close();
      await rm(join(dir, DB_FILE));
      const store = await open();
      await store.snapshot();
      return { store, expected };
    }

    /**
     * A second window on the store while `dir`'s writer (this test's RunStore) holds it: the lock
     * taken as the writer's, a reader StoreService, and what it logs.
     */
    async function readerWindow(): Promise<{ lock: StoreLock; reader: StoreService; messages: string[] }> {
      const lock = await StoreLock.tryAcquire(dir);
      assert.ok(lock);
      const messages: string[] = [];
      const reader = await StoreService.start(
        { dir, version: 'test', pollMs: 600_000, compactMs: 0 },
        { changed: () => undefined, log: (_level, message) => messages.push(message) },
      );
      return { lock, reader, messages };
    }

    /** What a reader gets of a run: details, params, tags and every series' points to the bit. */
    function record(store: RunStore, runId: string): unknown {
      const run = store.query('getRun', runId);
      const keys = (new Map(store.query('metricSummaries', [runId])).get(runId) ?? []).map((m) => m.key).sort();
      return {
        status: run?.status,
        params: run?.params,
        tags: run?.tags,
        rejected: run?.rejected,
        series: keys.map((key) => {
          const s = store.query('series', runId, key);
          // And a zoomed-out chart's buckets (block summaries) and a zoomed-in one's (points).
          const wide = store.query('buckets', runId, key, 7);
          const narrow = store.query('buckets', runId, key, 50, 'step', { from: 40, to: 2100 });
          return [
            key,
            [...s.steps],
            [...s.times],
            Buffer.from(s.values.buffer, s.values.byteOffset, s.values.byteLength).toString('hex'),
            JSON.stringify(wide, (_k, v: unknown) =>
              ArrayBuffer.isView(v) ? [...(v as Float64Array)].map(String) : v,
            ),
            JSON.stringify(narrow, (_k, v: unknown) =>
              ArrayBuffer.isView(v) ? [...(v as Float64Array)].map(String) : v,
            ),
          ];
        }),
      };
    }

    it('compacts a sealed run: smaller journal, the same record for the store, a rebuild and a reader', async () => {
      await journal('r1', typicalJournal('r1', 3000));
      const store = await open();
      const before = record(store, 'r1');
      const size = (await stat(journalPath('r1'))).size;
      const chunkBytes = (): number =>
        readdirSync(join(dir, 'chunks')).reduce((sum, name) => sum + statSync(join(dir, 'chunks', name)).size, 0);
      const chunksBefore = chunkBytes();
      const turn = store.compactNext({ quietMs: 0 });
      assert.equal(turn?.runId, 'r1');
      assert.ok(turn?.outcome.compacted, JSON.stringify(turn?.outcome));
      const after = (await stat(journalPath('r1'))).size;
      assert.ok(after < size / 4, `${after} bytes, from ${size}`);
      assert.deepEqual(record(store, 'r1'), before);
      // Its full chunks' points are its journal's batched lines now: the chunk file keeps their
      // summaries (the old file goes with the next snapshot, which no longer names it).
      await store.snapshot();
      assert.ok(chunkBytes() < chunksBefore / 4, `${chunkBytes()} bytes of chunk files, from ${chunksBefore}`);
      assert.equal(store.compactNext({ quietMs: 0 }), undefined, 'nothing left to compact');
      // The writer's own next read finds nothing new; a tag appended later is read.
      assert.deepEqual((await store.syncJournals()).changedRuns, []);
      await appendFile(journalPath('r1'), line({ t: 'tag', ts: 5, key: 'note', value: 'later' }));
      assert.deepEqual((await store.syncJournals()).changedRuns, ['r1']);
      const withTag = record(store, 'r1') as { tags: Record<string, string> };
      assert.equal(withTag.tags['note'], 'later');
      await store.snapshot();
      store.close();
      // Reopened from its snapshot, rebuilt without it, and read by a reader: the same record.
      const reopened = await open();
      assert.deepEqual(record(reopened, 'r1'), withTag);
      reopened.close();
      await rm(join(dir, DB_FILE));
      const rebuilt = await open();
      assert.deepEqual(record(rebuilt, 'r1'), withTag);
      // Rebuilt, its chunk file holds the points again, until the writer points the chunks at the journal.
      assert.ok(chunkBytes() > chunksBefore / 2);
      assert.deepEqual(rebuilt.compactNext({ quietMs: 0 })?.outcome, { compacted: false, reason: ADOPTED });
      await rebuilt.snapshot();
      assert.ok(chunkBytes() < chunksBefore / 4, `${chunkBytes()} bytes of chunk files, from ${chunksBefore}`);
      assert.deepEqual(record(rebuilt, 'r1'), withTag);
      assert.equal(rebuilt.compactNext({ quietMs: 0 }), undefined, 'looked at once');
      rebuilt.close();
      const reader = await open(false);
      assert.deepEqual(record(reader, 'r1'), withTag);
      reader.close();
      assert.deepEqual(logs, []);
    });

    it('reads a run again when its journal was compacted after the database read part of it', async () => {
      // A snapshot of a run half written: its offset falls inside what the compacted journal holds.
      await journal('r1', start('r1') + line({ t: 'param', ts: 2, key: 'a', value: '1' }));
      const first = await open();
      await first.snapshot();
      first.close();
      const stale = await readFile(join(dir, DB_FILE));
      await appendFile(journalPath('r1'), typicalJournal('r1', 500).slice(start('r1').length));
      const writer = await open();
      const expected = record(writer, 'r1');
      assert.ok(writer.compactNext({ quietMs: 0 })?.outcome.compacted);
      writer.close();
      // A kill before the next snapshot: the database on disk is the stale one.
      await writeFile(join(dir, DB_FILE), stale);
      const reopened = await open();
      assert.deepEqual(record(reopened, 'r1'), expected);
      assert.ok(
        logs.some((m) => m.includes('rewritten (compacted)')),
        logs.join('\n'),
      );
      reopened.close();
    });

    it('loses nothing when killed after writing the new file, or after the rename, before the database knew', async () => {
      for (const step of ['written', 'renamed'] as const) {
        await rm(join(dir, '..'), { recursive: true, force: true });
        await journal('r1', typicalJournal('r1', 800));
        const store = await open();
        const expected = record(store, 'r1');
        await store.snapshot();
        const size = (await stat(journalPath('r1'))).size;
        // A kill at that step leaves the files as they are then: a copy of the store taken there.
        const killed = join(dir, '..', `killed-${step}`, '.runlog');
        const turn = store.compactNext({
          quietMs: 0,
          after: (at) => {
            if (at === step) cpSync(dir, killed, { recursive: true });
          },
        });
        assert.ok(turn?.outcome.compacted);
        store.close();
        const copy = await RunStore.open({ dir: killed, writer: true, version: 'test', log: (m) => logs.push(m) });
        assert.deepEqual(record(copy, 'r1'), expected, step);
        const copied = (await stat(join(killed, 'runs', 'r1', 'events.jsonl'))).size;
        const pointsFiles = (): string[] =>
          readdirSync(join(killed, 'runs', 'r1')).filter((name) => name.startsWith('points.'));
        // The points file was in place before the new journal was written: it stays with the journal naming it.
        assert.equal(pointsFiles().length, 1);
        if (step === 'written') {
          assert.equal(copied, size, 'the journal is the old one');
          // The next compaction removes the points file no journal names and writes its own.
          const stray = pointsFiles()[0];
          assert.ok(copy.compactNext({ quietMs: 0 })?.outcome.compacted);
          assert.equal(pointsFiles().length, 1);
          assert.notEqual(pointsFiles()[0], stray);
          assert.deepEqual(record(copy, 'r1'), expected, 'compacted after the kill');
        } else assert.ok(copied < size / 4, 'the journal is the new one');
        copy.close();
      }
    });

    it('keeps the chunk file a saved database names until a snapshot without it is saved', async () => {
      // Rebuilt from the journals, saved, then its chunks pointed at the journal again: the chunk
      // file is replaced, and the saved database (same journal generation) still names the old one.
      const { store, expected } = await rebuiltAfterCompaction((first) => record(first, 'r1'));
      const before = readdirSync(join(dir, 'chunks'));
      assert.deepEqual(store.compactNext({ quietMs: 0 })?.outcome, { compacted: false, reason: ADOPTED });
      // Killed before the next snapshot: a reader (a second window) opens what is on disk.
      const reader = await open(false);
      assert.deepEqual(record(reader, 'r1'), expected);
      reader.close();
      await store.snapshot();
      assert.ok(
        before.every((name) => !readdirSync(join(dir, 'chunks')).includes(name)),
        'gone once unnamed',
      );
      store.close();
      const after = await open(false);
      assert.deepEqual(record(after, 'r1'), expected);
      after.close();
    });

    it('a second window reads a run again when the writer replaced the chunk file its database names', async () => {
      // A rebuilt database, saved while the chunks hold the points; a reader window opens it.
      const { store: writer, expected } = await rebuiltAfterCompaction(store2series);
      const { lock, reader, messages } = await readerWindow();
      try {
        assert.equal(reader.status().writer, false);
        // The writer points the chunks at the journal again and saves: the old file goes.
        assert.deepEqual(writer.compactNext({ quietMs: 0 })?.outcome, { compacted: false, reason: ADOPTED });
        await writer.snapshot();
        const series = await reader.call('series', 'r1', 'loss');
        assert.deepEqual([...series.steps], expected.steps);
        assert.deepEqual([...series.values], expected.values);
        assert.ok(
          messages.some((m) => m.includes('Reading run r1 again')),
          messages.join('\n'),
        );
      } finally {
        await reader.close();
        writer.close();
        await lock.release();
      }
    });

    it('leaves alone runs that are not sealed, were pushed, or are written to', async () => {
      await journal('running', start('running') + metricLine('k', 0, 1).repeat(200));
      // Ended, but its process (this one) is alive.
      await journal(
        'alive',
        line({
          t: 'run_start',
          ts: 1,
          run_id: 'alive',
          name: 'a',
          experiment: 'e',
          pid: process.pid,
          host: hostname(),
        }) +
          Array.from({ length: 200 }, (_, i) => metricLine('k', i, i)).join('') +
          end,
      );
      await journal('pushed', typicalJournal('pushed', 200));
      await journal('fresh', typicalJournal('fresh', 200));
      await mkdir(join(dir, 'sync', 'abc'), { recursive: true });
      await writeFile(join(dir, 'sync', 'abc', 'server.json'), '{"uri":"http://x"}\n');
      await writeFile(
        join(dir, 'sync', 'abc', 'pushed.jsonl'),
        '{"run":"pushed","remote":"R","offset":0,"done":false}\n',
      );
      const store = await open();
      const sizes = await Promise.all(['running', 'alive', 'pushed', 'fresh'].map((r) => stat(journalPath(r))));
      // 'fresh' was written just now: not quiet for a minute yet.
      assert.equal(store.compactNext({ quietMs: 60_000 })?.outcome.compacted, false);
      // A push or pull under way (a live lock in a sync folder): nothing is compacted meanwhile.
      const lock = { pid: process.pid, host: hostname(), heartbeat: Date.now(), token: 't' };
      await writeFile(join(dir, 'sync', 'abc', 'lock'), JSON.stringify(lock));
      assert.equal(store.compactNext({ quietMs: 0 }), undefined);
      await rm(join(dir, 'sync', 'abc', 'lock'));
      const skip = new Set<string>();
      const turns = [];
      for (let turn = store.compactNext({ quietMs: 0, skip }); turn; turn = store.compactNext({ quietMs: 0, skip })) {
        turns.push(turn);
      }
      assert.deepEqual(
        turns.map((t) => [t.runId, t.outcome.compacted]),
        [['fresh', true]],
      );
      const after = await Promise.all(['running', 'alive', 'pushed'].map((r) => stat(journalPath(r))));
      assert.deepEqual(
        after.map((s) => s.size),
        sizes.slice(0, 3).map((s) => s.size),
      );
      store.close();
      assert.deepEqual(await readdir(join(dir, 'tmp')).catch(() => []), []);
    });

    it('compacts in small pieces to the same journal as whole, a line longer than a piece included', async () => {
      const long = line({ t: 'tag', ts: 3, key: 'long', value: 'x'.repeat(20_000) });
      const text = typicalJournal('r1', 3000).replace(end, long + end);
      await journal('r1', text);
      const store = await open();
      const before = record(store, 'r1');
      let steps = 0;
      const now = Date.now() + 60_000;
      const turn = store.compactTurn({ quietMs: 0, now, pieceBytes: 4096 });
      let step = turn.next();
      for (; !step.done; step = turn.next()) steps++;
      assert.ok(step.value?.outcome.compacted, JSON.stringify(step.value?.outcome));
      // Two passes over ~200 KB in pieces of 4 KB.
      assert.ok(steps > 80, `${steps} steps`);
      assert.deepEqual(record(store, 'r1'), before);
      // Byte for byte what the rewrite of the whole journal at once makes, with this generation.
      const generation = generationOf(await readFile(journalPath('r1')));
      const whole = compactJournal(Buffer.from(text), generation, now);
      assert.ok((await readFile(journalPath('r1'))).equals(whole.bytes));
      assert.ok((await readFile(join(dir, 'runs', 'r1', pointsFileName(generation)))).equals(whole.pointsFile));
      store.close();
      assert.deepEqual(await readdir(join(dir, 'tmp')), []);
    });

    it('lets the store work between pieces, and changes nothing when the run was read again meanwhile', async () => {
      await journal('r1', typicalJournal('r1', 3000));
      await journal('r2', typicalJournal('r2', 100));
      const store = await open();
      const before = await readFile(journalPath('r1'));
      const turn = store.compactTurn({ quietMs: 0, pieceBytes: 4096 });
      assert.equal(turn.next().done, false);
      // Between pieces: queries, and journal reads of other runs and of this one (a tag appended).
      assert.equal(store.query('series', 'r1', 'loss').values.length, 3000);
      await appendFile(journalPath('r2'), line({ t: 'tag', ts: 5, key: 'n', value: '1' }));
      await appendFile(journalPath('r1'), line({ t: 'tag', ts: 5, key: 'n', value: '1' }));
      assert.deepEqual((await store.syncJournals()).changedRuns.sort(), ['r1', 'r2']);
      let step = turn.next();
      while (!step.done) step = turn.next();
      assert.deepEqual(step.value?.outcome, {
        compacted: false,
        reason: 'the run was read again while it was compacted',
      });
      const after = await readFile(journalPath('r1'));
      assert.ok(after.subarray(0, before.length).equals(before), 'the journal as it was');
      assert.deepEqual(readdirSync(join(dir, 'runs', 'r1')), ['events.jsonl'], 'no points file');
      assert.deepEqual(await readdir(join(dir, 'tmp')), [], 'no temporary file');
      // Stopped early (the window closing), it leaves nothing behind either.
      const stopped = store.compactTurn({ quietMs: 0, pieceBytes: 4096, skip: new Set(['r1']) });
      assert.equal(stopped.next().done, false);
      stopped.return(undefined);
      assert.deepEqual(await readdir(join(dir, 'tmp')), []);
      assert.deepEqual(readdirSync(join(dir, 'runs', 'r2')), ['events.jsonl']);
      store.close();
    });

    it('does not compact again a journal that would not shrink', async () => {
      await journal('r1', start('r1') + metricBatchLine('k', [0, 1, 2], [1, 2, 3], [1, 2, 3]) + end);
      const store = await open();
      assert.equal(store.compactNext({ quietMs: 0 })?.outcome.compacted, false);
      assert.equal(store.compactNext({ quietMs: 0 }), undefined);
      store.close();
    });

    it('copies to the new journal the lines a writer puts in the old one before its moved line', async () => {
      await journal('r1', typicalJournal('r1', 500));
      const store = await open();
      // A writer that opened the journal (O_APPEND) before the rename, and writes right after it.
      const late = openSync(journalPath('r1'), 'a');
      const tag = line({ t: 'tag', ts: 7, key: 'at-rename', value: 'late' });
      try {
        const turn = store.compactNext({
          quietMs: 0,
          after: (step) => {
            if (step === 'renamed') writeSync(late, tag);
          },
        });
        assert.ok(turn?.outcome.compacted);
        assert.equal(turn.outcome.carried, tag.length);
      } finally {
        closeSync(late);
      }
      assert.deepEqual((await store.syncJournals()).changedRuns, ['r1']);
      assert.equal((record(store, 'r1') as { tags: Record<string, string> }).tags['at-rename'], 'late');
      const text = await readFile(journalPath('r1'), 'utf8');
      assert.equal(text.split(tag).length, 2, 'once');
      assert.deepEqual(await readdir(join(dir, 'compacting')), [], 'the old journal is let go');
      store.close();
    });

    /** The run resumed after its compaction: `points` more losses in batched lines, then it ends again. */
    const resumed = (points: number): string => {
      let text = line({ t: 'status', ts: 100_000, status: 'RUNNING' });
      for (let first = 5000; first < 5000 + points; first += 1000) {
        const steps = Array.from({ length: Math.min(1000, 5000 + points - first) }, (_, i) => first + i);
        text += metricBatchLine(
          'loss',
          steps,
          steps.map((s) => 100_000 + s),
          steps.map((s) => 1 / s),
        );
      }
      return text + line({ t: 'run_end', ts: 200_000, status: 'FINISHED', exit_code: 0 });
    };
    const pointsFiles = (runId: string): string[] =>
      readdirSync(join(dir, 'runs', runId)).filter((name) => name.startsWith('points.'));

    it('compacts a run again once it has grown: its points file replaced, every point kept', async () => {
      await journal('r1', typicalJournal('r1', 3000));
      const store = await open();
      assert.ok(store.compactNext({ quietMs: 0 })?.outcome.compacted);
      const [first] = pointsFiles('r1');
      // A tag is not worth a new compaction: looked at once, left as it is.
      await appendFile(journalPath('r1'), line({ t: 'tag', ts: 5, key: 'note', value: 'x' }));
      await store.syncJournals();
      const tagged = await readFile(journalPath('r1'));
      assert.deepEqual(store.compactNext({ quietMs: 0 }), {
        runId: 'r1',
        outcome: { compacted: false, reason: ADOPTED },
      });
      assert.equal(store.compactNext({ quietMs: 0 }), undefined);
      assert.ok((await readFile(journalPath('r1'))).equals(tagged));
      // Resumed: 6000 more points, more than RECOMPACT_POINTS outside the points file.
      await appendFile(journalPath('r1'), resumed(6000));
      await store.syncJournals();
      const grown = record(store, 'r1');
      const turn = store.compactNext({ quietMs: 0 });
      assert.equal(turn?.runId, 'r1');
      assert.ok(turn.outcome.compacted, JSON.stringify(turn.outcome));
      assert.deepEqual(record(store, 'r1'), grown);
      const [second] = pointsFiles('r1');
      assert.deepEqual(pointsFiles('r1'), [second], 'one points file');
      assert.notEqual(second, first, 'the first one is gone');
      const text = await readFile(journalPath('r1'), 'utf8');
      assert.ok(!text.includes(first ?? '-'), 'no line names the first one');
      assert.equal(text.split('"t":"metrics"').length - 1, Math.ceil((3000 + 6000) / COMPACT_LINE_POINTS) + 2);
      await store.snapshot();
      store.close();
      // Rebuilt from the journal and its points file alone: the same record.
      await rm(join(dir, DB_FILE));
      const rebuilt = await open();
      assert.deepEqual(record(rebuilt, 'r1'), grown);
      rebuilt.close();
      assert.deepEqual(logs, []);
    });

    it('a second window whose chunks point at the journal reads the run again when it is compacted again', async () => {
      await journal('r1', typicalJournal('r1', 3000));
      const writer = await open();
      assert.ok(writer.compactNext({ quietMs: 0 })?.outcome.compacted);
      await appendFile(journalPath('r1'), resumed(6000));
      await writer.syncJournals();
      const expected = store2series(writer);
      await writer.snapshot();
      // A reader window opens the saved database: its chunks point at the compacted journal's lines.
      const { lock, reader, messages } = await readerWindow();
      try {
        assert.equal(reader.status().writer, false);
        assert.ok(writer.compactNext({ quietMs: 0 })?.outcome.compacted);
        const series = await reader.call('series', 'r1', 'loss');
        assert.deepEqual([...series.steps], expected.steps);
        assert.deepEqual([...series.values], expected.values);
        assert.ok(
          messages.some((m) => m.includes('the journal was compacted again') && m.includes('Reading run r1 again')),
          messages.join('\n'),
        );
      } finally {
        await reader.close();
        writer.close();
        await lock.release();
      }
    });

    it('the store service compacts sealed runs by itself, between journal reads', async () => {
      await journal('r1', typicalJournal('r1', 1000));
      const reader = await open(false);
      const expected = record(reader, 'r1');
      reader.close();
      const messages: string[] = [];
      const service = await StoreService.start(
        { dir, version: 'test', compactMs: 50, compactQuietMs: 0 },
        { changed: () => undefined, log: (_level, message) => messages.push(message) },
      );
      try {
        for (let i = 0; i < 100 && !(await readFile(journalPath('r1'), 'utf8')).startsWith('{"t":"compacted"'); i++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.ok((await readFile(journalPath('r1'), 'utf8')).startsWith('{"t":"compacted"'), messages.join('\n'));
      } finally {
        await service.close();
      }
      assert.ok(
        messages.some((m) => m.startsWith('Compacted 1 finished run journal')),
        messages.join('\n'),
      );
      const reopened = await open(false);
      assert.deepEqual(record(reopened, 'r1'), expected);
      reopened.close();
    });

    it('a reader sees the compacted journal and reads again what it had', async () => {
      await journal('r1', typicalJournal('r1', 600));
      const reader = await open(false);
      const expected = record(reader, 'r1');
      const writer = await open();
      assert.ok(writer.compactNext({ quietMs: 0 })?.outcome.compacted);
      await appendFile(journalPath('r1'), line({ t: 'tag', ts: 9, key: 'x', value: 'y' }));
      assert.deepEqual((await reader.syncJournals()).changedRuns, ['r1']);
      const got = record(reader, 'r1') as { tags: Record<string, string> };
      assert.equal(got.tags['x'], 'y');
      delete got.tags['x'];
      assert.deepEqual(got, expected);
      writer.close();
      reader.close();
    });
  });
});
