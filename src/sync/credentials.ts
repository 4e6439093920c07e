/**
 * How a client authenticates to a tracking server and how patient it is, read the way MLflow's own
 * client reads them (mlflow/utils/credentials.py, mlflow/environment_variables.py):
 *
 * - `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD` (Basic), each falling back to
 *   `mlflow_tracking_username` / `mlflow_tracking_password` in the `[mlflow]` section of
 *   `~/.mlflow/credentials`; `MLFLOW_TRACKING_TOKEN` (Bearer) — Basic wins when both are set, as
 *   in MLflow's `http_request`;
 * - `MLFLOW_TRACKING_INSECURE_TLS`, `MLFLOW_TRACKING_SERVER_CERT_PATH` (a CA bundle that replaces
 *   the default ones), `MLFLOW_TRACKING_CLIENT_CERT_PATH` (a PEM holding the client's certificate
 *   and key);
 * - `MLFLOW_HTTP_REQUEST_MAX_RETRIES` (7), `MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR` (2 s),
 *   `MLFLOW_HTTP_REQUEST_BACKOFF_JITTER` (1 s), `MLFLOW_HTTP_REQUEST_TIMEOUT` (120 s),
 *   `MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER` (true).
 *
 * Secrets stay in these values: nothing here puts them in a message.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Credentials {
  readonly token?: string;
  readonly username?: string;
  readonly password?: string;
}

export interface TlsSettings {
  /** Skip verifying the server's certificate (MLFLOW_TRACKING_INSECURE_TLS). */
  readonly insecure: boolean;
  /** A CA bundle to verify the server with, instead of the system's. */
  readonly serverCertPath?: string;
  /** A PEM file with the client certificate and its private key. */
  readonly clientCertPath?: string;
}

export interface HttpPolicy {
  readonly maxRetries: number;
  /** Seconds: the n-th retry waits factor × 2^(n−1) (the first one none), at most 120 s. */
  readonly backoffFactor: number;
  /** Seconds of random wait added to each backoff. */
  readonly backoffJitter: number;
  readonly timeoutMs: number;
  readonly respectRetryAfter: boolean;
}

export const DEFAULT_POLICY: HttpPolicy = {
  maxRetries: 7,
  backoffFactor: 2,
  backoffJitter: 1,
  timeoutMs: 120_000,
  respectRetryAfter: true,
};

export class SettingError extends Error {
  override readonly name = 'SettingError';
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = env[name];
  if (!value) return fallback;
  const lower = value.trim().toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw new SettingError(`${name} must be true, false, 1 or 0, not "${value.slice(0, 40)}"`);
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, integer: boolean): number {
  const value = env[name];
  if (!value) return fallback;
  const n = Number(value.trim());
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new SettingError(
      `${name} must be a non-negative ${integer ? 'integer' : 'number'}, not "${value.slice(0, 40)}"`,
    );
  }
  return n;
}

export function policyFromEnv(env: NodeJS.ProcessEnv): HttpPolicy {
  return {
    maxRetries: number(env, 'MLFLOW_HTTP_REQUEST_MAX_RETRIES', DEFAULT_POLICY.maxRetries, true),
    backoffFactor: number(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR', DEFAULT_POLICY.backoffFactor, false),
    backoffJitter: number(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_JITTER', DEFAULT_POLICY.backoffJitter, false),
    timeoutMs: number(env, 'MLFLOW_HTTP_REQUEST_TIMEOUT', DEFAULT_POLICY.timeoutMs / 1000, false) * 1000,
    respectRetryAfter: boolean(env, 'MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER', DEFAULT_POLICY.respectRetryAfter),
  };
}

export function tlsFromEnv(env: NodeJS.ProcessEnv): TlsSettings {
  const insecure = boolean(env, 'MLFLOW_TRACKING_INSECURE_TLS', false);
  const serverCertPath = env['MLFLOW_TRACKING_SERVER_CERT_PATH'] || undefined;
  const clientCertPath = env['MLFLOW_TRACKING_CLIENT_CERT_PATH'] || undefined;
  if (insecure && serverCertPath) {
    throw new SettingError(
      'MLFLOW_TRACKING_INSECURE_TLS and MLFLOW_TRACKING_SERVER_CERT_PATH cannot both be set (one skips verifying the server, the other verifies it)',
    );
  }
  return { insecure, ...(serverCertPath ? { serverCertPath } : {}), ...(clientCertPath ? { clientCertPath } : {}) };
}

/**
 * The `[mlflow]` section of an INI file as Python's configparser reads it: `key = value` or
 * `key: value`, keys case-insensitive, `#` and `;` comment lines.
 */
export function parseCredentialsFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = (header[1] ?? '').trim();
      continue;
    }
    if (section !== 'mlflow') continue;
    const match = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (match) values[(match[1] ?? '').toLowerCase()] = match[2] ?? '';
  }
  return values;
}

/** MLflow's credentials: the environment first, then `~/.mlflow/credentials` for user and password. */
export async function credentialsFromEnv(env: NodeJS.ProcessEnv, home: string): Promise<Credentials> {
  let file: Record<string, string> = {};
  try {
    file = parseCredentialsFile(await readFile(join(home, '.mlflow', 'credentials'), 'utf8'));
  } catch {
    // No file (or unreadable): the environment alone.
  }
  const username = env['MLFLOW_TRACKING_USERNAME'] || file['mlflow_tracking_username'] || undefined;
  const password = env['MLFLOW_TRACKING_PASSWORD'] || file['mlflow_tracking_password'] || undefined;
  const token = env['MLFLOW_TRACKING_TOKEN'] || undefined;
  return { ...(token ? { token } : {}), ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/** The Authorization header for these credentials, or undefined (Basic when user and password are set). */
export function authorizationHeader(credentials: Credentials): string | undefined {
  if (credentials.username && credentials.password) {
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
  }
  return credentials.token ? `Bearer ${credentials.token}` : undefined;
}
