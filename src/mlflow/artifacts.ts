/**
 * Artifacts: `artifacts/list` of the tracking API, and the `mlflow-artifacts` proxy a client uses
 * when a run's `artifact_uri` is `mlflow-artifacts:/<run>` or a logged model's is
 * `mlflow-artifacts:/experiments/<experiment>/models/<model>/artifacts` (upload with PUT, download
 * with GET, list with `?path=`, remove with DELETE). Every path goes through security.ts first;
 * uploads stream to a temporary file in `<store>/tmp/` and become the run's (or model's) files, with
 * a journal event, only when complete. A run or model folder that is a symbolic link is no one's.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { MODEL_ID } from '../store/eventParse';
import { UnsafeRunPath, runJournalPath } from '../store/journalAppend';
import { MODELS_DIR } from '../store/storeLocation';
import { newTempPath } from '../store/storeTemp';
import type { LoggedModelRecord } from '../store/types';
import type { EndpointContext, Handler, RouteSet, StreamHandler } from './context';
import { sendJson } from './context';
import { artifactUri } from './entities';
import { loggedModelArtifactUri } from './loggedModels';
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
const listArtifacts: Handler = async (context, fields) => {
  const runId = runIdOf(fields);
  if (!(await runExists(context, runId))) throw missing(`Run '${runId}' not found.`);
  const raw = optionalString(fields, 'path') ?? '';
  const segments = artifactSegments(reencodePath(raw));
  const folder = await confinedPath(artifactRoot(context, runId), segments);
  return { root_uri: artifactUri(runId), files: await listFolder(folder, segments.join('/')) };
};

/** Where a proxy path leads: a run's artifacts or a logged model's, and how to record a change there. */
interface ProxyTarget {
  readonly root: string;
  readonly segments: string[];
  readonly file: string;
  /** "the run's" or "the logged model's", for messages. */
  readonly owner: string;
  readonly added: (path: string, size: number, sha256: string) => Promise<void>;
  readonly removed: (path: string) => Promise<void>;
}

/** A folder of the store that is a symbolic link belongs to no run or model: refused, and logged. */
async function notLinked(context: EndpointContext, folders: readonly string[], what: string): Promise<boolean> {
  for (const folder of folders) {
    if ((await lstat(folder).catch(() => undefined))?.isSymbolicLink()) {
      context.log('warn', `MLflow endpoint: ${what} is a symbolic link; refused.`);
      return false;
    }
  }
  return true;
}

/**
 * `[experiments/]<experiment>/models/<model>/artifacts/…` of a logged model that exists, else
 * undefined. A run comes first: a run whose id is an experiment's keeps its own paths.
 */
async function modelTarget(context: EndpointContext, parts: readonly string[]): Promise<ProxyTarget | undefined> {
  const at = parts[0] === 'experiments' ? 1 : 0;
  const [experimentId, models, modelId, artifacts] = parts.slice(at, at + 4);
  if (models !== MODELS_DIR || artifacts !== 'artifacts' || !modelId || !MODEL_ID.test(modelId)) return undefined;
  const [model] = await context.reads.query('loggedModels', { ids: [modelId] });
  if (!model || model.experimentId !== experimentId) return undefined;
  const folder = join(context.storeDir, MODELS_DIR, modelId);
  const root = join(folder, 'artifacts');
  if (
    !(await notLinked(
      context,
      [join(context.storeDir, MODELS_DIR), folder, root],
      `the folder of logged model ${modelId}`,
    ))
  ) {
    return undefined;
  }
  const segments = parts.slice(at + 4);
  return {
    root,
    segments,
    file: await confinedPath(root, segments),
    owner: "the logged model's",
    added: (path, size, sha256) =>
      context.appendModels([
        { t: 'logged_model', ts: Date.now(), action: 'artifact', model_id: modelId, path, size, sha256 },
      ]),
    removed: (path) =>
      context.appendModels([{ t: 'logged_model', ts: Date.now(), action: 'remove_artifact', model_id: modelId, path }]),
  };
}

/** Splits a proxy path into a run's or logged model's artifacts and the path inside them, checking both. */
async function proxyTarget(context: EndpointContext, rawPath: string): Promise<ProxyTarget> {
  const parts = artifactSegments(rawPath);
  const [runId, ...segments] = parts;
  if (runId !== undefined && (await runExists(context, runId))) {
    const root = artifactRoot(context, runId);
    return {
      root,
      segments,
      file: await confinedPath(root, segments),
      owner: "the run's",
      added: (path, size, sha256) => context.append(runId, [{ t: 'artifact', ts: Date.now(), path, size, sha256 }]),
      removed: (path) => context.append(runId, [{ t: 'artifact_removed', ts: Date.now(), path }]),
    };
  }
  await context.fresh();
  const model = await modelTarget(context, parts);
  if (!model) throw missing(`No run's or logged model's artifacts at '${rawPath.slice(0, 200)}'.`);
  return model;
}

async function proxyList(context: EndpointContext, rawPath: string): Promise<object> {
  const { file } = await proxyTarget(context, rawPath);
  return { files: await listFolder(file, '') };
}

async function proxyDownload(context: EndpointContext, rawPath: string, res: ServerResponse): Promise<void> {
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

/**
 * MLflow's artifact DELETE: the file or folder goes, with an event saying so (the store forgets its
 * files). Nothing there: nothing to do, as MLflow's own repositories answer. The root itself is kept.
 */
async function proxyDelete(context: EndpointContext, rawPath: string): Promise<object> {
  const target = await proxyTarget(context, rawPath);
  if (target.segments.length === 0)
    throw new Refusal(400, `a DELETE names a file or folder of ${target.owner} artifacts`);
  if (!(await lstat(target.file).catch(() => undefined))) return {};
  await rm(target.file, { recursive: true, force: true });
  await target.removed(target.segments.join('/'));
  return {};
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
      throw new Refusal(400, `'${path}' is a folder of the artifacts; an upload needs a file path`);
    }
    if (index < segments.length - 1 && !info.isDirectory()) {
      throw new Refusal(400, `'${path}' is a file of the artifacts, so nothing can go under it`);
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
 * Streams an upload to a temporary file of the store and renames it into the run's (or model's)
 * artifacts when it is complete. A client that goes away mid-upload, a body over `limit` (413), a
 * full disk: the stream is closed and the temporary file removed, every time. Files left by a crash
 * are removed when the store next opens (storeTemp.ts).
 */
async function proxyUpload(
  context: EndpointContext,
  rawPath: string,
  req: IncomingMessage,
  limit: number,
): Promise<object> {
  const { root, segments, file, owner, added } = await proxyTarget(context, rawPath);
  if (segments.length === 0) throw new Refusal(400, `an upload needs a file path inside ${owner} artifacts`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new Refusal(413, `the upload is larger than ${limit} bytes`);
  await checkUploadTarget(root, segments);
  await mkdir(dirname(file), { recursive: true });
  // The folders just made must not have let the path escape either (a symlink raced in).
  await confinedPath(root, segments);
  const temp = await newTempPath(context.storeDir, 'upload');
  const counter = measure(limit);
  const out = createWriteStream(temp, { flags: 'wx' });
  try {
    await pipeline(req, counter, out);
    if (counter.size > limit) throw new Refusal(413, `the upload is larger than ${limit} bytes`);
    await moveInto(temp, file);
  } catch (error) {
    // The stream opens its file asynchronously: a client gone before that open completes makes the
    // file appear after a removal done now. Once the stream has closed, the file is there or never.
    if (!out.closed) await Promise.race([once(out, 'close'), delay(5_000)]).catch(() => undefined);
    await rm(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'ENOTEMPTY') {
      throw new Refusal(400, `'${segments.join('/')}' cannot be written: a folder and a file of that name collide`);
    }
    throw error;
  }
  await added(segments.join('/'), counter.size, counter.digest());
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

/** `logged-models/{id}/artifacts/directories`: a folder of a logged model's files, paths relative to its root. */
export async function listModelArtifacts(
  context: EndpointContext,
  model: LoggedModelRecord,
  rawPath: string | undefined,
): Promise<object> {
  const segments = artifactSegments(reencodePath(rawPath ?? ''));
  const root = join(context.storeDir, MODELS_DIR, model.id, 'artifacts');
  const folder = join(context.storeDir, MODELS_DIR, model.id);
  if (
    !(await notLinked(
      context,
      [join(context.storeDir, MODELS_DIR), folder, root],
      `the folder of logged model ${model.id}`,
    ))
  ) {
    throw missing(`Logged model with ID '${model.id}' not found.`);
  }
  const files = await listFolder(await confinedPath(root, segments), segments.join('/'));
  return { root_uri: loggedModelArtifactUri(model), files };
}

/** The proxy's one path: `<path>` is still percent-encoded here, for artifactSegments to decode once. */
const proxy: StreamHandler = async (context, params, query, { req, res, uploadLimit }) => {
  const rawPath = params['artifact_path'] ?? '';
  switch (req.method) {
    case 'PUT':
      sendJson(res, 200, await proxyUpload(context, rawPath, req, uploadLimit));
      return;
    case 'DELETE':
      sendJson(res, 200, await proxyDelete(context, rawPath));
      return;
    default:
      if (rawPath === '') {
        sendJson(res, 200, await proxyList(context, reencodePath(optionalString(query, 'path') ?? '')));
      } else {
        await proxyDownload(context, rawPath, res);
      }
  }
};

const listRoot: StreamHandler = async (context, _params, query, { res }) => {
  sendJson(res, 200, await proxyList(context, reencodePath(optionalString(query, 'path') ?? '')));
};

/** Under `mlflow-artifacts/` (the proxy) and `mlflow/` (`artifacts/list`). */
export const ARTIFACT_ROUTES: RouteSet = {
  artifacts: { methods: ['GET'], stream: listRoot },
  'artifacts/<path:artifact_path>': { methods: ['GET', 'PUT', 'DELETE'], stream: proxy },
};

export const ARTIFACT_LIST_ROUTES: RouteSet = {
  'artifacts/list': { methods: ['GET'], handler: listArtifacts },
};
