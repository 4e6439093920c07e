import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunEvent } from '../store/events';
import { encodeWireNumber } from '../store/events';
import { appendJournal } from '../store/journalAppend';
import { parseEventLine } from '../store/eventParse';
import { parseJournalBuffer } from '../store/journal';
import { batchable, metricBatchLine } from '../store/metricBatchLine';

/** New run ids: 32 hex digits, like the Python client's uuid4().hex. */
export function newRunId(): string {
  return randomBytes(16).toString('hex');
}

const ADJECTIVES =
  'bright calm brave clever eager gentle happy jolly keen lively lucky merry nimble proud quick quiet rapid shy silent sunny swift tidy vivid warm wise bold crisp fuzzy golden hidden icy lush misty noble polar rosy rusty sandy silver steady stormy sturdy velvet wild witty young zesty amber azure'.split(
    ' ',
  );
const ANIMALS =
  'owl fox otter lynx heron panda tiger whale falcon badger beaver bison camel cobra crane deer dingo eagle ferret finch gecko goose hare hawk ibis jaguar koala lemur llama mole moose newt orca puffin quail raven robin seal shark sloth snail swan tapir toad trout viper walrus wolf yak zebra'.split(
    ' ',
  );

export function randomRunName(): string {
  const pick = (list: readonly string[]): string =>
    list[randomBytes(2).readUInt16BE(0) % list.length] ?? list[0] ?? 'run';
  return `${pick(ADJECTIVES)}-${pick(ANIMALS)}`;
}

/** A metric value as journal text: NaN and the infinities as strings, -0 kept as -0.0. */
function metricValueText(value: number): string {
  return Object.is(value, -0) ? '-0.0' : JSON.stringify(encodeWireNumber(value));
}

/**
 * One metric line in the exact shape of docs/JOURNAL.md. `ts` and `step` may be bigints (the MLflow
 * endpoint takes any int64): the journal keeps their digits, the store reads them as doubles.
 */
export function metricLine(ts: number | bigint, key: string, value: number, step: number | bigint): string {
  return `{"t":"metric","ts":${ts},"key":${JSON.stringify(key)},"value":${metricValueText(value)},"step":${step}}\n`;
}

/** A metric point as the MLflow endpoint received it: int64 steps and times may be bigints. */
export interface WirePoint {
  readonly key: string;
  readonly value: number;
  readonly ts: number | bigint;
  readonly step: number | bigint;
}

/**
 * Journal lines for points: a batched line per key (journal format 4) for a key's points when
 * there are several and their steps and times fit one (`batchable`), else a metric line each.
 */
export function metricLines(points: readonly WirePoint[]): string {
  const byKey = new Map<string, WirePoint[]>();
  for (const point of points) {
    const list = byKey.get(point.key);
    if (list) list.push(point);
    else byKey.set(point.key, [point]);
  }
  let out = '';
  for (const [key, list] of byKey) {
    const steps = list.map((p) => p.step);
    const times = list.map((p) => p.ts);
    if (list.length > 1 && batchable(steps, times)) {
      out += metricBatchLine(
        key,
        steps as number[],
        times as number[],
        list.map((p) => p.value),
      );
    } else {
      for (const p of list) out += metricLine(p.ts, key, p.value, p.step);
    }
  }
  return out;
}

/**
 * Metric lines (`metric` lines in the writers' exact shape, as the MLflow endpoint makes them) as
 * batched lines, key by key, where that changes nothing the store reads: every point of the key
 * with a safe-integer step and time. A key with a step beyond 2^53, whose digits the journal keeps,
 * keeps its lines; so does anything that is not metric lines.
 */
export function batchMetricLines(lines: string | Uint8Array): string | Uint8Array {
  const bytes = typeof lines === 'string' ? Buffer.from(lines) : lines;
  const chunk = parseJournalBuffer(bytes);
  if (chunk.events.length > 0 || chunk.malformed.length > 0 || chunk.nextOffset !== bytes.length) return lines;
  let out = '';
  const exact = new Map<string, string>();
  for (const [key, columns] of chunk.metrics.series) {
    const { steps, times, values } = columns.view();
    if (!steps.every(Number.isSafeInteger) || !times.every(Number.isSafeInteger)) exact.set(key, '');
    else if (values.length === 1) out += metricLine(times[0] ?? 0, key, values[0] ?? Number.NaN, steps[0] ?? 0);
    else if (batchable(steps, times)) out += metricBatchLine(key, steps, times, values);
    else exact.set(key, '');
  }
  if (exact.size === 0) return out;
  // The lines of the keys that keep them, as they came.
  for (const text of Buffer.from(bytes).toString('utf8').split('\n')) {
    const parsed = text === '' ? undefined : parseEventLine(text);
    if (parsed?.ok && parsed.event.t === 'metric' && exact.has(parsed.event.key)) {
      exact.set(parsed.event.key, `${exact.get(parsed.event.key) ?? ''}${text}\n`);
    }
  }
  return out + [...exact.values()].join('');
}

/** Serializes an event as one journal line, keeping NaN, infinities and -0 (docs/JOURNAL.md). */
export function eventLine(event: RunEvent): string {
  if (event.t === 'metric') return metricLine(event.ts, event.key, event.value, event.step);
  return `${JSON.stringify(event)}\n`;
}

/**
 * The editor's writer of one run's journal. Like every producer it only appends whole lines, each
 * batch in one write, so a reader never sees half a line from it.
 */
export class RunJournal {
  readonly dir: string;
  readonly file: string;

  constructor(
    storeDir: string,
    readonly runId: string,
  ) {
    this.dir = join(storeDir, 'runs', runId);
    this.file = join(this.dir, 'events.jsonl');
  }

  /** Creates the store (with its `.gitignore`) and the run folder. */
  static async create(storeDir: string, runId: string): Promise<RunJournal> {
    await mkdir(join(storeDir, 'runs', runId, 'artifacts'), { recursive: true });
    try {
      await writeFile(join(storeDir, '.gitignore'), '*\n', { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return new RunJournal(storeDir, runId);
  }

  /** Appends by the journal rule (journalAppend.ts); a run's end is on disk when this resolves. */
  append(...events: RunEvent[]): Promise<void> {
    return appendJournal(this.file, events.map(eventLine).join(''), {
      create: true,
      durable: events.some((e) => e.t === 'run_end'),
    });
  }
}
