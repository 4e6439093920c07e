/**
 * A run's files fetched from the server's artifact proxy: streamed to disk with their size and
 * SHA-256 (what the journal's artifact events record), restarted from the first byte when a
 * download breaks. Paths that could leave the run's folder are refused; Runlog's own files of a
 * pushed run (`runlog/…`) become journal events instead (pull.ts).
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RunEvent } from '../store/events';
import { safeArtifactPath } from './artifactUpload';
import type { FileInfo, MlflowClient } from './mlflowClient';
import { RUNLOG_ARTIFACTS } from './syncTags';

/** Downloads one file to `target`, returning its size and SHA-256. */
export async function download(
  client: MlflowClient,
  root: string,
  path: string,
  target: string,
  onBytes: (n: number) => void = () => undefined,
): Promise<{ size: number; sha256: string }> {
  await mkdir(dirname(target), { recursive: true });
  let size = 0;
  let sha256 = '';
  await client.downloadArtifact(root, path, async (stream) => {
    const hash = createHash('sha256');
    size = 0;
    const counting = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        hash.update(chunk);
        size += chunk.length;
        onBytes(chunk.length);
        done(null, chunk);
      },
    });
    await pipeline(stream, counting, createWriteStream(target, { flags: 'w' }));
    sha256 = hash.digest('hex');
  });
  return { size, sha256 };
}

/** A small file of the run's read as text (Runlog's git diff), not kept. */
export async function downloadText(
  client: MlflowClient,
  root: string | undefined,
  files: readonly FileInfo[],
  path: string,
  dir: string,
): Promise<string | undefined> {
  if (root === undefined || !files.some((f) => f.path === path)) return undefined;
  const target = join(dir, `.${path.replace(/\//g, '_')}`);
  await download(client, root, path, target);
  const text = await readFile(target, 'utf8');
  await rm(target, { force: true });
  return text;
}

/** Downloads the run's files (not Runlog's own) that differ from `have`, as artifact events. */
export async function downloadFiles(
  client: MlflowClient,
  root: string,
  files: readonly FileInfo[],
  into: string,
  have: ReadonlyMap<string, number>,
  ts: number,
  counter: { readonly bytes: (n: number) => void; readonly warn: (message: string) => void },
): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for (const file of files) {
    if (RUNLOG_ARTIFACTS.includes(file.path)) continue;
    if (!safeArtifactPath(file.path)) {
      counter.warn(`an artifact named "${file.path.slice(0, 80)}" points outside its run's folder; not pulled`);
      continue;
    }
    if (have.get(file.path) === Number(file.file_size ?? -1)) continue;
    const { size, sha256 } = await download(
      client,
      root,
      file.path,
      join(into, ...file.path.split('/')),
      counter.bytes,
    );
    events.push({ t: 'artifact', ts, path: file.path, size, sha256 });
  }
  return events;
}
