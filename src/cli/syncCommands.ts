/**
 * `runlog push --to URI` and `runlog pull --from URI`: a store's runs to and from an MLflow tracking
 * server (src/sync/), authenticated as MLflow's own client is (its environment variables and
 * `~/.mlflow/credentials`). Progress goes to stderr on a terminal; the summary to stdout; each
 * failed run to stderr with its reason, and the exit code is 1 when any run failed.
 */
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunDetails } from '../store/types';
import { DEFAULT_UPLOAD } from '../sync/artifactUpload';
import { SettingError, credentialsFromEnv, policyFromEnv, tlsFromEnv } from '../sync/credentials';
import { ConnectionError, HttpError } from '../sync/httpErrors';
import { MlflowHttp } from '../sync/mlflowHttp';
import { NoSuchExperimentError, pullRuns } from '../sync/pull';
import { pushRuns } from '../sync/push';
import { ServerUriError, normalizeServerUri } from '../sync/serverUri';
import { pullSummaryText, progressText, pushSummaryText } from '../sync/syncSummary';
import { SyncBusyError } from '../sync/syncState';
import type { CommandSpec, ParsedArgs } from './args';
import { flag, flags, has, usageError } from './args';
import { findStoreUpward, openStore } from './cliStore';
import type { CliContext, Command } from './context';
import { DIR_FLAG, withStore } from './context';
import { CliError, EXIT, missing } from './errors';
import { newStoreDir } from './mlrunsCommands';
import { resolveRun } from './runNames';

const AUTH_DETAILS = [
  'Credentials as MLflow takes them: MLFLOW_TRACKING_TOKEN (Bearer), or MLFLOW_TRACKING_USERNAME and',
  'MLFLOW_TRACKING_PASSWORD (Basic; each falls back to ~/.mlflow/credentials). HTTPS is verified:',
  'MLFLOW_TRACKING_SERVER_CERT_PATH names a CA bundle, MLFLOW_TRACKING_CLIENT_CERT_PATH a client certificate,',
  'MLFLOW_TRACKING_INSECURE_TLS=true skips verifying. 408, 429, 5xx and lost connections are retried',
  '(MLFLOW_HTTP_REQUEST_MAX_RETRIES, _BACKOFF_FACTOR, _TIMEOUT), waiting what Retry-After asks.',
];

const pushSpec: CommandSpec = {
  name: 'push',
  summary: 'Copy runs to an MLflow tracking server, sending only what it does not have yet.',
  usage: ['runlog push --to URI [RUN…] [--filter EXPR] [--experiment NAME] [--dir STORE]'],
  positionals: { name: 'RUN', min: 0, max: 100_000 },
  flags: [
    { name: 'to', value: 'URI', help: 'the tracking server (http://host:5000, https://mlflow.team.example)' },
    { name: 'filter', value: 'EXPR', help: 'without RUNs: only the runs that match this filter' },
    {
      name: 'experiment',
      value: 'NAME',
      help: "the server's experiment for runs it does not have yet (default: each run's own)",
    },
    DIR_FLAG,
  ],
  details: [
    'Without RUN, every run in the store (not in the trash) that matches --filter. Pushing again sends only what',
    'the server has not confirmed; an unchanged store makes no request. Runs pulled from a server are not pushed.',
    'Each pushed run carries the tags runlog.source_id and runlog.store_id, by which a push that lost its record',
    '(<store>/sync/) finds it again instead of creating another. Versions registered from pushed runs are',
    'registered on the server too. Exit 1 when some run failed (each is named on stderr with the reason).',
    '',
    ...AUTH_DETAILS,
  ],
};

const pullSpec: CommandSpec = {
  name: 'pull',
  summary: "Copy a tracking server's runs into the store (read-only there), with their git diff and files.",
  usage: ['runlog pull --from URI [--experiment NAME…] [--filter EXPR] [--no-artifacts] [--dir STORE]'],
  positionals: { name: 'argument', min: 0, max: 0 },
  flags: [
    { name: 'from', value: 'URI', help: 'the tracking server' },
    { name: 'experiment', value: 'NAME', repeat: true, help: 'only this experiment (default: every active one)' },
    { name: 'filter', value: 'EXPR', help: "MLflow's search filter, run by the server (metrics.rmse < 0.3)" },
    { name: 'no-artifacts', help: "leave the runs' files on the server (the git diff still comes)" },
    DIR_FLAG,
  ],
  details: [
    'Pulled runs carry runlog.remote and runlog.remote_run_id; the editor keeps them read-only and push leaves',
    'them out. Pulling again adds only what changed on the server; runs this store pushed are not pulled back.',
    'Without --dir and RUNLOG_DIR the store is the nearest .runlog/ above, else a new one at the top of the git',
    'work tree. Exit 1 when some run failed, 3 when an --experiment is not on the server.',
    '',
    ...AUTH_DETAILS,
  ],
};

function bytesSetting(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (!value) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new SettingError(`${name} must be a positive number of bytes, not "${value}"`);
  return n;
}

/** The server and how to reach it, from the flag and MLflow's environment. */
async function connect(spec: CommandSpec, uriFlag: string | undefined, context: CliContext): Promise<MlflowHttp> {
  if (!uriFlag) throw usageError(spec, `--${spec.name === 'push' ? 'to' : 'from'} URI is required`);
  try {
    const uri = normalizeServerUri(uriFlag);
    return await MlflowHttp.open({
      uri,
      credentials: await credentialsFromEnv(context.env, context.env['HOME'] || homedir()),
      tls: tlsFromEnv(context.env),
      policy: policyFromEnv(context.env),
    });
  } catch (error) {
    if (error instanceof ServerUriError || error instanceof SettingError) throw usageError(spec, error.message);
    throw new CliError((error as Error).message, EXIT.error);
  }
}

/** A failure of the whole command (the server refused us, could not be reached, is busy) as exit 4. */
function whole(error: unknown): never {
  if (error instanceof NoSuchExperimentError) throw missing(error.message);
  if (error instanceof HttpError || error instanceof ConnectionError || error instanceof SyncBusyError) {
    throw new CliError(error.message, EXIT.error);
  }
  throw error;
}

function progress(
  context: CliContext,
): ((p: Parameters<typeof progressText>[0] & { current?: string }) => void) | undefined {
  const write = context.progress;
  if (!write) return undefined;
  return (p) => write(`${progressText(p)}${p.current ? ` · ${p.current}` : ''}`);
}

async function push(args: ParsedArgs, context: CliContext): Promise<number> {
  const http = await connect(pushSpec, flag(args, 'to'), context);
  const filter = flag(args, 'filter')?.trim() || undefined;
  const experiment = flag(args, 'experiment')?.trim() || undefined;
  try {
    const summary = await withStore(args, context, async (store, dir) => {
      const ids =
        args.positionals.length > 0
          ? [...new Set(args.positionals.map((name) => resolveRun(store, name, filter).run.id))]
          : store
              .listRuns({ ...(filter ? { filter } : {}), sort: { key: 'start_time', descending: false } })
              .runs.map((r) => r.id);
      const runs = ids.map((id) => store.getRun(id)).filter((r): r is RunDetails => r !== undefined);
      const upload = {
        multipartMinBytes: bytesSetting(
          context.env,
          'MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE',
          DEFAULT_UPLOAD.multipartMinBytes,
        ),
        multipartChunkBytes: bytesSetting(
          context.env,
          'MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE',
          DEFAULT_UPLOAD.multipartChunkBytes,
        ),
      };
      const onProgress = progress(context);
      return pushRuns({
        storeDir: dir,
        runs,
        http,
        models: store.registeredModels(),
        upload,
        ...(experiment ? { experiment } : {}),
        ...(onProgress ? { progress: onProgress } : {}),
      }).catch(whole);
    });
    context.progress?.('');
    for (const failed of summary.failed) context.err(`runlog push: ${failed.name} (${failed.id}): ${failed.reason}\n`);
    for (const warning of summary.warnings) context.err(`runlog push: ${warning}\n`);
    context.out(`${pushSummaryText(summary)}\n`);
    return summary.failed.length > 0 ? EXIT.failed : EXIT.ok;
  } catch (error) {
    if (error instanceof SettingError) throw usageError(pushSpec, error.message);
    throw error;
  } finally {
    http.close();
  }
}

async function pull(args: ParsedArgs, context: CliContext): Promise<number> {
  const http = await connect(pullSpec, flag(args, 'from'), context);
  try {
    const configured = flag(args, 'dir') ?? (context.env['RUNLOG_DIR'] || undefined);
    const dir =
      configured !== undefined
        ? resolve(context.cwd, configured)
        : (findStoreUpward(context.cwd) ?? (await newStoreDir(context.cwd)));
    await mkdir(join(dir, 'runs'), { recursive: true });
    const store = await openStore(dir, {
      version: context.version,
      ...(context.wasmFile ? { wasmFile: context.wasmFile } : {}),
    });
    try {
      const onProgress = progress(context);
      const experiments = flags(args, 'experiment')
        .map((e) => e.trim())
        .filter((e) => e !== '');
      const filter = flag(args, 'filter')?.trim() || undefined;
      const summary = await pullRuns({
        storeDir: dir,
        http,
        local: {
          getRun: async (id) => {
            await store.syncJournals();
            return store.query('getRun', id);
          },
          series: (id, key) => Promise.resolve(store.query('series', id, key, 'step')),
        },
        artifacts: !has(args, 'no-artifacts'),
        ...(experiments.length > 0 ? { experiments } : {}),
        ...(filter ? { filter } : {}),
        ...(onProgress ? { progress: onProgress } : {}),
      }).catch(whole);
      context.progress?.('');
      for (const failed of summary.failed)
        context.err(`runlog pull: ${failed.name} (${failed.id}): ${failed.reason}\n`);
      for (const warning of summary.warnings) context.err(`runlog pull: ${warning}\n`);
      context.out(`${pullSummaryText(summary)} into ${dir}\n`);
      return summary.failed.length > 0 ? EXIT.failed : EXIT.ok;
    } finally {
      store.close();
    }
  } finally {
    http.close();
  }
}

export const pushCommand: Command = { spec: pushSpec, run: push };
export const pullCommand: Command = { spec: pullSpec, run: pull };
