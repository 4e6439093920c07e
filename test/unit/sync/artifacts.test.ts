import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ArtifactChangedError, uploadArtifact } from '../../../src/sync/artifactUpload';
import { MlflowClient } from '../../../src/sync/mlflowClient';
import { connect, removeRoot, tempRoot } from './syncFixture';

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly auth: string | undefined;
  readonly body: Buffer;
}

/** A server with an artifact proxy whose store offers multipart uploads (as MLflow's does on S3). */
async function artifactServer(options: { multipart: boolean; cutFirstPut?: boolean }): Promise<{
  uri: string;
  seen: Seen[];
  close: () => Promise<void>;
}> {
  const seen: Seen[] = [];
  let puts = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    if (req.method === 'PUT' && req.url?.includes('/artifacts/') && options.cutFirstPut && puts++ === 0) {
      // Takes a little, then hangs up: the client must start the file again from its first byte.
      req.once('data', () => req.socket.destroy());
      return;
    }
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '';
      seen.push({ method: req.method ?? '', path, auth: req.headers.authorization, body: Buffer.concat(chunks) });
      res.setHeader('Content-Type', 'application/json');
      if (path.includes('/mpu/create/')) {
        if (!options.multipart) {
          res.writeHead(501);
          res.end(
            JSON.stringify({
              error_code: 'NOT_IMPLEMENTED',
              message: 'Multipart upload is not supported for the current artifact repository',
            }),
          );
          return;
        }
        const { num_parts } = JSON.parse(Buffer.concat(chunks).toString()) as { num_parts: number };
        const port = (server.address() as AddressInfo).port;
        res.end(
          JSON.stringify({
            upload_id: 'u1',
            credentials: Array.from({ length: num_parts }, (_, i) => ({
              url: `http://127.0.0.1:${port}/bucket/part-${i + 1}?signature=x`,
              part_number: i + 1,
              headers: { 'x-amz-test': 'yes' },
            })),
          }),
        );
        return;
      }
      if (path.startsWith('/bucket/')) res.setHeader('ETag', `"etag-${path.slice(13, 14)}"`);
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('sync: artifact uploads', function () {
  this.timeout(20_000);
  let root: string;
  let file: string;
  const data = Buffer.from(Array.from({ length: 2500 }, (_, i) => String.fromCharCode(97 + (i % 26))).join(''));
  const sha256 = createHash('sha256').update(data).digest('hex');

  beforeEach(async () => {
    root = await tempRoot();
    await mkdir(join(root, 'a'), { recursive: true });
    file = join(root, 'a', 'model.bin');
    await writeFile(file, data);
  });

  afterEach(() => removeRoot(root));

  it('sends a large file in pieces to the presigned URLs, without the credentials, then completes it', async () => {
    const server = await artifactServer({ multipart: true });
    try {
      const client = new MlflowClient(await connect(server.uri, 'tok'));
      let sent = 0;
      await uploadArtifact(
        client,
        '1/run/artifacts',
        'model/model.bin',
        file,
        { size: data.length, sha256 },
        { multipartMinBytes: 1000, multipartChunkBytes: 1000 },
        (n) => (sent += n),
      );
      const create = server.seen.find((s) => s.path.includes('/mpu/create/'));
      assert.equal(create?.path, '/api/2.0/mlflow-artifacts/mpu/create/1/run/artifacts/model');
      assert.deepEqual(JSON.parse(create?.body.toString() ?? '{}'), { path: 'model.bin', num_parts: 3 });
      assert.equal(create?.auth, 'Bearer tok');
      const parts = server.seen.filter((s) => s.path.startsWith('/bucket/'));
      assert.deepEqual(
        parts.map((p) => p.body.length),
        [1000, 1000, 500],
      );
      assert.ok(
        parts.every((p) => p.auth === undefined),
        'presigned URLs get no Authorization header',
      );
      assert.equal(Buffer.concat(parts.map((p) => p.body)).toString(), data.toString());
      const complete = server.seen.find((s) => s.path.includes('/mpu/complete/'));
      assert.deepEqual(
        (JSON.parse(complete?.body.toString() ?? '{}') as { parts: unknown[] }).parts.map(
          (p) => (p as { etag: string }).etag,
        ),
        ['"etag-1"', '"etag-2"', '"etag-3"'],
      );
      assert.equal(sent, data.length);
      client.http.close();
    } finally {
      await server.close();
    }
  });

  it("streams it in one PUT where the server's store offers no multipart", async () => {
    const server = await artifactServer({ multipart: false });
    try {
      const client = new MlflowClient(await connect(server.uri, 'tok'));
      await uploadArtifact(
        client,
        '1/run/artifacts',
        'model.bin',
        file,
        { size: data.length, sha256 },
        { multipartMinBytes: 1000, multipartChunkBytes: 1000 },
        () => undefined,
      );
      const put = server.seen.find((s) => s.method === 'PUT');
      assert.equal(put?.path, '/api/2.0/mlflow-artifacts/artifacts/1/run/artifacts/model.bin');
      assert.equal(put?.body.toString(), data.toString());
      client.http.close();
    } finally {
      await server.close();
    }
  });

  it('starts a broken upload again from its first byte', async () => {
    const server = await artifactServer({ multipart: false, cutFirstPut: true });
    try {
      const client = new MlflowClient(await connect(server.uri, 'tok'));
      await uploadArtifact(
        client,
        'r',
        'model.bin',
        file,
        { size: data.length, sha256 },
        { multipartMinBytes: 1 << 30, multipartChunkBytes: 1 << 20 },
        () => undefined,
      );
      const puts = server.seen.filter((s) => s.method === 'PUT');
      assert.equal(puts.length, 1, 'the cut attempt never completed');
      assert.equal(puts[0]?.body.toString(), data.toString(), 'the whole file, from its start');
      client.http.close();
    } finally {
      await server.close();
    }
  });

  it('refuses to send a file that changed after it was logged', async () => {
    const server = await artifactServer({ multipart: false });
    try {
      const client = new MlflowClient(await connect(server.uri, 'tok'));
      await assert.rejects(
        uploadArtifact(
          client,
          'r',
          'model.bin',
          file,
          { size: data.length, sha256: '0'.repeat(64) },
          { multipartMinBytes: 1 << 30, multipartChunkBytes: 1 << 20 },
          () => undefined,
        ),
        (error: Error) => error instanceof ArtifactChangedError && /changed after it was logged/.test(error.message),
      );
      await assert.rejects(
        uploadArtifact(
          client,
          'r',
          'model.bin',
          file,
          { size: 1, sha256 },
          { multipartMinBytes: 1 << 30, multipartChunkBytes: 1 << 20 },
          () => undefined,
        ),
        /is 2500 bytes now, 1 when it was logged/,
      );
      client.http.close();
    } finally {
      await server.close();
    }
  });
});
