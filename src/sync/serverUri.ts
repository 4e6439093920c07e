/**
 * A tracking server's URI as Runlog keeps it: `http(s)://host[:port][/path]`, no trailing slash, no
 * query, and never a user or password in it — credentials come from MLflow's environment
 * variables, `~/.mlflow/credentials` or the editor's SecretStorage, so a URI is safe to write into
 * settings, logs, messages and the store.
 */
import { createHash } from 'node:crypto';

export class ServerUriError extends Error {
  override readonly name = 'ServerUriError';
}

/** The URI in its one form, or a ServerUriError saying what is wrong with it. */
export function normalizeServerUri(text: string): string {
  const trimmed = text.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new ServerUriError(`"${trimmed.slice(0, 200)}" is not a URI (expected http://host:port or https://host)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ServerUriError(
      `${url.protocol}// is not a tracking server's scheme: Runlog talks to MLflow servers over http:// or https://`,
    );
  }
  if (url.username || url.password) {
    throw new ServerUriError(
      'the URI holds a user name or password: give credentials through MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN (in the editor: Connect to MLflow Server…), never in the URI',
    );
  }
  if (url.search || url.hash) throw new ServerUriError('a tracking URI has no query (?…) or fragment (#…)');
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

/** A short name for the server's folder in a store's `sync/` (the URI itself is in server.json). */
export function serverKey(uri: string): string {
  return createHash('sha256').update(uri, 'utf8').digest('hex').slice(0, 16);
}

/** The host (and port) of a server URI, for labels: `mlflow.team.example:5000`. */
export function serverHost(uri: string): string {
  try {
    return new URL(uri).host;
  } catch {
    return uri;
  }
}
