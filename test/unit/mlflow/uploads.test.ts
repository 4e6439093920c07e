import * as assert from 'node:assert/strict';
import fs, { existsSync, readdirSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { RunStore } from '../../../src/store/runStore';
import { TEMP_DIR } from '../../../src/store/storeTemp';
import { waitFor } from '../../support/waitFor';
import type { Harness } from './endpointHarness';
import { harnessPerTest } from './endpointHarness';

/** Open descriptors of this process (Linux), or undefined where /proc is missing. */
function openDescriptors(): number | undefined {
  return existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').length : undefined;
}

/** Files anywhere under `dir` whose name says they are a temporary upload. */
async function tempFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true }).catch(() => [])) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.includes('upload')) found.push(path);
    }
  };
  await walk(dir);
  return found;
}

describe('MLflow endpoint: artifact uploads that go wrong', () => {
  let h: Harness;
  let runId: string;
  harnessPerTest((made) => ({ h, runId } = made), { withRun: true });

  /** A PUT that declares 100000 bytes, sends 4 and hangs up. */
  function abortedUpload(path: string): Promise<void> {
    return new Promise((resolve) => {
      const socket = connect(h.endpoint.port, '127.0.0.1', () => {
        socket.write(
          `PUT /api/2.0/mlflow-artifacts/artifacts/${path} HTTP/1.1\r\nHost: 127.0.0.1:${h.endpoint.port}\r\n` +
            `Authorization: Bearer ${h.endpoint.token}\r\nContent-Length: 100000\r\n\r\nabcd`,
          () => setTimeout(() => socket.destroy(), 5),
        );
      });
      socket.on('close', () => resolve());
      socket.on('error', () => undefined);
    });
  }

  it('closes the stream and removes the temporary file of every aborted upload', async function () {
    // 200 uploads one after another: ~2 s on a quiet machine, and CI's loaded one took over 10.
    this.timeout(60_000);
    // Warm up: the first upload opens what every later one shares.
    await h.request(`/api/2.0/mlflow-artifacts/artifacts/${runId}/warm.bin`, { method: 'PUT', rawBody: 'w' });
    const before = openDescriptors();
    for (let i = 0; i < 200; i++) await abortedUpload(`${runId}/a.bin`);
    // Each abort is cleaned up once the server sees the socket close: on a loaded machine, not at once.
    await waitFor('every aborted upload cleaned up', async () =>
      (await tempFiles(h.dir)).length === 0 ? true : undefined,
    );
    const after = openDescriptors();
    if (before !== undefined && after !== undefined) assert.ok(after - before < 10, `descriptors ${before} → ${after}`);
    const logged = await h.post('runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 1, step: 0 });
    assert.equal(logged.status, 200);
    const list = await h.get('artifacts/list', { run_id: runId });
    assert.deepEqual(list.body['files'], [{ path: 'warm.bin', is_dir: false, file_size: 1 }]);
  });

  it('removes the temporary file of an upload cut off before its file was even open', async () => {
    // The write stream opens its file asynchronously; here that open takes 200 ms, so the client is
    // gone (and the server has given up on the upload) before the file exists.
    const realOpen = fs.open;
    const slowOpen = (...args: unknown[]): void => {
      const [path] = args;
      const open = realOpen as (...a: unknown[]) => void;
      if (typeof path === 'string' && path.includes(`${TEMP_DIR}/upload.`)) setTimeout(() => open(...args), 200);
      else open(...args);
    };
    fs.open = slowOpen as typeof fs.open;
    try {
      await abortedUpload(`${runId}/early.bin`);
      await new Promise((resolve) => setTimeout(resolve, 600));
    } finally {
      fs.open = realOpen;
    }
    assert.deepEqual(await tempFiles(h.dir), []);
  });

  it('refuses an upload onto a folder or under a file with 400 and a path inside the run', async () => {
    const put = (path: string) =>
      h.request(`/api/2.0/mlflow-artifacts/artifacts/${runId}/${path}`, { method: 'PUT', rawBody: 'data' });
    assert.equal((await put('plots/loss.png')).status, 200);
    const onFolder = await put('plots');
    assert.equal(onFolder.status, 400);
    assert.match(String(onFolder.body['message']), /'plots' is a folder/);
    const underFile = await put('plots/loss.png/inner.txt');
    assert.equal(underFile.status, 400);
    assert.match(String(underFile.body['message']), /'plots\/loss.png' is a file/);
    for (const reply of [onFolder, underFile]) assert.ok(!String(reply.body['message']).includes(h.dir));
    assert.deepEqual(await tempFiles(h.dir), []);
  });

  it('removes temporary files of dead processes when the store opens, and keeps those of live ones', async () => {
    const tmp = join(h.dir, TEMP_DIR);
    await mkdir(tmp, { recursive: true });
    const host = hostname().replace(/[^A-Za-z0-9-]/g, '-');
    const dead = join(tmp, `upload.${host}.999999999.abc123`);
    const live = join(tmp, `upload.${host}.${process.pid}.def456`);
    await writeFile(dead, 'half');
    await writeFile(live, 'in flight');
    const store = await RunStore.open({ dir: h.dir, writer: true, version: 'test' });
    store.close();
    assert.equal(existsSync(dead), false);
    assert.equal(existsSync(live), true);
  });
});
