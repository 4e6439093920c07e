// Faults of what is written into a store: oversized and binary journal lines, concurrent writers
// (two endpoints, endpoint + Python, two Python processes, forks), aborted and slow uploads, and
// symlinks that would lead out of the store.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Outcome } from './checks';
import { journalFacts, miss, openStore, outcome, remove, scratch, sleep, tempFiles } from './checks';
import { Endpoint, python } from './processes';

const line = (event: object): string => `${JSON.stringify(event)}\n`;

/** Journals with a line over the 32 MB read piece and lines of binary garbage among good ones. */
export async function oversizedLines(trials: number): Promise<Outcome> {
  const result = outcome();
  for (let t = 0; t < trials; t++) {
    const root = scratch('long');
    const dir = join(root, '.runlog');
    try {
      const folder = join(dir, 'runs', 'r1');
      mkdirSync(folder, { recursive: true });
      const good: string[] = [line({ t: 'run_start', ts: 1, run_id: 'r1', name: 'r1', experiment: 'e' })];
      for (let i = 0; i < 50; i++) good.push(line({ t: 'metric', ts: 2, key: 'loss', value: i, step: i }));
      good.push(line({ t: 'param', ts: 2, key: 'lr', value: '0.1' }));
      const bad = [
        line({ t: 'param', ts: 3, key: 'huge', value: 'x'.repeat(33 * 1024 * 1024) }),
        `${randomBytes(4096).toString('binary').replace(/\n/g, ' ')}\n`,
        `\u0000\u0000{"t":"metric"\n`,
      ];
      // The bad lines go somewhere in the middle, a different place each trial.
      const lines = [...good];
      for (const b of bad) lines.splice(1 + Math.floor(Math.random() * (lines.length - 1)), 0, b);
      lines.push(line({ t: 'run_end', ts: 9, status: 'FINISHED' }));
      writeFileSync(join(folder, 'events.jsonl'), Buffer.from(lines.join(''), 'binary'));
      result.trials++;
      const store = await openStore(dir, result);
      if (!store) continue;
      await store.syncJournals();
      const run = store.query('getRun', 'r1');
      const points = run?.metrics.find((m) => m.key === 'loss')?.count ?? 0;
      miss(
        result,
        'lost',
        50 - points + (run?.params['lr'] === '0.1' ? 0 : 1) + (run?.status === 'FINISHED' ? 0 : 1),
        `oversized lines: ${points} of 50 points, lr ${run?.params['lr'] ?? 'missing'}, status ${run?.status ?? 'missing'}`,
      );
      if (run?.rejected.length !== bad.length) {
        result.notes.push(`oversized lines: ${run?.rejected.length ?? 0} lines refused, ${bad.length} bad`);
      }
      store.close();
    } finally {
      remove(root);
    }
  }
  return result;
}

/** Python joined to a run: logs `points` points of `key`, races `lr`; prints whether each held. */
const JOINED_SCRIPT = `
import os, sys, time, runlog
while time.time() < float(os.environ["GO"]):
    pass
try:
    runlog.log_param("lr", os.environ["VALUE"])
    print("PARAM_OK")
except ValueError:
    print("PARAM_REFUSED")
key = os.environ["KEY"]
if os.environ.get("FORKS"):
    children = []
    for child in range(int(os.environ["FORKS"])):
        pid = os.fork()
        if pid == 0:
            for step in range(int(os.environ["POINTS"])):
                runlog.log_metric("%s-fork%d" % (key, child), step, step=step)
            ok = runlog.flush()
            os._exit(0 if ok else 1)
        children.append(pid)
    failed = sum(1 for pid in children if os.waitpid(pid, 0)[1] != 0)
    print("FORKS_FAILED", failed)
for step in range(int(os.environ["POINTS"])):
    runlog.log_metric(key, step, step=step)
print("FLUSHED", runlog.flush())
`;

interface Racer {
  readonly paramOk: boolean;
  readonly flushed: boolean;
}

async function joinedPython(dir: string, runId: string, env: Record<string, string>): Promise<Racer> {
  const run = await python(JOINED_SCRIPT, { RUNLOG_DIR: dir, RUNLOG_RUN_ID: runId, ...env });
  if (run.code !== 0) throw new Error(`a joined Python process failed (${run.code}): ${run.stderr.slice(-400)}`);
  if (/FORKS_FAILED [1-9]/.test(run.stdout)) throw new Error(`a forked child could not write: ${run.stderr}`);
  return { paramOk: run.stdout.includes('PARAM_OK'), flushed: run.stdout.includes('FLUSHED True') };
}

/**
 * Writers at once on one run: two endpoints, an endpoint and Python processes, two Python
 * processes, and forked children. Exactly one value of a raced param may win, and every
 * acknowledged point must be in the journal, read by the store.
 */
export async function concurrentWriters(rounds: number): Promise<Outcome> {
  const result = outcome();
  const POINTS = 2000;
  for (let round = 0; round < rounds; round++) {
    const root = scratch('writers');
    const dir = join(root, '.runlog');
    mkdirSync(join(dir, 'runs'), { recursive: true });
    const [a, b] = await Promise.all([Endpoint.start(dir), Endpoint.start(dir)]);
    try {
      for (const setup of ['two endpoints', 'endpoint + Python', 'two Python processes', 'forks'] as const) {
        const runId = await a.createRun();
        const go = String(Date.now() / 1000 + 1.5);
        const acked = new Set<string>();
        const endpointWriter = async (endpoint: Endpoint, name: string): Promise<boolean> => {
          let paramOk = false;
          for (let batch = 0; batch < 20; batch++) {
            const metrics = Array.from({ length: 100 }, (_, j) => ({
              key: name,
              value: j,
              timestamp: 1,
              step: batch * 100 + j,
            }));
            const params = batch === 0 ? [{ key: 'lr', value: name }] : [];
            const reply = await endpoint.post('runs/log-batch', { run_id: runId, metrics, params });
            if (reply.status === 200) {
              if (batch === 0) paramOk = true;
              for (const m of metrics) acked.add(`${name}/${m.step}`);
            } else if (batch === 0 && reply.body['error_code'] === 'INVALID_PARAMETER_VALUE') {
              // The param lost the race: the batch wrote nothing; send the points again alone.
              const retry = await endpoint.post('runs/log-batch', { run_id: runId, metrics });
              if (retry.status === 200) for (const m of metrics) acked.add(`${name}/${m.step}`);
            }
          }
          return paramOk;
        };
        const pythonWriter = async (name: string, forks = 0): Promise<boolean> => {
          const racer = await joinedPython(dir, runId, {
            GO: go,
            VALUE: name,
            KEY: name,
            POINTS: String(POINTS),
            ...(forks ? { FORKS: String(forks) } : {}),
          });
          if (racer.flushed) {
            for (let s = 0; s < POINTS; s++) acked.add(`${name}/${s}`);
            for (let f = 0; f < forks; f++) for (let s = 0; s < POINTS; s++) acked.add(`${name}-fork${f}/${s}`);
          }
          return racer.paramOk;
        };
        const writers: Promise<boolean>[] =
          setup === 'two endpoints'
            ? [endpointWriter(a, 'a'), endpointWriter(b, 'b')]
            : setup === 'endpoint + Python'
              ? [endpointWriter(a, 'a'), pythonWriter('py')]
              : setup === 'two Python processes'
                ? [pythonWriter('py1'), pythonWriter('py2')]
                : [pythonWriter('parent', 3)];
        const won = (await Promise.all(writers)).filter(Boolean).length;
        result.trials++;
        const facts = journalFacts(join(dir, 'runs', runId, 'events.jsonl'));
        const lostPoints = [...acked].filter((point) => !facts.points.has(point));
        miss(
          result,
          'lost',
          lostPoints.length,
          `${setup}: acknowledged points missing: ${lostPoints.slice(0, 5).join(', ')}`,
        );
        const values = new Set(facts.params.get('lr') ?? []);
        if (won !== 1 || values.size !== 1) {
          result.lost++;
          result.notes.push(
            `${setup}: ${won} writers were told their lr stands; the journal has ${[...values].join(', ')}`,
          );
        }
        const store = await openStore(dir, result);
        if (store) {
          await store.syncJournals();
          const stored = (new Map(store.query('metricSummaries', [runId])).get(runId) ?? []).reduce(
            (n, m) => n + m.count,
            0,
          );
          if (stored !== facts.points.size) {
            result.lost += Math.abs(stored - facts.points.size);
            result.notes.push(`${setup}: the store has ${stored} points, the journal ${facts.points.size}`);
          }
          if ((store.query('getRun', runId)?.rejected.length ?? 0) > 0) {
            result.corrupt++;
            result.notes.push(`${setup}: ${JSON.stringify(store.query('getRun', runId)?.rejected.slice(0, 3))}`);
          }
          store.close();
        }
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      remove(root);
    }
  }
  return result;
}

/** A PUT that declares 100000 bytes, sends 4 and hangs up. */
function abortedUpload(endpoint: Endpoint, path: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(endpoint.port, '127.0.0.1', () => {
      socket.write(
        `PUT /api/2.0/mlflow-artifacts/artifacts/${path} HTTP/1.1\r\nHost: 127.0.0.1:${endpoint.port}\r\n` +
          `Authorization: Bearer ${endpoint.token}\r\nContent-Length: 100000\r\n\r\nabcd`,
        () => setTimeout(() => socket.destroy(), 2),
      );
    });
    socket.on('close', () => resolve());
    socket.on('error', () => undefined);
  });
}

/** A PUT whose body arrives 1 KB every few milliseconds; resolves to the status. */
function slowUpload(endpoint: Endpoint, path: string, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(endpoint.port, '127.0.0.1', () => {
      socket.write(
        `PUT /api/2.0/mlflow-artifacts/artifacts/${path} HTTP/1.1\r\nHost: 127.0.0.1:${endpoint.port}\r\n` +
          `Authorization: Bearer ${endpoint.token}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
      );
      let at = 0;
      const timer = setInterval(() => {
        socket.write(body.subarray(at, at + 1024));
        at += 1024;
        if (at >= body.length) clearInterval(timer);
      }, 3);
    });
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1] ?? 0)));
    socket.on('error', () => undefined);
  });
}

/** Aborted uploads must leave no descriptor and no temporary file; slow ones must arrive whole. */
export async function uploads(aborted: number): Promise<Outcome> {
  const result = outcome();
  const root = scratch('uploads');
  const dir = join(root, '.runlog');
  mkdirSync(join(dir, 'runs'), { recursive: true });
  const endpoint = await Endpoint.start(dir);
  try {
    const runId = await endpoint.createRun();
    await endpoint.call(`/api/2.0/mlflow-artifacts/artifacts/${runId}/warm.bin`, 'w', 'PUT');
    const before = endpoint.descriptors();
    const bodies = [0, 1, 2].map(() => randomBytes(64 * 1024));
    const slow = bodies.map((body, i) => slowUpload(endpoint, `${runId}/slow-${i}.bin`, body));
    for (let i = 0; i < aborted; i++) {
      await abortedUpload(endpoint, `${runId}/aborted.bin`);
      result.trials++;
    }
    const statuses = await Promise.all(slow);
    result.trials += slow.length;
    // The server cleans up after a cut socket when its 'close' event comes, which on a busy machine
    // can be a while after the client has gone: give it up to ten seconds to settle before counting.
    const settled = (): boolean => {
      const now = endpoint.descriptors();
      return tempFiles(dir).length === 0 && (before === undefined || now === undefined || now - before <= 5);
    };
    for (let waited = 0; waited < 10_000 && !settled(); waited += 100) await sleep(100);
    const after = endpoint.descriptors();
    if (before !== undefined && after !== undefined && after - before > 5) {
      miss(result, 'leaked', after - before, `uploads: descriptors ${before} → ${after}`);
    }
    const temps = tempFiles(dir);
    miss(result, 'leaked', temps.length, `uploads: temporary files left: ${temps.slice(0, 5).join(', ')}`);
    statuses.forEach((status, i) => {
      if (status !== 200) {
        result.notes.push(`uploads: a slow upload answered ${status}`);
        return;
      }
      const stored = readFileSync(join(dir, 'runs', runId, 'artifacts', `slow-${i}.bin`));
      const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
      if (sha(stored) !== sha(bodies[i] ?? Buffer.alloc(0)))
        miss(
          result,
          'lost',
          1,
          `uploads: slow-${i}.bin arrived as ${stored.length} of ${bodies[i]?.length ?? 0} bytes, or changed`,
        );
    });
    if (readdirSync(join(dir, 'runs', runId, 'artifacts')).includes('aborted.bin')) {
      result.notes.push('uploads: an aborted upload became an artifact');
      result.corrupt++;
    }
    const alive = await endpoint.post('runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 1 });
    if (alive.status !== 200) result.notes.push(`uploads: log-metric answered ${alive.status} afterwards`);
  } finally {
    await endpoint.stop();
    remove(root);
  }
  return result;
}

/** Run folders and journals that are symlinks: nothing is read through them or written through them. */
export async function symlinks(): Promise<Outcome> {
  const result = outcome();
  const root = scratch('links');
  const dir = join(root, '.runlog');
  const elsewhere = join(root, 'elsewhere');
  mkdirSync(join(elsewhere, 'artifacts'), { recursive: true });
  const start = line({ t: 'run_start', ts: 1, run_id: 'linked', name: 'linked', experiment: 'e' });
  writeFileSync(join(elsewhere, 'events.jsonl'), start);
  mkdirSync(join(dir, 'runs', 'journal-linked'), { recursive: true });
  symlinkSync(elsewhere, join(dir, 'runs', 'linked'));
  symlinkSync(join(elsewhere, 'events.jsonl'), join(dir, 'runs', 'journal-linked', 'events.jsonl'));
  const endpoint = await Endpoint.start(dir);
  try {
    for (const runId of ['linked', 'journal-linked']) {
      const replies = await Promise.all([
        endpoint.post('runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 1 }),
        endpoint.post('runs/log-parameter', { run_id: runId, key: 'p', value: '1' }),
        endpoint.post('runs/set-tag', { run_id: runId, key: 't', value: '1' }),
        endpoint.call(`/api/2.0/mlflow-artifacts/artifacts/${runId}/a.bin`, 'x', 'PUT'),
      ]);
      result.trials += replies.length;
      for (const reply of replies) {
        if (reply.status !== 200) continue;
        result.leaked++;
        result.notes.push(`symlinks: a write to ${runId} was taken`);
      }
    }
    const written = readFileSync(join(elsewhere, 'events.jsonl'), 'utf8') !== start;
    const files = readdirSync(join(elsewhere, 'artifacts')).length;
    miss(result, 'leaked', written ? 1 : 0, 'symlinks: the linked journal outside the store was written');
    miss(result, 'leaked', files, `symlinks: ${files} artifact(s) written outside the store`);
    const store = await openStore(dir, result);
    if (store) {
      if (store.query('listRuns').total !== 0) {
        result.leaked++;
        result.notes.push('symlinks: the store read a linked run');
      }
      store.close();
    }
  } finally {
    await endpoint.stop();
    remove(root);
  }
  return result;
}
