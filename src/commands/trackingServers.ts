import { homedir } from 'node:os';
import type { App } from '../app/app';
import type { Credentials } from '../sync/credentials';
import { credentialsFromEnv, policyFromEnv, tlsFromEnv } from '../sync/credentials';
import { MlflowHttp } from '../sync/mlflowHttp';
import { normalizeServerUri, serverHost, serverKey } from '../sync/serverUri';

// The team's MLflow tracking servers as the editor knows them: `runlog.servers` (a name and a URI
// per entry, safe to keep in settings) and, per server, the credentials typed in Connect to MLflow
// Server…, kept in VS Code's SecretStorage only. A server without stored credentials is reached with
// MLflow's own (MLFLOW_TRACKING_TOKEN, _USERNAME/_PASSWORD, ~/.mlflow/credentials), as the CLI does;
// TLS and retries follow MLflow's environment variables in both.

export interface ServerEntry {
  readonly name: string;
  readonly uri: string;
}

/** `runlog.servers` and `runlog.autoPush` as the surface reads and writes them. */
export interface ServerSettings {
  /** The raw `runlog.servers` value (validated here). */
  servers(): unknown;
  setServers(servers: readonly ServerEntry[]): PromiseLike<void>;
  /** The raw `runlog.autoPush` value: the names of the servers each ended run is pushed to. */
  autoPush(): unknown;
  setAutoPush(names: readonly string[]): PromiseLike<void>;
}

/** The valid entries of `runlog.servers`, URIs in their one form; the first of two same names wins. */
export function parseServers(value: unknown): ServerEntry[] {
  if (!Array.isArray(value)) return [];
  const servers: ServerEntry[] = [];
  for (const raw of value as unknown[]) {
    const { name, uri } = (raw ?? {}) as { name?: unknown; uri?: unknown };
    if (typeof uri !== 'string') continue;
    let normal: string;
    try {
      normal = normalizeServerUri(uri);
    } catch {
      continue;
    }
    const label = typeof name === 'string' && name.trim() !== '' ? name.trim() : serverHost(normal);
    if (!servers.some((s) => s.name === label)) servers.push({ name: label, uri: normal });
  }
  return servers;
}

/** The SecretStorage key of a server's credentials. */
export function secretKey(uri: string): string {
  return `runlog.server.${serverKey(uri)}`;
}

function storedCredentials(text: string | undefined): Credentials | undefined {
  if (!text) return undefined;
  try {
    const { token, username, password } = JSON.parse(text) as Record<string, unknown>;
    const credentials: Credentials = {
      ...(typeof token === 'string' && token ? { token } : {}),
      ...(typeof username === 'string' && username ? { username } : {}),
      ...(typeof password === 'string' && password ? { password } : {}),
    };
    return Object.keys(credentials).length > 0 ? credentials : undefined;
  } catch {
    return undefined;
  }
}

export class TrackingServers {
  constructor(
    private readonly app: App,
    private readonly settings: ServerSettings,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  list(): ServerEntry[] {
    return parseServers(this.settings.servers());
  }

  /** The servers `runlog.autoPush` names (names of no server are left out). */
  autoPushTargets(): ServerEntry[] {
    const names = this.settings.autoPush();
    if (!Array.isArray(names)) return [];
    return this.list().filter((server) => names.includes(server.name));
  }

  byName(name: string): ServerEntry | undefined {
    return this.list().find((s) => s.name === name);
  }

  /**
   * Adds the server (or gives an entry of the same name the new URI) and keeps its credentials; the
   * credentials of the URI it replaces go, unless another entry still names that URI.
   */
  async add(server: ServerEntry, credentials: Credentials): Promise<void> {
    const replaced = this.byName(server.name);
    const others = this.list().filter((s) => s.name !== server.name);
    if (Object.keys(credentials).length > 0) {
      await this.app.secrets.store(secretKey(server.uri), JSON.stringify(credentials));
    } else {
      await this.app.secrets.delete(secretKey(server.uri));
    }
    if (replaced && replaced.uri !== server.uri && !others.some((s) => s.uri === replaced.uri)) {
      await this.app.secrets.delete(secretKey(replaced.uri));
    }
    await this.settings.setServers([...others, server]);
  }

  /**
   * Forgets a server: its `runlog.servers` entry, its name in `runlog.autoPush`, and its credentials
   * in SecretStorage (unless another entry names the same URI). What the stores pushed to it or
   * pulled from it stays (`<store>/sync/`): connecting it again carries on where they left off.
   */
  async remove(name: string): Promise<ServerEntry | undefined> {
    const server = this.byName(name);
    if (!server) return undefined;
    const others = this.list().filter((s) => s.name !== name);
    await this.settings.setServers(others);
    const autoPush = this.settings.autoPush();
    if (Array.isArray(autoPush) && autoPush.includes(name)) {
      await this.settings.setAutoPush(autoPush.filter((n): n is string => typeof n === 'string' && n !== name));
    }
    if (!others.some((s) => s.uri === server.uri)) await this.app.secrets.delete(secretKey(server.uri));
    return server;
  }

  /** A connection to the server: its stored credentials, else MLflow's environment's. */
  async connect(server: ServerEntry, signal?: AbortSignal): Promise<MlflowHttp> {
    const stored = storedCredentials(await this.app.secrets.get(secretKey(server.uri)));
    return MlflowHttp.open(
      {
        uri: server.uri,
        credentials: stored ?? (await credentialsFromEnv(this.env, this.env['HOME'] || homedir())),
        tls: tlsFromEnv(this.env),
        policy: policyFromEnv(this.env),
      },
      signal ? { signal } : {},
    );
  }

  /**
   * The server a command acts on: the one named, the only one, or the one picked. With none
   * configured the user is offered Connect to MLflow Server… (undefined either way).
   */
  async pick(title: string, name?: string): Promise<ServerEntry | undefined> {
    const servers = this.list();
    if (name !== undefined) {
      const named = servers.find((s) => s.name === name);
      if (!named) void this.app.showErrorMessage(`Runlog: no tracking server is named "${name}" in runlog.servers.`);
      return named;
    }
    if (servers.length === 0) {
      const connect = 'Connect to MLflow Server…';
      if ((await this.app.showInformationMessage('Runlog: no MLflow tracking server yet.', connect)) === connect) {
        await this.app.executeCommand('runlog.connectServer');
      }
      return undefined;
    }
    if (servers.length === 1) return servers[0];
    const picked = await this.app.showQuickPick(
      servers.map((server) => ({ label: server.name, description: server.uri, server })),
      { title },
    );
    return picked?.server;
  }
}
