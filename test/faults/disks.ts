// A full disk and a read-only store, for the endpoint and the Python client: a small tmpfs when
// this process may mount one, otherwise the same errors injected at the file-system layer
// (inject.ts for the endpoint, a patched os layer in the Python script).
import { writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Outcome } from './checks';
import { journalFacts, miss, mountTmpfs, openStore, outcome, remount, remove, scratch, unmount } from './checks';
import type { Injection } from './processes';
import { Endpoint, python } from './processes';

/** A store folder on a small file system, and how its fault is made. */
interface Disk {
  readonly root: string;
  readonly mounted: boolean;
  done(): void;
}

function disk(size: string): Disk {
  const mounted = mountTmpfs(size);
  if (mounted) return { root: mounted, mounted: true, done: () => unmount(mounted) };
  const root = scratch('disk');
  return { root, mounted: false, done: () => remove(root) };
}

/** How a Python script under test fails its writes when nothing could be mounted. */
const PYTHON_FAULTS = `
import errno, os, builtins
_dir = os.environ.get("FAULT_DIR")
_budget = [int(os.environ.get("FAULT_ENOSPC_AFTER", "-1"))]
_real_write, _real_open, _real_os_open = os.write, builtins.open, os.open
def _under(path):
    try:
        return bool(_dir) and os.path.realpath(os.fspath(path)).startswith(_dir)
    except TypeError:
        return False
if _budget[0] >= 0:
    def _write(fd, data):
        if _budget[0] <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        data = bytes(data[:_budget[0]])
        _budget[0] -= len(data)
        return _real_write(fd, data)
    os.write = _write
if os.environ.get("FAULT_READ_ONLY"):
    def _os_open(path, flags, *args):
        if _under(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, "Read-only file system", path)
        return _real_os_open(path, flags, *args)
    def _open(file, mode="r", *args, **kwargs):
        if _under(file) and any(c in mode for c in "wax+"):
            raise OSError(errno.EROFS, "Read-only file system", file)
        return _real_open(file, mode, *args, **kwargs)
    os.open, builtins.open = _os_open, _open
`;

/** The Python client on a full disk: every flush() that said True holds; the loss is counted at exit. */
const FULL_DISK_SCRIPT = `${PYTHON_FAULTS}
import re, runlog
run = runlog.start_run(name="full")
acked = 0
for step in range(20000):
    runlog.log_metric("loss", step * 0.5, step=step)
    if step % 1000 == 999 and runlog.flush():
        acked = step + 1
runlog.set_tag("phase", "done")
print("ACKED", acked, run.dir)
`;

export async function fullDisk(): Promise<Outcome> {
  const result = outcome();
  // The endpoint: batches until the disk is full; every 200 must be in the journal.
  {
    const d = disk('1m');
    result.via = d.mounted ? 'tmpfs 1 MB' : 'injected ENOSPC';
    const dir = join(d.root, '.runlog');
    try {
      await mkdir(join(dir, 'runs'), { recursive: true });
      const injection: Injection | undefined = d.mounted ? undefined : { dir, enospcAfter: 1 << 20 };
      const filler = join(d.root, 'filler');
      if (d.mounted) writeFileSync(filler, Buffer.alloc(256 * 1024));
      const endpoint = await Endpoint.start(dir, injection);
      const runId = await endpoint.createRun();
      const acked = new Set<string>();
      let refused = 0;
      for (let batch = 0; batch < 400 && refused < 5; batch++) {
        // 1000 points a request (MLflow's limit): batched lines take ~15 bytes a point, and the disk must fill.
        const metrics = Array.from({ length: 1000 }, (_, j) => ({
          key: 'loss',
          value: j / 7,
          timestamp: 1,
          step: batch * 1000 + j,
        }));
        const reply = await endpoint.post('runs/log-batch', { run_id: runId, metrics });
        result.trials++;
        if (reply.status === 200) for (const m of metrics) acked.add(`loss/${m.step}`);
        else {
          refused++;
          if (String(reply.body['message']).includes(d.root)) {
            result.leaked++;
            result.notes.push(`full disk: a 500 names the server's path: ${String(reply.body['message'])}`);
          }
        }
      }
      if (refused === 0) result.notes.push('full disk: the endpoint never ran out of space');
      if (d.mounted) {
        // Space again: the endpoint takes requests again.
        await rm(filler);
        const again = await endpoint.post('runs/log-metric', { run_id: runId, key: 'after', value: 1, timestamp: 1 });
        if (again.status !== 200)
          result.notes.push(`full disk: after freeing space the endpoint answered ${again.status}`);
      }
      const end = await endpoint.post('runs/update', { run_id: runId, status: 'FINISHED' });
      if (d.mounted && end.status !== 200) result.notes.push(`full disk: ending the run answered ${end.status}`);
      await endpoint.stop();
      const facts = journalFacts(join(dir, 'runs', runId, 'events.jsonl'));
      const lostPoints = [...acked].filter((point) => !facts.points.has(point));
      miss(
        result,
        'lost',
        lostPoints.length,
        `full disk: acknowledged points missing: ${lostPoints.slice(0, 5).join(', ')}`,
      );
      (await openStore(dir, result))?.close();
    } finally {
      d.done();
    }
  }
  // The Python client: what flush() acknowledged is written; what was lost is said at exit.
  {
    const d = disk('1m');
    const dir = join(d.root, '.runlog');
    try {
      const env: Record<string, string> = { RUNLOG_DIR: dir };
      if (!d.mounted) Object.assign(env, { FAULT_DIR: dir, FAULT_ENOSPC_AFTER: String(1 << 20) });
      const run = await python(FULL_DISK_SCRIPT, env);
      result.trials++;
      const match = /ACKED (\d+) (\S+)/.exec(run.stdout);
      if (run.code !== 0 || !match) {
        result.notes.push(`full disk: the Python script failed (${run.code}): ${run.stderr.slice(-500)}`);
        result.corrupt++;
      } else {
        const facts = journalFacts(join(match[2] ?? '', 'events.jsonl'));
        const acked = Number(match[1]);
        const lostSteps = Array.from({ length: acked }, (_, step) => step).filter(
          (s) => !facts.points.has(`loss/${s}`),
        );
        miss(
          result,
          'lost',
          lostSteps.length,
          `full disk: Python flushed steps missing: ${lostSteps.slice(0, 5).join(', ')}`,
        );
        const said = /lost (\d+) event\(s\)/.exec(run.stderr);
        const missing = 20000 - facts.points.size + (facts.tags.has('phase') ? 0 : 1) + (facts.ended ? 0 : 1);
        if (missing > 0 && (!said || Number(said[1]) !== missing)) {
          result.notes.push(
            `full disk: ${missing} Python events are missing but stderr said ${said?.[0] ?? 'nothing'}`,
          );
          result.lost += missing;
        }
      }
      (await openStore(dir, result))?.close();
    } finally {
      d.done();
    }
  }
  return result;
}

/** A Python script that logs `points` metric points into a read-only store, then prints its peak memory. */
const READ_ONLY_SCRIPT = `${PYTHON_FAULTS}
import os, resource, runlog
run = runlog.start_run(name="read-only")
for step in range(int(os.environ["POINTS"])):
    runlog.log_metric("loss", step * 0.5)
runlog.set_tag("phase", "done")
print("FLUSHED", runlog.flush())
print("RSS_KB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
`;

export async function readOnlyStore(points: number): Promise<Outcome & { rssMb?: number }> {
  const result: Outcome & { rssMb?: number } = outcome();
  const d = disk('8m');
  const dir = join(d.root, '.runlog');
  try {
    await mkdir(join(dir, 'runs'), { recursive: true });
    // A run written while the store was writable, then the store becomes read-only.
    const writable = await Endpoint.start(dir);
    const runId = await writable.createRun();
    await writable.post('runs/log-metric', { run_id: runId, key: 'before', value: 1, timestamp: 1 });
    await writable.stop();
    let injection: Injection | undefined;
    if (!(d.mounted && remount(d.root, 'ro'))) injection = { dir, readOnly: true };
    result.via = injection ? 'injected EROFS' : 'read-only tmpfs';
    const endpoint = await Endpoint.start(dir, injection);
    for (const request of [
      endpoint.post('runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 1 }),
      endpoint.post('runs/log-parameter', { run_id: runId, key: 'p', value: '1' }),
      endpoint.call(`/api/2.0/mlflow-artifacts/artifacts/${runId}/a.bin`, 'x', 'PUT'),
    ]) {
      const reply = await request;
      result.trials++;
      if (reply.status === 200) {
        result.lost++;
        result.notes.push('read-only: a write was acknowledged');
      }
      if (reply.status === 0) result.notes.push('read-only: the endpoint dropped the connection');
      if (JSON.stringify(reply.body).includes(d.root))
        miss(result, 'leaked', 1, `read-only: an answer names the server's path: ${JSON.stringify(reply.body)}`);
    }
    const read = await endpoint.post('runs/search', {});
    if (read.status !== 200) result.notes.push(`read-only: searching answered ${read.status}`);
    const before = endpoint.descriptors();
    await endpoint.stop();
    if (before === undefined) result.notes.push('read-only: descriptors not counted (no /proc)');
    const env: Record<string, string> = { RUNLOG_DIR: dir, POINTS: String(points) };
    if (injection) Object.assign(env, { FAULT_DIR: dir, FAULT_READ_ONLY: '1' });
    const run = await python(READ_ONLY_SCRIPT, env);
    result.trials++;
    const rss = /RSS_KB (\d+)/.exec(run.stdout);
    if (run.code !== 0 || !rss || !run.stdout.includes('FLUSHED False')) {
      result.corrupt++;
      result.notes.push(`read-only: the Python script failed (${run.code}): ${run.stderr.slice(-400)}`);
    } else {
      result.rssMb = Number(rss[1]) / 1024;
      if (!/lost \d+ event\(s\)/.test(run.stderr)) {
        result.lost++;
        result.notes.push('read-only: Python did not say what it lost');
      }
    }
    (await openStore(dir, result))?.close();
  } finally {
    if (d.mounted) remount(d.root, 'rw');
    d.done();
  }
  return result;
}
