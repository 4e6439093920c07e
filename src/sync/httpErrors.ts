/**
 * How a tracking server's refusals become errors: MLflow's `{error_code, message}` body, cleaned of
 * control characters and cut short (a server's words go into our messages as plain text), with
 * what to do about 401, 403 and redirects; and the waits between retries (`Retry-After`, and
 * urllib3's backoff as MLflow configures it).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { HttpPolicy } from './credentials';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

const MAX_RETRY_AFTER_MS = 5 * 60_000;
const BACKOFF_MAX_MS = 120_000;

/** The server answered with an error status. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    message: string,
    readonly status: number,
    /** MLflow's `error_code` (RESOURCE_DOES_NOT_EXIST, …) when the body had one. */
    readonly code: string | undefined,
    readonly serverMessage: string,
  ) {
    super(message);
  }
}

/** The server could not be reached or the connection broke (after the retries). */
export class ConnectionError extends Error {
  override readonly name = 'ConnectionError';
}

export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}

/** Control characters out, length capped: a server's words go into our messages as plain text. */
export function cleanText(text: string, max = 300): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what goes
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** `Retry-After` in milliseconds: seconds, or an HTTP date. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.min(MAX_RETRY_AFTER_MS, Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - now));
}

/** The wait before retry `n` (1-based), as urllib3 computes it for MLflow: none before the first. */
export function backoffMs(policy: HttpPolicy, n: number, random: () => number): number {
  if (n <= 1) return 0;
  const seconds = policy.backoffFactor * 2 ** (n - 1) + random() * policy.backoffJitter;
  return Math.max(0, Math.min(BACKOFF_MAX_MS, seconds * 1000));
}

/** A non-200 answer as an error that says what MLflow said, and what to do about 401/403. */
export function answerError(answer: Answer, what: string, uri: string): HttpError {
  const text = answer.body.toString('utf8');
  let code: string | undefined;
  let serverMessage = cleanText(text);
  try {
    const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    if (typeof parsed.error_code === 'string') code = cleanText(parsed.error_code, 80);
    if (typeof parsed.message === 'string') serverMessage = cleanText(parsed.message);
  } catch {
    // Not JSON (a proxy's HTML page): its text, cut short.
  }
  const hint =
    answer.status === 401
      ? ' — the server wants credentials: set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (in the editor: Connect to MLflow Server…)'
      : answer.status === 403
        ? ' — these credentials may not do this on the server'
        : answer.status >= 300 && answer.status < 400
          ? ` — the server redirects to ${cleanText(String(answer.headers.location ?? '?'), 200)}: use that URI`
          : '';
  const error = new HttpError(
    `${uri} answered ${what.split('?')[0]} with ${answer.status}${code ? ` ${code}` : ''}${serverMessage ? `: ${serverMessage}` : ''}${hint}`,
    answer.status,
    code,
    serverMessage,
  );
  const after = retryAfterMs(answer.headers['retry-after']);
  return after === undefined ? error : Object.assign(error, { retryAfter: after });
}
