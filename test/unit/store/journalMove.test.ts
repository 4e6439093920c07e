import * as assert from 'node:assert/strict';
import { closeSync, linkSync, openSync, writeSync } from 'node:fs';
import fsp, { mkdir, mkdtemp, open as openFile, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendJournal } from '../../../src/store/journalAppend';
import { MOVES_DIR, recoverMoves, strandedAfterMove } from '../../../src/store/journalMove';
import { RunStore } from '../../../src/store/runStore';

const line = (event: object): string => `${JSON.stringify(event)}\n`;

function finishedRun(runId: string, points: number): string {
  let text = line({ t: 'run_start', ts: 1, run_id: runId, name: runId, experiment: 'e' });
  for (let i = 0; i < points; i++)
    text += `{"t":"metric","ts":${1000 + i},"key":"loss","value":${1 / (i + 1)},"step":${i}}\n`;
  return text + line({ t: 'run_end', ts: 99_000, status: 'FINISHED', exit_code: 0 });
}

/**
 * A journal replaced by compaction while another writer has it open (journalMove.ts): whatever that
 * writer puts in the old file ends up in the new journal exactly once, whether the compaction
 * carries it, the writer does, or the next writer to open the store does after a kill.
 */
describe('a journal replaced under its writers', () => {
  let dir: string;
  const logs: string[] = [];
  const open = (): Promise<RunStore> => RunStore.open({ dir, writer: true, version: 'test', log: (m) => logs.push(m) });
  const journalPath = (runId: string): string => join(dir, 'runs', runId, 'events.jsonl');
  const count = (text: string, part: string): number => text.split(part).length - 1;
  const tagsOf = (store: RunStore, runId: string): Record<string, string> =>
    (store.query('getRun', runId) as unknown as { tags: Record<string, string> }).tags;

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-move-')), '.runlog');
    await mkdir(join(dir, 'runs', 'r1'), { recursive: true });
    await writeFile(journalPath('r1'), finishedRun('r1', 3000));
    logs.length = 0;
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('an append that opened the journal before the compaction and writes after it lands in the new journal once', async () => {
    const store = await open();
    const tag = line({ t: 'tag', ts: 7, key: 'late', value: 'written after the move' });
    // The writer's open happens, then the whole compaction, then its write: the slowest writer.
    const realOpen = fsp.open;
    let compacted = false;
    fsp.open = async (...args: Parameters<typeof realOpen>) => {
      const handle = await realOpen(...args);
      if (!compacted && String(args[0]) === journalPath('r1')) {
        compacted = store.compactNext({ quietMs: 0 })?.outcome.compacted === true;
      }
      return handle;
    };
    try {
      await appendJournal(journalPath('r1'), tag);
    } finally {
      fsp.open = realOpen;
    }
    assert.ok(compacted, 'the journal was compacted between the open and the write');
    const text = await readFile(journalPath('r1'), 'utf8');
    assert.ok(text.startsWith('{"t":"compacted"'));
    assert.equal(count(text, tag), 1, 'once in the new journal');
    await store.syncJournals();
    assert.equal(tagsOf(store, 'r1')['late'], 'written after the move');
    store.close();
  });

  it('a writer finds its lines carried over when they landed before the moved line, and stranded after it', async () => {
    const store = await open();
    const early = Buffer.from(line({ t: 'tag', ts: 7, key: 'early', value: 'e' }));
    const after = Buffer.from(line({ t: 'tag', ts: 8, key: 'after', value: 'a' }));
    const handle = await openFile(journalPath('r1'), 'a+');
    try {
      const identity = await handle.stat({ bigint: true });
      const turn = store.compactNext({
        quietMs: 0,
        after: (step) => {
          if (step === 'renamed') writeSync(handle.fd, early);
        },
      });
      assert.ok(turn?.outcome.compacted);
      assert.equal(await strandedAfterMove(handle, identity, journalPath('r1'), early), false, 'carried over');
      await handle.write(after);
      assert.equal(await strandedAfterMove(handle, identity, journalPath('r1'), after), true, 'stranded');
      const now = await openFile(journalPath('r1'), 'a');
      try {
        const nowId = await now.stat({ bigint: true });
        assert.equal(await strandedAfterMove(now, nowId, journalPath('r1'), early), false, 'the journal itself');
      } finally {
        await now.close();
      }
    } finally {
      await handle.close();
    }
    store.close();
  });

  it('a store opened after a compaction was killed past its rename carries the old file’s late lines over, once', async () => {
    const store = await open();
    const late = line({ t: 'tag', ts: 7, key: 'late', value: 'in the old file' });
    const fd = openSync(journalPath('r1'), 'a');
    try {
      // The kill: compactSteps stops right after its rename (compactNext reports what stopped it).
      const turn = store.compactNext({
        quietMs: 0,
        after: (step) => {
          if (step !== 'renamed') return;
          writeSync(fd, late);
          throw new Error('killed');
        },
      });
      assert.deepEqual(turn?.outcome, { compacted: false, reason: 'killed' });
    } finally {
      closeSync(fd);
    }
    store.close();
    assert.equal((await readdir(join(dir, MOVES_DIR))).length, 1, 'the hold is left');
    assert.equal(count(await readFile(journalPath('r1'), 'utf8'), late), 0);
    const reopened = await open();
    assert.equal(count(await readFile(journalPath('r1'), 'utf8'), late), 1);
    assert.equal(tagsOf(reopened, 'r1')['late'], 'in the old file');
    assert.deepEqual(await readdir(join(dir, MOVES_DIR)), []);
    assert.ok(
      logs.some((m) => m.includes('carried over')),
      logs.join('\n'),
    );
    reopened.close();
  });

  it('recovery copies nothing the journal holds already, and drops a hold whose rename never happened', async () => {
    const late = line({ t: 'tag', ts: 7, key: 'late', value: 'x' });
    const head = await readFile(journalPath('r1'));
    // A replacer that died after carrying the late line over, before letting go of the old file.
    await mkdir(join(dir, MOVES_DIR));
    await writeFile(join(dir, MOVES_DIR, `${head.length}.r1`), Buffer.concat([head, Buffer.from(late)]));
    await writeFile(journalPath('r1'), `${line({ t: 'compacted', ts: 1, generation: 'g' })}${head.toString()}${late}`);
    assert.deepEqual(
      recoverMoves(dir, () => undefined),
      [],
    );
    assert.equal(count(await readFile(journalPath('r1'), 'utf8'), late), 1);
    // A replacer that died before its rename: the hold is the journal itself.
    linkSync(journalPath('r1'), join(dir, MOVES_DIR, `10.r1`));
    const before = await readFile(journalPath('r1'));
    assert.deepEqual(
      recoverMoves(dir, () => undefined),
      [],
    );
    assert.deepEqual(await readFile(journalPath('r1')), before);
    assert.deepEqual(await readdir(join(dir, MOVES_DIR)), []);
  });
});
