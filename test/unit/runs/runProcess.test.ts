import * as assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientEnv, runEnv } from '../../../src/runs/launchPlan';
import { RunJournal } from '../../../src/runs/runJournal';
import { RunProcess } from '../../../src/runs/runProcess';
import { RunQueue } from '../../../src/runs/runQueue';
import { StdoutMetricParser } from '../../../src/runs/stdoutMetrics';
import { parseEventLine } from '../../../src/store/eventParse';

async function events(journal: RunJournal): Promise<Record<string, unknown>[]> {
  const text = await readFile(journal.file, 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      assert.ok(parseEventLine(line).ok, line);
      return JSON.parse(line) as Record<string, unknown>;
    });
}

describe('run processes', function () {
  this.timeout(20_000);
  let store: string;
  beforeEach(async () => {
    store = await mkdtemp(join(tmpdir(), 'runlog-process-'));
  });
  afterEach(async () => {
    await rm(store, { recursive: true, force: true });
  });

  function launch(
    code: string,
    runId: string,
    parser?: StdoutMetricParser,
  ): Promise<{ process: RunProcess; journal: RunJournal; output: string[] }> {
    const client = clientEnv({
      storeDir: store,
      clientPath: join(store, 'no-client'),
      inherited: { PYTHONPATH: process.env['PYTHONPATH'] },
      platform: process.platform,
      systemMetrics: false,
    });
    return RunJournal.create(store, runId).then((journal) => {
      const process = new RunProcess(journal, {
        command: 'python3',
        args: ['-c', code],
        cwd: store,
        env: runEnv(client, runId, {}),
        ...(parser ? { stdoutMetrics: parser } : {}),
      });
      const output: string[] = [];
      process.start((text) => output.push(text));
      return { process, journal, output };
    });
  }

  it('gives the script its run and store, keeps the output, and ends FINISHED', async () => {
    const { process, journal, output } = await launch(
      'import os; print(os.environ["RUNLOG_RUN_ID"], os.environ["RUNLOG_DIR"], os.environ["PYTHONPATH"].split(os.pathsep)[0])',
      'run1',
    );
    assert.deepEqual(await process.exited, { status: 'FINISHED', exitCode: 0 });
    assert.equal(output.join('').trim(), `run1 ${store} ${join(store, 'no-client')}`);
    assert.equal((await readFile(join(journal.dir, 'artifacts', 'output.log'), 'utf8')).trim(), output.join('').trim());
    const log = await events(journal);
    assert.deepEqual(
      log.map((e) => [e['t'], e['status'] ?? e['path']]),
      [
        ['status', 'RUNNING'],
        ['artifact', 'output.log'],
        ['run_end', 'FINISHED'],
      ],
    );
    assert.equal(typeof log[0]?.['pid'], 'number');
    assert.equal(log[2]?.['exit_code'], 0);
  });

  it('ends FAILED with the last lines of stderr', async () => {
    const { process, journal } = await launch('import sys; print("bad input", file=sys.stderr); sys.exit(3)', 'run2');
    assert.deepEqual(await process.exited, { status: 'FAILED', exitCode: 3 });
    const end = (await events(journal)).find((e) => e['t'] === 'run_end');
    assert.equal(end?.['error'], 'bad input');
    assert.equal(end?.['exit_code'], 3);
  });

  it('ends FAILED, saying why, when the program cannot start', async () => {
    const journal = await RunJournal.create(store, 'run3');
    const process = new RunProcess(journal, {
      command: join(store, 'no-such-python'),
      args: [],
      cwd: store,
      env: {},
    });
    const output: string[] = [];
    process.start((text) => output.push(text));
    assert.deepEqual(await process.exited, { status: 'FAILED', exitCode: null });
    assert.match(output.join(''), /could not start .*no-such-python: .*ENOENT/);
  });

  it('stops with SIGINT, then ends KILLED', async () => {
    const { process, journal, output } = await launch(
      'import time\ntry:\n    print("ready", flush=True)\n    time.sleep(30)\nexcept KeyboardInterrupt:\n    print("interrupted", flush=True)\n    raise SystemExit(130)',
      'run4',
    );
    while (!output.join('').includes('ready')) await new Promise((r) => setTimeout(r, 20));
    process.stop();
    assert.deepEqual(await process.exited, { status: 'KILLED', exitCode: 130 });
    assert.match(output.join(''), /interrupted/, 'the script got Ctrl+C first');
    assert.equal((await events(journal)).at(-1)?.['status'], 'KILLED');
  });

  it('turns printed metrics into points when asked to', async () => {
    const { process, journal } = await launch(
      'for i in range(3): print(f"epoch {i} loss={1/(i+1)}")',
      'run5',
      new StdoutMetricParser(),
    );
    await process.exited;
    const points = (await events(journal)).filter((e) => e['t'] === 'metric').map((e) => [e['step'], e['value']]);
    assert.deepEqual(points, [
      [0, 1],
      [1, 0.5],
      [2, 1 / 3],
    ]);
  });
});

describe('the run queue', () => {
  it('runs at most the limit at once, in order, and cancels a waiting run', async () => {
    const store = await mkdtemp(join(tmpdir(), 'runlog-queue-'));
    try {
      const started: string[] = [];
      const finishers = new Map<string, () => void>();
      const job = async (id: string) => {
        const journal = await RunJournal.create(store, id);
        return {
          journal,
          start: () =>
            new Promise<'FINISHED'>((resolve) => {
              started.push(id);
              finishers.set(id, () => resolve('FINISHED'));
            }),
          stop: () => finishers.get(id)?.(),
        };
      };
      let limit = 2;
      const queue = new RunQueue(() => limit);
      for (const id of ['a', 'b', 'c', 'd']) queue.enqueue(await job(id));
      assert.deepEqual(started, ['a', 'b']);
      assert.deepEqual(queue.active, { running: ['a', 'b'], waiting: ['c', 'd'] });
      assert.equal(await queue.stop('c'), true);
      const cancelled = await readFile(join(store, 'runs', 'c', 'events.jsonl'), 'utf8');
      assert.match(cancelled, /"status":"KILLED","error":"Cancelled before it started."/);
      limit = 1;
      finishers.get('a')?.();
      await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(started, ['a', 'b'], 'the lower limit holds d back while b runs');
      finishers.get('b')?.();
      await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(started, ['a', 'b', 'd']);
      assert.equal(await queue.stop('nope'), false);
    } finally {
      await rm(store, { recursive: true, force: true });
    }
  });
});
