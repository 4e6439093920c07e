import type { App, ProgressReport } from '../app/app';
import type { RunlogCommands } from '../app/commands';
import type { StoreClient } from '../store/storeClient';
import type { RunDetails } from '../store/types';
import type { Credentials } from '../sync/credentials';
import { CancelledError } from '../sync/httpErrors';
import { MlflowClient } from '../sync/mlflowClient';
import type { MlflowHttp } from '../sync/mlflowHttp';
import type { PullSummary } from '../sync/pull';
import { pullRuns } from '../sync/pull';
import type { PushSummary } from '../sync/push';
import { pushRuns } from '../sync/push';
import { ServerUriError, normalizeServerUri, serverHost } from '../sync/serverUri';
import { progressText, pullSummaryText, pushSummaryText } from '../sync/syncSummary';
import type { StoreFolder } from '../workspaceStores';
import { resolveRunTargets } from './runTargets';
import type { ServerEntry, TrackingServers } from './trackingServers';
import type { ServerTreeNode } from '../views/serverTree';

// Connect to MLflow Server…, Push to Server and Pull Runs…: the editor's side of src/sync/, written
// against the App port. Each push or pull is one cancellable progress notification; its summary is
// a notification, and each run that failed is a line in the Runlog log with its reason.

export interface ServerCommandDeps {
  readonly app: App;
  readonly servers: TrackingServers;
  readonly folders: () => readonly StoreFolder[];
  /** The Runs view after a push, a pull or a new server. */
  readonly refresh: () => void;
  /**
   * The local runs a remote run opened in Charts joins: those of the open Charts panel, else those
   * selected in the Runs view (a teammate's run beside mine).
   */
  readonly chartedRuns?: () => readonly string[];
}

/** What Pull Runs… is given by other code (a remote run in the Runs view, tests). */
export interface PullArg {
  readonly server?: string;
  readonly experiments?: readonly string[];
  /** Only these runs (the server's ids). */
  readonly runIds?: readonly string[];
  readonly artifacts?: boolean;
}

type ServerCommandIds =
  'runlog.connectServer' | 'runlog.removeServer' | 'runlog.pushToServer' | 'runlog.pullRuns' | 'runlog.openRemoteRun';

export function serverCommands(deps: ServerCommandDeps): Pick<RunlogCommands, ServerCommandIds> {
  return {
    'runlog.connectServer': () => connectServer(deps),
    'runlog.removeServer': (arg, options) => removeServer(deps, arg, options?.confirm !== false),
    'runlog.pushToServer': (target, selected, server) => pushToServer(deps, target, selected, server),
    'runlog.pullRuns': (arg) => pullFromServer(deps, pullArg(arg)),
    'runlog.openRemoteRun': (arg) => openRemoteRun(deps, arg),
  };
}

/**
 * Runlog: Remove MLflow Server: the server's root in the Runs view (or the one named, or picked),
 * out of `runlog.servers` and `runlog.autoPush`, its credentials out of SecretStorage. Asks first
 * (unless given `{ confirm: false }`, for scripts and tests).
 */
async function removeServer(
  deps: ServerCommandDeps,
  arg: ServerTreeNode | string | undefined,
  ask: boolean,
): Promise<ServerEntry | undefined> {
  const { app, servers } = deps;
  const named = typeof arg === 'string' ? arg : arg && 'server' in arg ? arg.server.name : undefined;
  const server =
    named !== undefined
      ? servers.byName(named)
      : servers.list().length > 0
        ? await servers.pick('Runlog: remove which server?')
        : undefined;
  if (!server) return undefined;
  const confirmed =
    !ask ||
    (await app.confirm(
      `Remove the tracking server ${server.name} (${server.uri})?`,
      'Remove',
      'Its credentials are deleted from VS Code’s secret storage; the runs on the server and those pulled here stay.',
    ));
  if (!confirmed) return undefined;
  const removed = await servers.remove(server.name);
  if (removed) app.log.info(`Removed the tracking server ${removed.name} (${removed.uri})`);
  deps.refresh();
  return removed;
}

/** Pull Runs… from the Runs view: a server's node, one of its experiments, or one of its runs. */
function pullArg(arg: PullArg | ServerTreeNode | undefined): PullArg | undefined {
  if (!arg || !('kind' in arg)) return arg;
  switch (arg.kind) {
    case 'server':
      return { server: arg.server.name };
    case 'remoteExperiment':
    case 'remoteMore':
      return { server: arg.server.name, experiments: [arg.experiment.name] };
    case 'remoteRun':
      return { server: arg.server.name, runIds: [arg.run.info.run_id] };
    case 'remoteProblem':
    case 'remoteEmpty':
      return { server: arg.server.name };
  }
}

/**
 * A server's run in the Charts panel: its params, tags and metric history are pulled into the
 * store (cached there, read-only, marked with the server it came from; its files stay on the
 * server), then charted like any run. Returns the run's local id.
 */
async function openRemoteRun(
  deps: ServerCommandDeps,
  arg?: { readonly server?: string; readonly runId?: string },
): Promise<string | undefined> {
  if (!arg?.server || !arg.runId) return undefined;
  const summary = await pullFromServer(deps, { server: arg.server, runIds: [arg.runId], artifacts: false }, true);
  const local = [...(summary?.pulled ?? []), ...(summary?.unchanged ?? [])].find((r) => r.id === arg.runId)?.local;
  if (!local) return undefined;
  const runIds = [...new Set([...(deps.chartedRuns?.() ?? []), local])];
  await deps.app.executeCommand('runlog.openCharts', { runIds });
  return local;
}

function uriProblem(text: string): string | undefined {
  try {
    normalizeServerUri(text);
    return undefined;
  } catch (error) {
    return error instanceof ServerUriError ? error.message : String(error);
  }
}

const NO_CREDENTIALS = 'No credentials';
const TOKEN = 'Token';
const BASIC = 'User name and password';

async function askCredentials(app: App): Promise<Credentials | undefined> {
  const kind = await app.showQuickPick(
    [
      {
        label: NO_CREDENTIALS,
        detail: "MLflow's own: MLFLOW_TRACKING_TOKEN, _USERNAME/_PASSWORD, ~/.mlflow/credentials",
      },
      { label: TOKEN, detail: 'sent as Authorization: Bearer' },
      { label: BASIC, detail: "sent as HTTP Basic, as MLflow's basic-auth app expects" },
    ],
    { title: 'Runlog: how the server knows you (kept in VS Code’s secret storage)' },
  );
  if (!kind) return undefined;
  if (kind.label === NO_CREDENTIALS) return {};
  if (kind.label === TOKEN) {
    const token = await app.showInputBox({ title: 'Runlog: the access token', password: true });
    return token ? { token } : undefined;
  }
  const username = await app.showInputBox({ title: 'Runlog: user name' });
  if (!username) return undefined;
  const password = await app.showInputBox({ title: `Runlog: the password of ${username}`, password: true });
  return password ? { username, password } : undefined;
}

/**
 * Runlog: Connect to MLflow Server…: a URI, a name and how to authenticate; the server is asked for
 * its experiments before anything is kept, so a wrong URI or password is said at once.
 */
async function connectServer(deps: ServerCommandDeps): Promise<ServerEntry | undefined> {
  const { app, servers } = deps;
  const typed = await app.showInputBox({
    title: 'Runlog: the MLflow tracking server',
    prompt: 'http://host:5000 or https://mlflow.team.example (credentials are asked next, never in the URI)',
    validateInput: (text) => (text.trim() === '' ? undefined : uriProblem(text)),
  });
  if (!typed?.trim() || uriProblem(typed)) return undefined;
  const uri = normalizeServerUri(typed);
  const name = (await app.showInputBox({ title: 'Runlog: a name for this server', value: serverHost(uri) }))?.trim();
  if (!name) return undefined;
  const credentials = await askCredentials(app);
  if (!credentials) return undefined;
  const server = { name, uri };
  await servers.add(server, credentials);
  let experiments: number;
  try {
    experiments = await app.withProgress(`Runlog: connecting to ${uri}`, async (_report, signal) => {
      const http = await servers.connect(server, signal);
      try {
        return (await new MlflowClient(http).searchExperiments()).length;
      } finally {
        http.close();
      }
    });
  } catch (error) {
    app.log.warn(`Connect to ${uri}: ${(error as Error).message}`);
    void app.showWarningMessage(
      `Runlog: added ${name}, but the server did not answer as an MLflow server: ${(error as Error).message}`,
    );
    deps.refresh();
    return server;
  }
  app.log.info(`Connected to ${name} (${uri}): ${experiments} experiments`);
  void app.showInformationMessage(`Runlog: connected to ${name} (${experiments} experiments).`);
  deps.refresh();
  return server;
}

/** Writes the runs that failed (and the warnings) to the log; the summary as a notification. */
function report(app: App, text: string, summary: PushSummary | PullSummary): void {
  for (const failed of summary.failed) app.log.warn(`${failed.name} (${failed.id}): ${failed.reason}`);
  for (const warning of summary.warnings) app.log.warn(warning);
  app.log.info(text);
  if (summary.failed.length === 0) {
    void app.showInformationMessage(`Runlog: ${text}.`);
    return;
  }
  const first = summary.failed[0];
  void app
    .showWarningMessage(`Runlog: ${text}. ${first?.name}: ${first?.reason}`, 'Show Log')
    .then((choice) => (choice ? app.log.show() : undefined));
}

async function withServer<T>(
  deps: ServerCommandDeps,
  server: ServerEntry,
  title: string,
  work: (http: MlflowHttp, report: ProgressReport, signal: AbortSignal) => Promise<T>,
): Promise<T | undefined> {
  try {
    return await deps.app.withProgress(title, async (progress, signal) => {
      const http = await deps.servers.connect(server, signal);
      try {
        return await work(http, progress, signal);
      } finally {
        http.close();
      }
    });
  } catch (error) {
    if (error instanceof CancelledError) {
      deps.app.log.info(`${title}: cancelled`);
      return undefined;
    }
    deps.app.log.error(`${title}: ${(error as Error).message}`);
    void deps.app.showErrorMessage(`${title} failed: ${(error as Error).message}`);
    return undefined;
  }
}

/** The runs of one store and its folder on disk. */
async function runsByStore(
  deps: ServerCommandDeps,
  target: unknown,
  selected: unknown,
): Promise<{ store: StoreClient; dir: string; runs: RunDetails[] }[]> {
  const refs = await resolveRunTargets(target, selected, deps.folders);
  const byStore = new Map<StoreClient, string[]>();
  for (const ref of refs) byStore.set(ref.store, [...(byStore.get(ref.store) ?? []), ref.runId]);
  return Promise.all(
    [...byStore].map(async ([store, ids]) => {
      const { dir } = await store.call('status');
      const runs = await Promise.all(ids.map((id) => store.call('getRun', id)));
      return { store, dir, runs: runs.filter((r): r is RunDetails => r !== undefined) };
    }),
  );
}

/** Push to Server: the runs (selected, given or picked) to a server, sending what it lacks. */
async function pushToServer(
  deps: ServerCommandDeps,
  target: unknown,
  selected: unknown,
  serverName?: string,
): Promise<PushSummary | undefined> {
  const groups = await runsByStore(deps, target, selected);
  const total = groups.reduce((n, g) => n + g.runs.length, 0);
  if (total === 0) return undefined;
  const server = await deps.servers.pick('Runlog: push to which server?', serverName);
  if (!server) return undefined;
  const title = `Runlog: pushing ${total === 1 ? groups[0]?.runs[0]?.name : `${total} runs`} to ${server.name}`;
  const summary = await withServer(deps, server, title, async (http, progress, signal) => {
    const summaries: PushSummary[] = [];
    let before = 0;
    for (const { store, dir, runs } of groups) {
      summaries.push(
        await pushRuns({
          storeDir: dir,
          runs,
          http,
          models: await store.call('registeredModels'),
          signal,
          progress: (p) =>
            progress(
              progressText({ ...p, runsDone: before + p.runsDone, runsTotal: total }),
              (before + p.runsDone) / total,
            ),
        }),
      );
      before += runs.length;
    }
    return mergePushes(summaries);
  });
  if (summary) report(deps.app, pushSummaryText(summary), summary);
  // The pushed runs' "↑ server" in the Runs view.
  deps.refresh();
  return summary;
}

function mergePushes(summaries: readonly PushSummary[]): PushSummary {
  const [first] = summaries;
  const last = summaries[summaries.length - 1];
  if (!first || !last) throw new Error('no push to merge');
  const all = <K extends keyof PushSummary>(key: K): PushSummary[K] =>
    summaries.flatMap((s) => s[key] as unknown[]) as unknown as PushSummary[K];
  const sum = (key: 'points' | 'bytes' | 'requests' | 'writes'): number => summaries.reduce((n, s) => n + s[key], 0);
  return {
    server: first.server,
    pushed: all('pushed'),
    unchanged: all('unchanged'),
    skipped: all('skipped'),
    failed: all('failed'),
    warnings: all('warnings'),
    versions: all('versions'),
    points: sum('points'),
    bytes: sum('bytes'),
    // One connection for every store: its counts are the whole push's.
    requests: last.requests,
    writes: last.writes,
    cancelled: summaries.some((s) => s.cancelled),
  };
}

async function pickStore(deps: ServerCommandDeps): Promise<StoreFolder | undefined> {
  const folders = deps.folders();
  if (folders.length <= 1) return folders[0];
  const picked = await deps.app.showQuickPick(
    folders.map((folder) => ({ label: folder.name, folder })),
    { title: 'Runlog: pull the runs into the store of' },
  );
  return picked?.folder;
}

/**
 * Pull Runs…: a server's runs (the experiments picked, or `{ experiments }` / `{ runIds }`) into a
 * workspace folder's store, read-only there, with their git commit and diff and their files.
 */
async function pullFromServer(deps: ServerCommandDeps, arg?: PullArg, quiet = false): Promise<PullSummary | undefined> {
  const { app } = deps;
  const server = await deps.servers.pick('Runlog: pull runs from which server?', arg?.server);
  if (!server) return undefined;
  const folder = await pickStore(deps);
  if (!folder) {
    void app.showInformationMessage('Runlog: open a folder to pull runs into its store.');
    return undefined;
  }
  let experiments = arg?.experiments;
  if (!experiments && !arg?.runIds) {
    const known = await withServer(deps, server, `Runlog: asking ${server.name} for its experiments`, (http) =>
      new MlflowClient(http).searchExperiments(),
    );
    if (!known) return undefined;
    const picked = await app.showQuickPickMany(
      known.map((e) => ({ label: e.name, description: `experiment ${e.experiment_id}` })),
      { title: `Runlog: experiments to pull from ${server.name}` },
    );
    if (!picked || picked.length === 0) return undefined;
    experiments = picked.map((p) => p.label);
  }
  const store = folder.store;
  const { dir } = await store.call('status');
  const summary = await withServer(deps, server, `Runlog: pulling runs from ${server.name}`, (http, progress, signal) =>
    pullRuns({
      storeDir: dir,
      http,
      local: {
        getRun: async (id) => {
          await store.call('sync');
          return store.call('getRun', id);
        },
        series: (id, key) => store.call('series', id, key, 'step'),
      },
      artifacts: arg?.artifacts ?? true,
      ...(experiments ? { experiments } : {}),
      ...(arg?.runIds ? { runIds: arg.runIds } : {}),
      signal,
      progress: (p) => progress(progressText(p), p.runsTotal === 0 ? 1 : p.runsDone / p.runsTotal),
    }),
  );
  if (!summary) return undefined;
  await store.call('sync').catch(() => []);
  deps.refresh();
  if (!quiet || summary.failed.length > 0) report(app, pullSummaryText(summary), summary);
  return summary;
}
