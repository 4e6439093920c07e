import * as assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JournalChunk } from '../../../src/store/journal';
import { parseJournalBuffer, readJournal } from '../../../src/store/journal';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const metric = (step: number): string =>
  JSON.stringify({ t: 'metric', ts: step, key: 'loss', value: 1 / (step + 1), step });
const steps = (chunk: JournalChunk, key = 'loss'): number[] => [...(chunk.metrics.series.get(key)?.view().steps ?? [])];

describe('journal reading', () => {
  it('leaves a trailing line without its newline for the next read', () => {
    const text = `${metric(0)}\n${metric(1)}\n${metric(2).slice(0, 20)}`;
    const chunk = parseJournalBuffer(encode(text));
    assert.deepEqual(steps(chunk), [0, 1]);
    assert.equal(chunk.nextOffset, Buffer.byteLength(`${metric(0)}\n${metric(1)}\n`));
    assert.equal(chunk.nextLine, 3);
    assert.deepEqual(chunk.malformed, []);
  });

  it('reports malformed lines by number and keeps the good ones', () => {
    const param = JSON.stringify({ t: 'param', ts: 1, key: 'lr', value: '0.1' });
    const text = `${metric(0)}\nnot json\n\n{"t":"metric"}\n${param}\n${metric(1)}\n`;
    const chunk = parseJournalBuffer(encode(text));
    assert.deepEqual(steps(chunk), [0, 1]);
    assert.deepEqual(
      chunk.malformed.map((m) => m.line),
      [2, 4],
    );
    assert.deepEqual(chunk.lines, [5], 'other events keep their line numbers');
    assert.equal(chunk.events[0]?.t, 'param');
  });

  it("skips a newer producer's event types without reporting them (journal format 2)", () => {
    const param = JSON.stringify({ t: 'param', ts: 1, key: 'lr', value: '0.1' });
    const text = `{"t":"from_the_future","ts":1,"x":{}}\n${param}\n{"t":"from_the_future"}\n`;
    const chunk = parseJournalBuffer(encode(text));
    assert.deepEqual(chunk.lines, [2]);
    assert.deepEqual(
      chunk.malformed.map((m) => [m.line, m.reason]),
      [[3, '"ts" must be a number (milliseconds since the epoch)']],
      'a line without "ts" is still malformed',
    );
    assert.equal(chunk.nextLine, 4);
  });

  it('takes metric lines in other shapes through the general parser', () => {
    const spaced = '{ "t": "metric", "ts": 3, "key": "a\\"b", "value": "NaN", "step": 7 }';
    const chunk = parseJournalBuffer(encode(`${spaced}\n`));
    assert.deepEqual(steps(chunk, 'a"b'), [7]);
    assert.ok(Number.isNaN(chunk.metrics.series.get('a"b')?.view().values[0]));
  });

  it('decodes multi-byte text split only at line ends', () => {
    const line = JSON.stringify({ t: 'param', ts: 1, key: 'name', value: 'Schrödinger 🐈' });
    const chunk = parseJournalBuffer(encode(`${line}\n`));
    assert.equal(chunk.events[0]?.t === 'param' && chunk.events[0].value, 'Schrödinger 🐈');
  });

  it('reads a file incrementally from the offset of the last read, in pieces', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runlog-journal-'));
    try {
      const file = join(dir, 'events.jsonl');
      await writeFile(file, `${metric(0)}\n${metric(1).slice(0, 10)}`);
      const first = await readJournal(file);
      assert.deepEqual(steps(first), [0]);
      await appendFile(file, `${metric(1).slice(10)}\n${metric(2)}\n`);
      const second = await readJournal(file, first.nextOffset, first.nextLine);
      assert.deepEqual(steps(second), [1, 2]);
      assert.equal(second.nextLine, 4);
      const piece = await readJournal(file, first.nextOffset, first.nextLine, metric(1).length + 5);
      assert.deepEqual(steps(piece), [1], 'a piece ends at its last whole line');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
