/**
 * Artifacts: `artifacts/list` of the tracking API, and the `mlflow-artifacts` proxy a client uses
 * when a run's `artifact_uri` is `mlflow-artifacts:/<run>` (upload with PUT, download with GET,
 * list with `?path=`). Every path goes through security.ts first; uploads stream to a temporary
 * file in `<store>/tmp/` and become the run's files (with an `artifact` journal event) only when
 * complete. A run folder or artifact folder that is a symbolic link is no run's.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UnsafeRunPath, runJournalPath } from '../store/journalAppend';
import { newTempPath } from '../store/storeTemp';
import type { EndpointContext, Handler } from './context';
import { artifactUri } from './entities';
import { Refusal, artifactSegments, confinedPath, reencodePath } from './security';
import { missing, optionalString, runIdOf } from './wire';

function artifactRoot(context: EndpointContext, runId: string): string {
  return join(context.storeDir, 'runs', runId, 'artifacts');
}

async function runExists(context: EndpointContext, runId: string): Promise<boolean> {
  try {
    // A run folder or journal that is a symbolic link is no run of this store (journalAppend.ts).
    const journal = await runJournalPath(context.storeDir, runId);
    if ((await lstat(journal)).isSymbolicLink()) throw new UnsafeRunPath(`the journal of run ${runId} is a link`);
    if ((await lstat(artifactRoot(context, runId)).catch(() => undefined))?.isSymbolicLink()) {
      throw new UnsafeRunPath(`the artifact folder of run ${runId} is a symbolic link`);
    }
    return true;
  } catch (error) {
    if (error instanceof UnsafeRunPath) context.log('warn', `MLflow endpoint: ${error.message}; refused.`);
    return false;
  }
}

interface Listed {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

/** The entries of one folder, each `path` being `prefix` + its name. */
async function listFolder(folder: string, prefix: string): Promise<Listed[]> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return [];
  }
  const listed: Listed[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    // A half-written upload of an older Runlog, which wrote them beside the target.
    if (entry.name.includes('.runlog-upload-')) continue;
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) listed.push({ path, is_dir: true });
    else if (entry.isFile())
      listed.push({ path, is_dir: false, file_size: (await stat(join(folder, entry.name))).size });
  }
  return listed;
}

/** `artifacts/list`: paths relative to the run's artifact root. */
export const listArtifacts: Handler = async (context, fields) => {
  const runId = runIdOf(fields);
  if (!(await runExists(context, runId))) throw missing(`Run '${runId}' not found.`);
  const raw = optionalString(fields, 'path') ?? '';
  const segments = artifactSegments(reencodePath(raw));
  const folder = await confinedPath(artifactRoot(context, runId), segments);
  return { root_uri: artifactUri(runId), files: await listFolder(folder, segments.join('/')) };
};

/** Splits a proxy path into the run and the path inside its artifacts, checking both. */
async function proxyTarget(
  context: EndpointContext,
  rawPath: string,
): Promise<{ runId: string; segments: string[]; file: string }> {
  const [runId, ...segments] = artifactSegments(rawPath);
  if (runId === undefined || !(await runExists(context, runId))) {
    throw missing(`No run's artifacts at '${rawPath.slice(0, 200)}'.`);
  }
  return { runId, segments, file: await confinedPath(artifactRoot(context, runId), segments) };
}

export async function proxyList(context: EndpointContext, rawPath: string): Promise<object> {
  const { file } = await proxyTarget(context, rawPath);
  return { files: await listFolder(file, '') };
}

export async function proxyDownload(context: EndpointContext, rawPath: string, res: ServerResponse): Promise<void> {
  const { file } = await proxyTarget(context, rawPath);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw missing(`No artifact at '${rawPath.slice(0, 200)}'.`);
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': info.size });
  await new Promise<void>((resolve, reject) => {
    const stream = createReadStream(file);
    stream.on('error', reject);
    res.on('finish', resolve);
    res.on('close', resolve);
    stream.pipe(res);
  });
}

/** Where an upload may not go: onto a folder, or under a file. Says so with the path in the run. */
async function checkUploadTarget(root: string, segments: readonly string[]): Promise<void> {
  let at = root;
  for (const [index, segment] of segments.entries()) {
    at = join(at, segment);
    const info = await stat(at).catch(() => undefined);
    if (!info) return;
    const path = segments.slice(0, index + 1).join('/');
    if (index === segments.length - 1 && info.isDirectory()) {
      throw new Refusal(400, `'${path}' is a folder of the run's artifacts; an upload needs a file path`);
    }
    if (index < segments.length - 1 && !info.isDirectory()) {
      throw new Refusal(400, `'${path}' is a file of the run's artifacts, so nothing can go under it`);
    }
  }
}

/**
 * Hashes and counts what passes. Past `limit` bytes nothing more is passed on (the rest of the body
 * is read and dropped, so the client still gets its 413 answer).
 */
function measure(limit: number): Transform & { size: number; digest: () => string } {
  const hash = createHash('sha256');
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counter.size += chunk.length;
      if (counter.size > limit) {
        done();
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const counter = Object.assign(stream, { size: 0, digest: () => hash.digest('hex') });
  return counter;
}

/**
 * Streams an upload to a temporary file of the store and renames it into the run's artifacts when
 * it is complete. A client that goes away mid-upload, a body over `limit` (413), a full disk: the
 * stream is closed and the temporary file removed, every time. Files left by a crash are removed
 * when the store next opens (storeTemp.ts).
 */
export async function proxyUpload(
  context: EndpointContext,
  rawPath: string,
  req: IncomingMessage,
  limit: number,
): Promise<object> {
  const { runId, segments, file } = await proxyTarget(context, rawPath);
  if (segments.length === 0) throw new Refusal(400, 'an upload needs a file path inside the run');
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new Refusal(413, `the upload is larger than ${limit} bytes`);
  const root = artifactRoot(context, runId);
  await checkUploadTarget(root, segments);
  await mkdir(dirname(file), { recursive: true });
  // The folders just made must not have let the path escape either (a symlink raced in).
  await confinedPath(root, segments);
  const temp = await newTempPath(context.storeDir, 'upload');
  const counter = measure(limit);
  try {
    await pipeline(req, counter, createWriteStream(temp, { flags: 'wx' }));
    if (counter.size > limit) throw new Refusal(413, `the upload is larger than ${limit} bytes`);
    await moveInto(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'ENOTEMPTY') {
      throw new Refusal(400, `'${segments.join('/')}' cannot be written: a folder and a file of that name collide`);
    }
    throw error;
  }
  await context.append(runId, [
    { t: 'artifact', ts: Date.now(), path: segments.join('/'), size: counter.size, sha256: counter.digest() },
  ]);
  return {};
}

/** Renames a finished temporary file into place; across file systems, copies it. */
async function moveInto(temp: string, file: string): Promise<void> {
  try {
    await rename(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(temp, file);
    await rm(temp, { force: true });
  }
}
