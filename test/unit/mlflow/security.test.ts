import * as assert from 'node:assert/strict';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Refusal, artifactSegments, checkAuthorization } from '../../../src/mlflow/security';
import { Harness, harnessPerTest } from './endpointHarness';

describe('MLflow endpoint: security', function () {
  this.timeout(10_000);
  let h: Harness;
  harnessPerTest((made) => ({ h } = made), { maxJsonBytes: 4096, maxUploadBytes: 8192 });

  const search = '/api/2.0/mlflow/experiments/search';

  it('listens on 127.0.0.1 only, on a random port, with a random token per session', async () => {
    const other = await Harness.start();
    try {
      assert.notEqual(other.endpoint.port, h.endpoint.port);
      assert.notEqual(other.endpoint.token, h.endpoint.token);
      assert.ok(h.endpoint.token.length >= 40);
      assert.equal(h.endpoint.uri, `http://127.0.0.1:${h.endpoint.port}`);
      assert.deepEqual(h.endpoint.env('r1'), {
        MLFLOW_TRACKING_URI: h.endpoint.uri,
        MLFLOW_TRACKING_TOKEN: h.endpoint.token,
        MLFLOW_RUN_ID: 'r1',
      });
      const address = (h.endpoint as unknown as { server: { address(): { address: string } } }).server.address();
      assert.equal(address.address, '127.0.0.1');
    } finally {
      await other.stop();
    }
  });

  it('answers 401 without the token or with a wrong one, and logs why', async () => {
    assert.equal((await h.request(search, { auth: false })).status, 401);
    const wrong = await h.request(search, { auth: false, headers: { Authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body['error_code'], 'UNAUTHENTICATED');
    const scheme = await h.request(search, { auth: false, headers: { Authorization: `Token ${h.endpoint.token}` } });
    assert.equal(scheme.status, 401);
    assert.ok(h.logs.some((l) => /refused GET .*wrong token/.test(l)));
    assert.ok(!h.logs.some((l) => l.includes(h.endpoint.token)), 'the token is never logged');
  });

  it('accepts Bearer, and Basic with the token as the password', async () => {
    assert.equal((await h.request(search)).status, 200);
    const basic = Buffer.from(`anyone:${h.endpoint.token}`).toString('base64');
    assert.equal((await h.request(search, { auth: false, headers: { Authorization: `Basic ${basic}` } })).status, 200);
    const wrongBasic = Buffer.from(`${h.endpoint.token}:x`).toString('base64');
    assert.equal(
      (await h.request(search, { auth: false, headers: { Authorization: `Basic ${wrongBasic}` } })).status,
      401,
    );
  });

  it('checks the token in constant time whatever its length', () => {
    assert.throws(() => checkAuthorization('Bearer a', 'abc'), Refusal);
    assert.throws(() => checkAuthorization('Bearer abcd', 'abc'), Refusal);
    assert.doesNotThrow(() => checkAuthorization('Bearer abc', 'abc'));
  });

  it('refuses a Host that is not 127.0.0.1 or localhost with this port (DNS rebinding): 403', async () => {
    const port = h.endpoint.port;
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      '127.0.0.1',
      `127.0.0.1:${port + 1}`,
      `localhost.evil:${port}`,
    ]) {
      const reply = await h.request(search, { headers: { Host: host } });
      assert.equal(reply.status, 403, host);
      assert.equal(reply.body['error_code'], 'PERMISSION_DENIED');
    }
    assert.equal((await h.request(search, { headers: { Host: `localhost:${port}` } })).status, 200);
    assert.ok(h.logs.some((l) => l.includes('Host "evil.example"')));
  });

  it('refuses any request with an Origin header: 403', async () => {
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${h.endpoint.port}`]) {
      const reply = await h.request(search, { headers: { Origin: origin } });
      assert.equal(reply.status, 403, origin);
    }
  });

  it('refuses POSTs that are not application/json: 415, nothing written', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
      const reply = await h.request('/api/2.0/mlflow/experiments/create', {
        rawBody: JSON.stringify({ name: 'drive-by' }),
        headers: type ? { 'Content-Type': type } : {},
      });
      assert.equal(reply.status, 415, type);
    }
    const ok = await h.request('/api/2.0/mlflow/experiments/create', {
      rawBody: JSON.stringify({ name: 'fine' }),
      headers: { 'Content-Type': 'application/json; charset=utf-8' },
    });
    assert.equal(ok.status, 200);
    const names = ((await h.request(search)).body['experiments'] as { name: string }[]).map((e) => e.name);
    assert.deepEqual(names.sort(), ['Default', 'fine']);
  });

  it('bounds the body: 413 over the limit', async () => {
    const reply = await h.post('experiments/create', { name: 'x'.repeat(5000) });
    assert.equal(reply.status, 413);
    assert.ok(h.logs.some((l) => /larger than 4096 bytes/.test(l)));
  });

  it('answers a deeply nested body with INVALID_PARAMETER_VALUE, and keeps serving', async () => {
    const nested = `{"name": ${'['.repeat(2000)}${']'.repeat(2000)}}`;
    const reply = await h.request('/api/2.0/mlflow/experiments/create', {
      rawBody: nested,
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(reply.status, 400);
    assert.equal(reply.body['error_code'], 'INVALID_PARAMETER_VALUE');
    assert.equal((await h.request(search)).status, 200);
  });

  describe('artifact paths', () => {
    let runId: string;
    beforeEach(async () => {
      runId = await h.createRun();
    });
    const proxy = (path: string): string => `/api/2.0/mlflow-artifacts/artifacts/${path}`;
    const upload = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
      h.request(proxy(path), { method: 'PUT', rawBody: body, headers });

    it('uploads, lists and downloads a file inside the run, recorded in its journal', async () => {
      assert.equal((await upload(`${runId}/plots/loss.png`, 'PNG!')).status, 200);
      const list = await h.request(`/api/2.0/mlflow-artifacts/artifacts?path=${runId}/plots`);
      assert.deepEqual(list.body['files'], [{ path: 'loss.png', is_dir: false, file_size: 4 }]);
      const tracking = await h.get('artifacts/list', { run_id: runId });
      assert.deepEqual(tracking.body['files'], [{ path: 'plots', is_dir: true }]);
      assert.equal(tracking.body['root_uri'], `mlflow-artifacts:/${runId}`);
      const nested = await h.get('artifacts/list', { run_id: runId, path: 'plots' });
      assert.deepEqual(nested.body['files'], [{ path: 'plots/loss.png', is_dir: false, file_size: 4 }]);
      const down = await h.request(proxy(`${runId}/plots/loss.png`));
      assert.equal(down.raw.toString(), 'PNG!');
      const journal = await readFile(join(h.dir, 'runs', runId, 'events.jsonl'), 'utf8');
      assert.match(journal, /"t":"artifact".*"path":"plots\/loss.png","size":4,"sha256":"[0-9a-f]{64}"/);
    });

    it('still needs the token and no Origin on uploads', async () => {
      assert.equal(
        (await h.request(proxy(`${runId}/a.txt`), { method: 'PUT', rawBody: 'x', auth: false })).status,
        401,
      );
      assert.equal((await upload(`${runId}/a.txt`, 'x', { Origin: 'https://evil.example' })).status, 403);
    });

    it('bounds uploads: 413 and nothing kept', async () => {
      const reply = await upload(`${runId}/big.bin`, Buffer.alloc(9000));
      assert.equal(reply.status, 413);
      const list = await h.get('artifacts/list', { run_id: runId });
      assert.deepEqual(list.body['files'] ?? [], []);
    });

    it('refuses every traversal form MLflow shipped fixes for', async () => {
      const attacks = [
        `${runId}/../../lock`,
        `${runId}/%2e%2e/%2e%2e/lock`,
        `${runId}/%252e%252e/%252e%252e/lock`,
        `${runId}/..%5c..%5clock`,
        `${runId}/..\\..\\lock`,
        `${runId}/a%23/../../lock`,
        `${runId}/a;/../../lock`,
        `${runId}//proc/self/root/etc/passwd`,
        `${runId}/%2fetc%2fpasswd`,
        `${runId}/a%00.txt`,
        `${runId}/./a.txt`,
        `%2e%2e/${runId}/a.txt`,
      ];
      for (const attack of attacks) {
        const put = await upload(attack, 'pwned');
        assert.ok(put.status === 400 || put.status === 403 || put.status === 404, `${attack}: ${put.status}`);
        const get = await h.request(proxy(attack));
        assert.ok(get.status === 400 || get.status === 403 || get.status === 404, `${attack}: ${get.status}`);
      }
      for (const path of ['../..', '/etc', '..%2f..', 'a/../../..']) {
        const list = await h.get('artifacts/list', { run_id: runId, path });
        assert.equal(list.status, 400, path);
      }
      assert.ok(h.logs.some((l) => l.includes('encoded twice')));
      assert.ok(h.logs.some((l) => l.includes('".." segment')));
    });

    it('refuses symlinks that lead out of the artifact folder', async () => {
      const artifacts = join(h.dir, 'runs', runId, 'artifacts');
      const outside = join(h.dir, '..', 'outside');
      await mkdir(outside, { recursive: true });
      await writeFile(join(outside, 'secret.txt'), 'secret');
      await symlink(outside, join(artifacts, 'escape'));
      const get = await h.request(proxy(`${runId}/escape/secret.txt`));
      assert.equal(get.status, 403);
      const put = await upload(`${runId}/escape/new.txt`, 'x');
      assert.equal(put.status, 403);
      const list = await h.get('artifacts/list', { run_id: runId, path: 'escape' });
      assert.equal(list.status, 403);
      assert.ok(h.logs.some((l) => l.includes('symlink')));
    });
  });

  it('splits artifact paths, refusing the tricks', () => {
    assert.deepEqual(artifactSegments('a/b%20c/d.txt'), ['a', 'b c', 'd.txt']);
    assert.deepEqual(artifactSegments('dir/'), ['dir']);
    // Decoded once, and a literal % or # is a file name's: MLflow's log_image names, as requests sends them.
    assert.deepEqual(artifactSegments('images/val%23loss%25step%2517%25timestamp%251700000000000%25g3f2a.png'), [
      'images',
      'val#loss%step%17%timestamp%1700000000000%g3f2a.png',
    ]);
    assert.deepEqual(artifactSegments('a%2525b/c%25zz'), ['a%25b', 'c%zz']);
    for (const raw of [
      '..',
      'a/../b',
      '%2e%2e',
      '%252e%252e',
      '..%252f..%252flock',
      '%25252e%25252e',
      'a%255cb',
      'a\\b',
      'a;b',
      'a%00',
      '/abs',
      'C:/x',
      'a//b',
      '%zz',
    ]) {
      assert.throws(() => artifactSegments(raw), Refusal, raw);
    }
  });
});
