// SIGKILL at random moments of compaction: a writer (compactChild.ts) opens a store of finished
// runs, snapshots, compacts their journals one after another and appends tags now and then; it is
// killed anywhere in that — while reading, between the new file and the rename, after the rename
// before the database knew, mid-snapshot. After every kill each journal must still hold every
// metric point bit for bit (read here without the store's code), every tag that was appended, and
// the store, opened as a reader on what the kill left (and now and then rebuilt without its
// database), must answer every point, param and tag. A second process appends tags all along; each
// it acknowledged is in its run's journal exactly once once the next writer has opened the store.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Outcome } from './checks';
import { miss, openStore, outcome, remove, scratch, sleep } from './checks';
import { metricBatchLine } from '../../src/store/metricBatchLine';
import { RunStore } from '../../src/store/runStore';

const CHILD = join(__dirname, 'compactChild.js');
const APPENDER = join(__dirname, 'appendChild.js');
const RUNS = 6;
/** The lines of each journal an early database has read (withEarlySnapshot): its start and a few hundred points. */
const HEAD_LINES = 300;

/** key -> steps, times and the values' bytes (hex), in journal order. */
type Points = Map<string, { steps: number[]; times: number[]; values: string[] }>;

function bits(value: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value);
  return b.toString('hex');
}

const ODD = [-0, Number.NaN, Infinity, -Infinity, 5e-324, -1.7976931348623157e308];

/** Writes RUNS finished runs of a metric line per point (what compaction shrinks); returns their points. */
function makeStore(dir: string, seed: number): Map<string, Points> {
  const all = new Map<string, Points>();
  for (let r = 0; r < RUNS; r++) {
    const runId = `run${r}`;
    const folder = join(dir, 'runs', runId);
    mkdirSync(folder, { recursive: true });
    const points: Points = new Map();
    const add = (key: string, step: number, ts: number, value: number): string => {
      const s = points.get(key) ?? { steps: [], times: [], values: [] };
      points.set(key, s);
      s.steps.push(step);
      s.times.push(ts);
      s.values.push(bits(value));
      const wire = Number.isNaN(value)
        ? '"NaN"'
        : value === Infinity
          ? '"Infinity"'
          : value === -Infinity
            ? '"-Infinity"'
            : Object.is(value, -0)
              ? '-0.0'
              : String(value);
      return `{"t":"metric","ts":${ts},"key":"${key}","value":${wire},"step":${step}}\n`;
    };
    const lines: string[] = [
      `${JSON.stringify({ t: 'run_start', ts: 1, run_id: runId, name: runId, experiment: 'faults' })}\n`,
      `${JSON.stringify({ t: 'param', ts: 2, key: 'lr', value: `0.${seed}${r}` })}\n`,
      `${JSON.stringify({ t: 'tag', ts: 3, key: 'phase', value: 'train' })}\n`,
    ];
    const n = 3000 + r * 5000 + (seed % 7) * 300;
    for (let i = 0; i < n; i++) {
      lines.push(add('loss', i, 1_700_000_000_000 + i * 13, Math.sin(i + seed) / (i + 1)));
      if (i % 4 === 0) lines.push(add('acc', i * 2, 1_700_000_000_000 + i * 13, i / n));
    }
    ODD.forEach((value, i) => lines.push(add('odd', i, 5 + i, value)));
    lines.push(`${JSON.stringify({ t: 'run_end', ts: 9, status: 'FINISHED', exit_code: 0 })}\n`);
    writeFileSync(join(folder, 'events.jsonl'), lines.join(''));
    all.set(runId, points);
  }
  return all;
}

/**
 * Half the fresh stores have a database saved when their journals held only their first lines: a
 * kill after a compaction and before the next snapshot leaves a database whose offsets fall inside
 * the compacted journal, which it must not read there.
 */
async function withEarlySnapshot(dir: string, seed: number): Promise<Map<string, Points>> {
  const full = join(dir, '..', 'full');
  rmSync(full, { recursive: true, force: true });
  const points = makeStore(full, seed);
  for (let r = 0; r < RUNS; r++) {
    const text = readFileSync(join(full, 'runs', `run${r}`, 'events.jsonl'), 'utf8');
    const head = text.split('\n').slice(0, HEAD_LINES).join('\n') + '\n';
    mkdirSync(join(dir, 'runs', `run${r}`), { recursive: true });
    writeFileSync(join(dir, 'runs', `run${r}`, 'events.jsonl'), head);
  }
  const early = await RunStore.open({ dir, writer: true, version: 'faults' });
  await early.snapshot();
  early.close();
  for (let r = 0; r < RUNS; r++) {
    const text = readFileSync(join(full, 'runs', `run${r}`, 'events.jsonl'), 'utf8');
    const head = text.split('\n').slice(0, HEAD_LINES).join('\n') + '\n';
    appendFileSync(join(dir, 'runs', `run${r}`, 'events.jsonl'), text.slice(head.length));
  }
  rmSync(full, { recursive: true, force: true });
  return points;
}

/** What a journal holds, read here without the store's reader: points, params, tags (the last value). */
function readJournal(file: string): { points: Points; params: Map<string, string>; tags: Map<string, string> } {
  const points: Points = new Map();
  const params = new Map<string, string>();
  const tags = new Map<string, string>();
  const text = readFileSync(file, 'utf8');
  for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
    if (!line) continue;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const key = String(e['key']);
    const s = points.get(key) ?? { steps: [], times: [], values: [] };
    if (e['t'] === 'metric') {
      points.set(key, s);
      s.steps.push(e['step'] as number);
      s.times.push(e['ts'] as number);
      const v = e['value'];
      s.values.push(
        bits(v === 'NaN' ? Number.NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : (v as number)),
      );
    } else if (e['t'] === 'metrics' && e['file'] !== undefined) {
      points.set(key, s);
      pointsFromFile(join(file, '..', e['file'] as string), e, s);
    } else if (e['t'] === 'metrics') {
      points.set(key, s);
      const ts = e['ts'] as number[];
      const steps = e['step'] as number[];
      const values = Buffer.from(e['value'] as string, 'base64');
      let t = 0;
      let st = 0;
      for (let i = 0; i < ts.length; i++) {
        t = i === 0 ? ts[i] : t + ts[i];
        st = i === 0 ? steps[i] : st + steps[i];
        s.times.push(t);
        s.steps.push(st);
        s.values.push(values.subarray(i * 8, i * 8 + 8).toString('hex'));
      }
    } else if (e['t'] === 'param' && !params.has(key)) params.set(key, String(e['value']));
    else if (e['t'] === 'tag') tags.set(key, String(e['value']));
  }
  return { points, params, tags };
}

/**
 * The points a compacted journal's line names in its points file (docs/JOURNAL.md, "Points files"),
 * decoded here by the format's text, not the store's code: the bytes at `at` must hash to `sha256`;
 * `count` doubles, then zigzag varint differences of the steps and of the times. A line whose bytes
 * do not check adds no point (and so counts as lost).
 */
function pointsFromFile(
  path: string,
  e: Record<string, unknown>,
  s: { steps: number[]; times: number[]; values: string[] },
): void {
  const at = e['at'] as number;
  const count = e['count'] as number;
  let blob: Buffer;
  try {
    blob = readFileSync(path).subarray(at, at + (e['bytes'] as number));
  } catch {
    return;
  }
  if (createHash('sha256').update(blob).digest('hex') !== e['sha256'] || blob[0] !== 0) return;
  let pos = 5 + 8 * count;
  const column = (): number[] => {
    const out: number[] = [];
    let previous = 0;
    for (let i = 0; i < count; i++) {
      let zigzag = 0;
      let scale = 1;
      let byte: number;
      do {
        byte = blob[pos++];
        zigzag += (byte & 0x7f) * scale;
        scale *= 128;
      } while (byte >= 0x80);
      previous += zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
      out.push(previous);
    }
    return out;
  };
  const steps = column();
  const times = column();
  for (let i = 0; i < count; i++) {
    s.steps.push(steps[i]);
    s.times.push(times[i]);
    s.values.push(blob.subarray(5 + i * 8, 13 + i * 8).toString('hex'));
  }
}

/** Appends to a finished run 5000 more losses in batched lines and a new end, and expects them. */
function resume(dir: string, runId: string, points: Points | undefined, seed: number): void {
  const loss = points?.get('loss');
  if (!loss) return;
  const first = (loss.steps[loss.steps.length - 1] ?? 0) + 1;
  let text = `${JSON.stringify({ t: 'status', ts: 10, status: 'RUNNING' })}\n`;
  for (let from = first; from < first + 5000; from += 1000) {
    const steps = Array.from({ length: 1000 }, (_, k) => from + k);
    const times = steps.map((step) => 1_800_000_000_000 + step * 7);
    const values = steps.map((step) => Math.cos(step + seed) / step);
    text += metricBatchLine('loss', steps, times, values);
    for (let k = 0; k < steps.length; k++) {
      loss.steps.push(steps[k]);
      loss.times.push(times[k]);
      loss.values.push(bits(values[k]));
    }
  }
  appendFileSync(
    join(dir, 'runs', runId, 'events.jsonl'),
    `${text}${JSON.stringify({ t: 'run_end', ts: 11, status: 'FINISHED', exit_code: 0 })}\n`,
  );
}

function samePoints(a: Points | undefined, b: Points): number {
  let lost = 0;
  for (const [key, s] of b) {
    const other = a?.get(key);
    if (!other) {
      lost += s.steps.length;
      continue;
    }
    for (let i = 0; i < s.steps.length; i++) {
      if (other.steps[i] !== s.steps[i] || other.times[i] !== s.times[i] || other.values[i] !== s.values[i]) lost++;
    }
    lost += Math.max(0, other.steps.length - s.steps.length);
  }
  return lost;
}

/** Kills the compacting writer `kills` times; nothing of any run may be lost. */
export async function killCompaction(kills: number, log: (line: string) => void = () => undefined): Promise<Outcome> {
  const result = outcome();
  const root = scratch('kill-compaction');
  const dir = join(root, '.runlog');
  let expected = new Map<string, Points>();
  let compacted = 0;
  let recompacted = 0;
  /** The runs of the store now that were resumed after they were written. */
  const resumed = new Set<string>();
  /** The appender's tags acknowledged since the store was fresh; how many were checked in all. */
  const acked = new Set<number>();
  let appendedTags = 0;
  try {
    for (let i = 0; i < kills; i++) {
      // A fresh store of uncompacted runs, but every third trial goes on from what the kill left.
      let early = false;
      if (i % 3 !== 2) {
        rmSync(dir, { recursive: true, force: true });
        early = i % 2 === 1;
        expected = early ? await withEarlySnapshot(dir, i + 1) : makeStore(dir, i + 1);
      }
      // Going on from what a kill left (the runs compacted, or some): two runs are resumed with
      // enough points to be compacted again, so kills land in recompactions too.
      if (i % 3 !== 2) resumed.clear();
      else {
        for (const runId of ['run0', 'run3']) {
          resume(dir, runId, expected.get(runId), i);
          resumed.add(runId);
        }
      }
      // On a store with an early database the writer saves none: a kill after a compaction leaves that one.
      if (i % 3 !== 2) acked.clear();
      const args = [CHILD, dir, String(i + 1), ...(early ? ['nosnap'] : [])];
      const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      // Another process appends tags to the runs all along (appendJournal, as the editor and the
      // endpoint do): each one it acknowledged must end up in its run's journal exactly once.
      const appender = spawn(process.execPath, [APPENDER, dir, String(RUNS), String((i + 1) * 1_000_000)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let heard = '';
      appender.stdout.on('data', (data: Buffer) => {
        heard += data.toString('utf8');
        const lines = heard.split('\n');
        heard = lines.pop() ?? '';
        for (const n of lines) if (n) acked.add(Number(n));
      });
      // Killed anywhere from opening to well after the last compaction, most often while compacting:
      // the child says when the store is open, and compacting its six runs takes ~0.3 s from there.
      const opened = new Promise<void>((resolve) => proc.stdout.once('data', () => resolve()));
      if (Math.random() < 0.2) await sleep(Math.random() * 600);
      else await Promise.race([opened.then(() => sleep(Math.random() * 500)), sleep(10_000)]);
      proc.kill('SIGKILL');
      appender.kill('SIGKILL');
      await Promise.all([proc, appender].map((p) => new Promise((resolve) => p.once('exit', resolve))));
      result.trials++;
      if (i % 5 === 4) rmSync(join(dir, 'runlog.db'), { force: true }); // rebuilt from the journals alone
      const store = await openStore(dir, result);
      for (const [runId, points] of expected) {
        const facts = readJournal(join(dir, 'runs', runId, 'events.jsonl'));
        const head = readFileSync(join(dir, 'runs', runId, 'events.jsonl'), 'utf8').slice(0, 512);
        if (head.startsWith('{"t":"compacted"')) {
          compacted++;
          // A resumed run whose every point, the resumed ones too, is in its points file now.
          const moved = Number(/"points":(\d+)/.exec(head)?.[1]);
          const total = [...points.values()].reduce((sum, s) => sum + s.steps.length, 0);
          if (resumed.has(runId) && moved === total) recompacted++;
        }
        miss(result, 'lost', samePoints(facts.points, points), `kill ${i + 1}: ${runId}'s journal lost points`);
        if (!store) continue;
        const stored: Points = new Map();
        for (const key of points.keys()) {
          try {
            const s = store.query('series', runId, key);
            stored.set(key, {
              steps: [...s.steps],
              times: [...s.times],
              values: [...s.values].map(bits),
            });
          } catch (error) {
            miss(result, 'corrupt', 1, `kill ${i + 1}: ${runId}/${key} could not be read: ${(error as Error).message}`);
          }
        }
        miss(result, 'lost', samePoints(stored, points), `kill ${i + 1}: the store lost points of ${runId}`);
        // A zoomed-out chart reads the chunks' block summaries (from the chunk file, rewritten by a
        // compaction): its buckets hold every point, and the loss series' extremes.
        for (const [key, s] of stored) {
          try {
            const b = store.query('buckets', runId, key, 7);
            const counted = [...b.count].reduce((sum, n) => sum + n, 0);
            const values = s.values
              .map((hex) => Buffer.from(hex, 'hex').readDoubleLE(0))
              .filter((v) => !Number.isNaN(v));
            const highest = Math.max(...[...b.max].filter((v) => !Number.isNaN(v)));
            const bad = counted !== s.steps.length || (values.length > 0 && highest !== Math.max(...values));
            miss(result, 'corrupt', bad ? 1 : 0, `kill ${i + 1}: ${runId}/${key}'s buckets do not match its points`);
          } catch (error) {
            miss(result, 'corrupt', 1, `kill ${i + 1}: ${runId}/${key}'s buckets: ${(error as Error).message}`);
          }
        }
        const run = store.query('getRun', runId);
        const params = run?.params ?? {};
        const tags = run?.tags ?? {};
        for (const [key, value] of facts.params) {
          miss(result, 'lost', params[key] === value ? 0 : 1, `kill ${i + 1}: ${runId} param ${key} missing`);
        }
        for (const [key, value] of facts.tags) {
          miss(result, 'lost', tags[key] === value ? 0 : 1, `kill ${i + 1}: ${runId} tag ${key} is not ${value}`);
        }
        miss(result, 'lost', facts.tags.get('phase') === 'train' ? 0 : 1, `kill ${i + 1}: ${runId} lost its tag`);
      }
      store?.close();
      // The next writer to open the store finishes a move the kill cut short (journalMove.ts); then
      // every acknowledged tag is in its run's journal once.
      const next = await RunStore.open({ dir, writer: true, version: 'faults' });
      next.close();
      const texts = new Map<string, string>();
      for (let r = 0; r < RUNS; r++)
        texts.set(`run${r}`, readFileSync(join(dir, 'runs', `run${r}`, 'events.jsonl'), 'utf8'));
      let missing = 0;
      let doubled = 0;
      for (const n of acked) {
        const found = (texts.get(`run${(2 * n) % RUNS}`) ?? '').split(`"key":"a${n}"`).length - 1;
        if (found === 0) missing++;
        if (found > 1) doubled++;
      }
      appendedTags += acked.size;
      miss(result, 'lost', missing, `kill ${i + 1}: acknowledged tags of the appender missing from their journal`);
      miss(result, 'corrupt', doubled, `kill ${i + 1}: acknowledged tags of the appender written twice`);
      if ((i + 1) % 25 === 0) log(`  ${i + 1} kills of the compacting writer`);
    }
    // The next writer cleans what the killed ones left: no temporary file stays, and once it has
    // compacted what is left, no points file that its run's journal does not name.
    const writer = await RunStore.open({ dir, writer: true, version: 'faults' });
    const skip = new Set<string>();
    while (writer.compactNext({ quietMs: 0, skip })) {
      // One run a turn, each once.
    }
    writer.close();
    const unnamed: string[] = [];
    for (const runId of readdirSync(join(dir, 'runs'))) {
      const journal = readFileSync(join(dir, 'runs', runId, 'events.jsonl'), 'utf8');
      for (const name of readdirSync(join(dir, 'runs', runId))) {
        if (name.startsWith('points.') && !journal.includes(`"file":"${name}"`)) unnamed.push(`${runId}/${name}`);
      }
    }
    miss(result, 'leaked', unnamed.length, `points files no journal names: ${unnamed.join(', ')}`);
    let left: string[] = [];
    try {
      left = readdirSync(join(dir, 'tmp'));
    } catch {
      left = [];
    }
    miss(result, 'leaked', left.length, `temporary files left: ${left.join(', ')}`);
    result.notes.push(`${compacted} of ${result.trials * RUNS} journals checked were compacted when checked`);
    result.notes.push(`${recompacted} of them resumed runs whose resumed points were in their points file`);
    result.notes.push(`${appendedTags} checks of acknowledged tags appended by a second process meanwhile`);
  } finally {
    remove(root);
  }
  return result;
}
