import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeChunk } from '../../../src/store/chunkCodec';
import { parseJournalBuffer } from '../../../src/store/journal';
import { readLine } from '../../../src/sync/journalLines';
import { pointsFileName, pointsLine, readBatchedLine } from '../../../src/store/pointsFile';
import { RunStore } from '../../../src/store/runStore';

const REPO = join(__dirname, '../../../..');
const GENERATION = '0123456789abcdef';
const FILE = pointsFileName(GENERATION);
const line = (event: object): string => `${JSON.stringify(event)}\n`;

/** Doubles whose bits a reader must keep: -0, a NaN with a payload, the infinities, the smallest subnormal. */
function oddValues(): Float64Array {
  const values = new Float64Array([-0, 0, Infinity, -Infinity, 5e-324, 0.1]);
  new DataView(values.buffer).setBigUint64(8, 0x7ff8_0000_dead_beefn, true);
  return values;
}

const hex = (values: Float64Array): string =>
  Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('hex');

describe('points files (journal format 5)', () => {
  let folder: string;
  let chunk: Uint8Array;
  let fields: Record<string, unknown>;
  const values = oddValues();
  const steps = new Float64Array([0, 1, 2, 10, 11, 9_007_199_254_740_991]);
  const times = new Float64Array([1_732_600_000_000, 1_732_600_000_013, 1_732_600_000_020, 5, 6, 7]);

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'runlog-points-'));
    chunk = encodeChunk({ steps, times, values });
    // A file with another chunk before this one: `at` is where this one starts.
    await writeFile(join(folder, FILE), Buffer.concat([Buffer.alloc(13, 7), chunk]));
    fields = JSON.parse(pointsLine('loss', FILE, 13, chunk, values.length)) as Record<string, unknown>;
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('reads a chunk back from its line: every step, time and value bit', () => {
    for (const reuse of [false, true]) {
      const read = readBatchedLine(fields, folder, reuse);
      assert.ok(read.ok, read.ok ? '' : read.reason);
      assert.equal(read.points.key, 'loss');
      assert.deepEqual([...read.points.steps], [...steps]);
      assert.deepEqual([...read.points.times], [...times]);
      assert.equal(hex(read.points.values), hex(values));
    }
  });

  it('refuses a line whose bytes were changed, cut, removed or are not where it says, with the reason', async () => {
    const refused = (f: Record<string, unknown>, where = folder): string => {
      const read = readBatchedLine(f, where);
      assert.equal(read.ok, false);
      return read.ok ? '' : read.reason;
    };
    assert.match(refused({ ...fields, at: 12 }), /do not match the line's sha256/);
    const bytes = await readFile(join(folder, FILE));
    bytes[13 + 20] ^= 1;
    await writeFile(join(folder, FILE), bytes);
    assert.match(refused(fields), /points at 13 of points\.0123456789abcdef\.bin do not match the line's sha256/);
    await writeFile(join(folder, FILE), bytes.subarray(0, bytes.length - 1));
    assert.match(refused(fields), /ends before the \d+ bytes at 13/);
    await rm(join(folder, FILE));
    assert.match(refused(fields), /points\.0123456789abcdef\.bin is missing/);
    const unplaced = readBatchedLine(fields, undefined);
    assert.match(unplaced.ok ? '' : unplaced.reason, /which this reader cannot open/);
  });

  it('never opens another file than a points file of the run folder, nor reads more than a chunk', async () => {
    const refused = (f: Record<string, unknown>): string => {
      const read = readBatchedLine(f, folder);
      assert.equal(read.ok, false);
      return read.ok ? '' : read.reason;
    };
    for (const file of ['../events.jsonl', 'events.jsonl', '/etc/passwd', 'points.0123.bin', `${FILE}/x`, 7]) {
      assert.match(refused({ ...fields, file }), /"file" must name a points file/);
    }
    assert.match(refused({ ...fields, count: 0 }), /"count" must be an integer/);
    assert.match(refused({ ...fields, count: 2 ** 21 }), /"count" must be an integer/);
    assert.match(refused({ ...fields, bytes: 1e12 }), /"at" and "bytes" must place/);
    assert.match(refused({ ...fields, at: -1 }), /"at" and "bytes" must place/);
    assert.match(refused({ ...fields, sha256: 'abc' }), /"sha256" must be 64 hex digits/);
    assert.match(refused({ ...fields, key: '' }), /"key" must be a non-empty string/);
    // A points file that is a symbolic link is not followed.
    await writeFile(join(folder, 'elsewhere'), await readFile(join(folder, FILE)));
    await rm(join(folder, FILE));
    await symlink(join(folder, 'elsewhere'), join(folder, FILE));
    assert.match(refused(fields), /cannot be read/);
  });

  it("reaches every reader: the store's, push's, and a refusal counts as a refused line", () => {
    const text =
      line({ t: 'run_start', ts: 1, run_id: 'r1', name: 'n', experiment: 'e' }) + JSON.stringify(fields) + '\n';
    const parsed = parseJournalBuffer(Buffer.from(text), 0, 1, folder);
    assert.deepEqual(parsed.malformed, []);
    const series = parsed.metrics.series.get('loss');
    assert.equal(series?.length, values.length);
    assert.equal(hex(series.values.subarray(0, values.length)), hex(values));
    const pushed = readLine(JSON.stringify(fields), 100, folder);
    assert.equal(pushed.kind, 'metrics');
    assert.deepEqual(pushed.kind === 'metrics' ? pushed.metrics.map((m) => [m.step, m.ts, m.valueText]) : [], [
      ['0', '1732600000000', '-0.0'],
      ['1', '1732600000013', '"NaN"'],
      ['2', '1732600000020', '"Infinity"'],
      ['10', '5', '"-Infinity"'],
      ['11', '6', '5e-324'],
      ['9007199254740991', '7', '0.1'],
    ]);
    assert.equal(readLine(JSON.stringify({ ...fields, sha256: '0'.repeat(64) }), 100, folder).kind, 'skipped');
    // Without its file: the line is reported with its number, none of its points taken.
    const orphan = parseJournalBuffer(Buffer.from(text), 0, 1, join(folder, 'nowhere'));
    assert.deepEqual(
      orphan.malformed.map((m) => m.line),
      [2],
    );
    assert.equal(orphan.metrics.count, 0);
  });

  it('the Python client reads the same points from a points file, and refuses a damaged one', () => {
    const script = `
import json, sys
from runlog._journal import decode_points
fields, folder = json.load(sys.stdin)
import struct
def bits(values): return struct.pack("<%dd" % len(values), *values).hex()
ok = decode_points(fields, folder)
bad = decode_points(dict(fields, at=fields["at"] - 1), folder)
none = decode_points(fields, None)
print(json.dumps([ok[0], ok[1], ok[2], bits(ok[3]), bad, none]))
`;
    const result = spawnSync('/usr/bin/python3', ['-c', script], {
      input: JSON.stringify([fields, folder]),
      encoding: 'utf8',
      env: { ...process.env, PYTHONPATH: join(REPO, 'python') },
    });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), ['loss', [...steps], [...times], hex(values), null, null]);
  });

  describe('in a store', () => {
    let dir: string;
    beforeEach(async () => {
      dir = join(await mkdtemp(join(tmpdir(), 'runlog-points-store-')), '.runlog');
    });
    afterEach(async () => {
      await rm(join(dir, '..'), { recursive: true, force: true });
    });

    async function compactedRun(points: number): Promise<RunStore> {
      await mkdir(join(dir, 'runs', 'r1'), { recursive: true });
      let text = line({ t: 'run_start', ts: 1, run_id: 'r1', name: 'n', experiment: 'e' });
      for (let i = 0; i < points; i++)
        text += `{"t":"metric","ts":${1000 + i * 3},"key":"loss","value":${1 / (i + 1)},"step":${i}}\n`;
      await appendFile(
        join(dir, 'runs', 'r1', 'events.jsonl'),
        text + line({ t: 'run_end', ts: 9e3, status: 'FINISHED' }),
      );
      const store = await RunStore.open({ dir, writer: true, version: 'test' });
      assert.ok(store.compactNext({ quietMs: 0 })?.outcome.compacted);
      await store.snapshot();
      return store;
    }

    it('keeps a compacted run in its journal and one points file, ~10 bytes a point', async () => {
      const store = await compactedRun(10_000);
      store.close();
      const names = (await readdir(join(dir, 'runs', 'r1'))).sort();
      assert.equal(names.length, 2, names.join());
      const [journalName, pointsName] = names;
      assert.equal(journalName, 'events.jsonl');
      assert.match(pointsName ?? '', /^points\.[0-9a-f]{16}\.bin$/);
      const journal = await readFile(join(dir, 'runs', 'r1', 'events.jsonl'), 'utf8');
      assert.ok(journal.includes(`"generation":"${pointsName?.slice(7, 23)}"`), 'named by the generation');
      const pointsBytes = (await readFile(join(dir, 'runs', 'r1', pointsName ?? ''))).length;
      assert.ok(pointsBytes / 10_000 < 11, `${pointsBytes / 10_000} bytes a point`);
      assert.ok(journal.length / 10_000 < 0.6, `the journal: ${journal.length / 10_000} bytes a point`);
    });

    it('a damaged points file is reported when charts read it, and its lines refused when read again', async () => {
      const store = await compactedRun(5000);
      const file = (await readdir(join(dir, 'runs', 'r1'))).find((n) => n.startsWith('points.')) ?? '';
      const bytes = await readFile(join(dir, 'runs', 'r1', file));
      bytes[100] ^= 0xff;
      await writeFile(join(dir, 'runs', 'r1', file), bytes);
      assert.throws(
        () => store.query('series', 'r1', 'loss'),
        /Run r1's points cannot be read: .*do not match the line's sha256/,
      );
      store.close();
      await rm(join(dir, 'runlog.db'));
      const rebuilt = await RunStore.open({ dir, writer: false, version: 'test' });
      const rejected = rebuilt.query('getRun', 'r1')?.rejected ?? [];
      assert.equal(rejected.length, 1, 'the chunk whose bytes changed');
      assert.match(rejected[0]?.reason ?? '', /do not match the line's sha256/);
      // The other chunks' points are read.
      assert.equal(rebuilt.query('series', 'r1', 'loss').values.length, 5000 - 2048);
      rebuilt.close();
    });
  });
});
