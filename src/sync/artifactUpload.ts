/**
 * A run's file sent to the server's artifact proxy: streamed from disk (never a symbolic link),
 * its SHA-256 checked against the journal's on the way, restarted from its first byte when an
 * attempt fails. A file at least `multipartMinBytes` long goes in pieces where the server offers
 * multipart uploads (`mlflow-artifacts/mpu/*`: presigned URLs of its cloud store), one piece at a
 * time, as MLflow's client sends them; a server without them takes it in one streamed PUT.
 */
import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import type { MlflowClient } from './mlflowClient';

export interface UploadTuning {
  /** MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE (500 MB). */
  readonly multipartMinBytes: number;
  /** MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE (100 MB). */
  readonly multipartChunkBytes: number;
}

export const DEFAULT_UPLOAD: UploadTuning = { multipartMinBytes: 500 << 20, multipartChunkBytes: 100 << 20 };

export class ArtifactChangedError extends Error {
  override readonly name = 'ArtifactChangedError';
}

/** A path inside a run's artifacts as the journal names it; anything that could leave the folder is refused. */
export function safeArtifactPath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.includes('\\') || path.includes('\0')) return false;
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

async function openFile(file: string): Promise<FileHandle> {
  return open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
}

/**
 * Uploads `file` as `path` under the artifact root `root`. `sha256` is what the journal recorded:
 * a file that no longer matches it changed after it was logged, and is reported, not sent as if it
 * were that artifact. `onBytes` counts what went out.
 */
export async function uploadArtifact(
  client: MlflowClient,
  root: string,
  path: string,
  file: string,
  expected: { readonly size: number; readonly sha256: string } | undefined,
  tuning: UploadTuning,
  onBytes: (n: number) => void,
): Promise<void> {
  const probe = await openFile(file);
  const size = (await probe.stat()).size;
  await probe.close();
  if (expected && expected.size !== size) {
    throw new ArtifactChangedError(`${path} is ${size} bytes now, ${expected.size} when it was logged`);
  }
  let digest = '';
  if (size >= tuning.multipartMinBytes) {
    const multipart = await uploadInParts(client, root, path, file, size, tuning.multipartChunkBytes, onBytes);
    if (multipart !== undefined) digest = multipart;
  }
  if (digest === '') {
    let handle: FileHandle | undefined;
    // The digest of the last attempt's bytes. The server may answer before the stream's end (and
    // its flush) is seen, so the digest is taken from whichever comes first, exactly once.
    let sent: { readonly hash: Hash; bytes: number; digest?: string } | undefined;
    const digestOf = (attempt: { readonly hash: Hash; digest?: string }): string =>
      (attempt.digest ??= attempt.hash.digest('hex'));
    await client.uploadArtifact(
      root,
      path,
      async (): Promise<Readable> => {
        await handle?.close().catch(() => undefined);
        handle = await openFile(file);
        const attempt: { readonly hash: Hash; bytes: number; digest?: string } = {
          hash: createHash('sha256'),
          bytes: 0,
        };
        sent = attempt;
        const hashing = new Transform({
          transform(chunk: Buffer, _encoding, done) {
            attempt.hash.update(chunk);
            attempt.bytes += chunk.length;
            onBytes(chunk.length);
            done(null, chunk);
          },
          flush(done) {
            digestOf(attempt);
            done();
          },
        });
        return handle.createReadStream({ autoClose: false }).pipe(hashing);
      },
      size,
    );
    await handle?.close().catch(() => undefined);
    if (sent && sent.bytes === size) digest = digestOf(sent);
  }
  if (expected && digest !== '' && digest !== expected.sha256) {
    throw new ArtifactChangedError(`${path} changed after it was logged (its SHA-256 differs from the journal's)`);
  }
}

/** The multipart path: the digest of what was sent, or undefined when the server offers none. */
async function uploadInParts(
  client: MlflowClient,
  root: string,
  path: string,
  file: string,
  size: number,
  chunk: number,
  onBytes: (n: number) => void,
): Promise<string | undefined> {
  const parts = Math.max(1, Math.ceil(size / chunk));
  const created = await client.createMultipart(root, path, parts);
  if (!created) return undefined;
  const hash = createHash('sha256');
  const handle = await openFile(file);
  try {
    const done: { part_number: number; etag: string; url: string }[] = [];
    for (const [index, credential] of created.credentials.entries()) {
      const length = Math.min(chunk, size - index * chunk);
      const data = Buffer.alloc(length);
      const { bytesRead } = await handle.read(data, 0, length, index * chunk);
      if (bytesRead !== length) throw new ArtifactChangedError(`${path} got shorter while it was being sent`);
      hash.update(data);
      const etag = await client.http.putPart(credential.url, data, credential.headers ?? {});
      onBytes(length);
      done.push({ part_number: credential.part_number, etag, url: credential.url });
    }
    await client.finishMultipart(root, path, created.upload_id, done);
    return hash.digest('hex');
  } catch (error) {
    await client.finishMultipart(root, path, created.upload_id, undefined).catch(() => undefined);
    throw error;
  } finally {
    await handle.close();
  }
}

/** The same for bytes Runlog makes itself (a run's git diff as `runlog/git.diff`). */
export function uploadBytes(
  client: MlflowClient,
  root: string,
  path: string,
  data: Buffer,
  onBytes: (n: number) => void,
): Promise<void> {
  return client.uploadArtifact(
    root,
    path,
    () => {
      onBytes(data.length);
      return Promise.resolve(Readable.from([data]));
    },
    data.length,
  );
}
