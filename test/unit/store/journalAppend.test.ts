import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { appendFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExperimentJournal } from '../../../src/mlflow/experiments';
import { appendRunEvents } from '../../../src/runs/runEdits';
import { RunJournal } from '../../../src/runs/runJournal';
import { appendJournal } from '../../../src/store/journalAppend';
import { markInterrupted } from '../../../src/store/reconcile';
import { Harness } from '../mlflow/endpointHarness';

const CUT = '{"t":"metric","ts":2,"key":"m","val';

/** The lines of a journal, checking that the cut-off line stayed alone on its line. */
async function linesAfterCut(file: string): Promise<string[]> {
  const lines = (await readFile(file, 'utf8')).split('\n');
  const cut = lines.indexOf(CUT);
  assert.notEqual(cut, -1, `the cut-off line is no longer a line of its own: ${JSON.stringify(lines)}`);
  assert.equal(lines[lines.length - 1], '', 'the journal ends with a newline');
  return lines.slice(cut + 1, -1).filter((line) => line !== '');
}

describe('every journal writer starts on a fresh line after a cut-off one', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'runlog-append-')), '.runlog');
    await mkdir(join(dir, 'runs', 'r1'), { recursive: true });
    file = join(dir, 'runs', 'r1', 'events.jsonl');
    await writeFile(file, `${JSON.stringify({ t: 'run_start', ts: 1, run_id: 'r1', name: 'r', experiment: 'e' })}\n`);
    await appendFile(file, CUT);
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('the editor: RunJournal.append (launcher, process, queue)', async () => {
    await new RunJournal(dir, 'r1').append({ t: 'run_end', ts: 3, status: 'FINISHED', exit_code: 0 });
    const lines = await linesAfterCut(file);
    assert.deepEqual(
      lines.map((l) => JSON.parse(l) as object),
      [{ t: 'run_end', ts: 3, status: 'FINISHED', exit_code: 0 }],
    );
  });

  it("the editor's edits: appendRunEvents", async () => {
    await appendRunEvents(dir, 'r1', [{ t: 'lifecycle', ts: 3, action: 'pin' }]);
    assert.deepEqual(await linesAfterCut(file), ['{"t":"lifecycle","ts":3,"action":"pin"}']);
  });

  it('interrupted-marking: markInterrupted', async () => {
    await markInterrupted(dir, ['r1']);
    const lines = await linesAfterCut(file);
    assert.equal(lines.length, 1);
    assert.equal((JSON.parse(lines[0] ?? '') as { status: string }).status, 'INTERRUPTED');
  });

  it('the MLflow endpoint: a run journal, the registry journal and the experiment journal', async () => {
    const harness = await Harness.start();
    try {
      const runId = await harness.createRun();
      const runFile = join(harness.dir, 'runs', runId, 'events.jsonl');
      await appendFile(runFile, CUT);
      const logged = await harness.post('runs/log-parameter', { run_id: runId, key: 'lr', value: '0.1' });
      assert.equal(logged.status, 200);
      assert.match((await linesAfterCut(runFile))[0] ?? '', /"key":"lr","value":"0.1"/);

      await mkdir(join(harness.dir, 'registry'), { recursive: true });
      const registry = join(harness.dir, 'registry', 'events.jsonl');
      await writeFile(registry, CUT);
      assert.equal((await harness.post('registered-models/create', { name: 'm' })).status, 200);
      assert.match((await linesAfterCut(registry))[0] ?? '', /"action":"create_model"/);

      const experiments = join(harness.dir, 'mlflow', 'experiments.jsonl');
      await mkdir(join(harness.dir, 'mlflow'), { recursive: true });
      await writeFile(experiments, CUT);
      await new ExperimentJournal(harness.dir).append(() => [
        { t: 'experiment', ts: 5, action: 'create', id: '7', name: 'x' },
      ]);
      assert.match((await linesAfterCut(experiments))[0] ?? '', /"name":"x"/);
    } finally {
      await harness.stop();
    }
  });

  it('never writes through a symlinked journal', async () => {
    const elsewhere = join(dir, '..', 'elsewhere.jsonl');
    await writeFile(elsewhere, '');
    const link = join(dir, 'runs', 'r1', 'linked.jsonl');
    await symlink(elsewhere, link);
    await assert.rejects(appendJournal(link, '{"t":"tag"}\n'), /symbolic link/);
    assert.equal(await readFile(elsewhere, 'utf8'), '');
  });

  it("a run's end is on disk before it is acknowledged; other lines are not fsynced", async () => {
    const promises = fs.promises as unknown as { open: (...args: unknown[]) => Promise<FileHandle> };
    const realOpen = promises.open;
    const synced: string[] = [];
    promises.open = async (...args: unknown[]) => {
      const handle = await realOpen(...args);
      const realSync = handle.sync.bind(handle);
      handle.sync = () => {
        synced.push(String(args[0]));
        return realSync();
      };
      return handle;
    };
    const harness = await Harness.start();
    try {
      const runId = await harness.createRun();
      synced.length = 0;
      await harness.post('runs/set-tag', { run_id: runId, key: 'k', value: 'v' });
      await harness.post('runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 1 });
      assert.deepEqual(synced, []);
      assert.equal((await harness.post('runs/update', { run_id: runId, status: 'FINISHED' })).status, 200);
      const runDir = join(harness.dir, 'runs', runId);
      assert.deepEqual(synced, [join(runDir, 'events.jsonl'), runDir]);
    } finally {
      promises.open = realOpen;
      await harness.stop();
    }
  });
});
