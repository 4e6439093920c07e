/**
 * Artifacts: `artifacts/list` of the tracking API, and the `mlflow-artifacts` proxy a client uses
 * when a run's `artifact_uri` is `mlflow-artifacts:/<run>` (upload with PUT, download with GET,
 * list with `?path=`). Every path goes through security.ts first; uploads stream to a temporary
 * file and become the run's files (with an `artifact` journal event) only when complete.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import type { EndpointContext, Handler } from './context';
import { artifactUri } from './entities';
import { Refusal, artifactSegments, confinedPath, reencodePath } from './security';
import { missing, optionalString, runIdOf } from './wire';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function artifactRoot(context: EndpointContext, runId: string): string {
  return join(context.storeDir, 'runs', runId, 'artifacts');
}

async function runExists(context: EndpointContext, runId: string): Promise<boolean> {
  if (!RUN_ID.test(runId)) return false;
  return stat(join(context.storeDir, 'runs', runId, 'events.jsonl')).then(
    () => true,
    () => false,
  );
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
    // A half-written upload is not an artifact yet.
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

/** Streams an upload to disk; more than `limit` bytes is refused (413) and nothing is kept. */
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
  await mkdir(dirname(file), { recursive: true });
  // The folders just made must not have let the path escape either (a symlink raced in).
  await confinedPath(artifactRoot(context, runId), segments);
  const temp = `${file}.runlog-upload-${randomBytes(6).toString('hex')}`;
  const hash = createHash('sha256');
  let size = 0;
  let tooLarge = false;
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(temp);
    out.on('error', reject);
    out.on('finish', resolve);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        return;
      }
      hash.update(chunk);
      if (!out.write(chunk)) {
        req.pause();
        out.once('drain', () => req.resume());
      }
    });
    req.on('end', () => out.end());
    req.on('error', reject);
  });
  if (tooLarge) {
    await rm(temp, { force: true });
    throw new Refusal(413, `the upload is larger than ${limit} bytes`);
  }
  await rename(temp, file);
  await context.append(runId, [
    { t: 'artifact', ts: Date.now(), path: segments.join('/'), size, sha256: hash.digest('hex') },
  ]);
  return {};
}
