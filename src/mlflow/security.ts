/**
 * The endpoint's gate, checked on every request before any handler runs. It listens on loopback,
 * but a browser on this machine can reach loopback too: hence the token, the Host check (DNS
 * rebinding), refusing any Origin and any non-JSON POST (drive-by requests need no CORS preflight
 * for text/plain or form bodies), and artifact paths confined to the run's folder.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/** A refused request: the HTTP status and the reason, which is logged and sent back. */
export class Refusal extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 413 | 415,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function sameSecret(given: string, token: string): boolean {
  // Hashing first gives equal lengths, which timingSafeEqual needs, without leaking the token's length.
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** `Bearer <token>`, or Basic with the token as the password (MLFLOW_TRACKING_USERNAME/PASSWORD). */
export function checkAuthorization(header: string | undefined, token: string): void {
  if (!header) throw new Refusal(401, 'no Authorization header');
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  const value = space === -1 ? '' : header.slice(space + 1).trim();
  let secret: string | undefined;
  if (scheme.toLowerCase() === 'bearer') {
    secret = value;
  } else if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    secret = colon === -1 ? undefined : decoded.slice(colon + 1);
  }
  if (secret === undefined) throw new Refusal(401, `unsupported Authorization scheme "${scheme}"`);
  if (!sameSecret(secret, token)) throw new Refusal(401, 'wrong token');
}

/** The Host header must name this server on loopback: a rebinding attack names the attacker's domain. */
export function checkHost(host: string | undefined, port: number): void {
  const allowed = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!host || !allowed.includes(host.toLowerCase())) {
    throw new Refusal(403, `Host "${host ?? ''}" is not 127.0.0.1:${port} or localhost:${port}`);
  }
}

export function checkOrigin(origin: string | undefined): void {
  if (origin !== undefined) throw new Refusal(403, `a request with an Origin header ("${origin}")`);
}

/** The media type without parameters (`application/json; charset=utf-8` is JSON). */
export function checkJsonContentType(contentType: string | undefined): void {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (media !== 'application/json') {
    throw new Refusal(415, `Content-Type "${contentType ?? ''}" is not application/json`);
  }
}

/**
 * What a segment becomes when decoded again and again, as a server or proxy that decodes twice would
 * see it (stopping at text that is not valid percent-encoding, such as MLflow's `%step%`).
 */
function decodedFully(segment: string): string {
  let text = segment;
  for (let i = 0; i < 8 && text.includes('%'); i++) {
    let next: string;
    try {
      next = decodeURIComponent(text);
    } catch {
      break;
    }
    if (next === text) break;
    text = next;
  }
  return text;
}

/**
 * Turns a raw (still percent-encoded) artifact path into segments. It is decoded exactly once, and
 * the decoded path is what is checked and used: a literal `%` or `#` in a file name is legal (MLflow
 * names images `<key>%step%<n>%timestamp%<ms>%<uuid>.png`, with `/` in a key written `#`, and its
 * client sends `%` as `%25`). Refused, as MLflow's advisories list them: `..` and `.` segments,
 * absolute paths, backslashes, `;` tricks, NUL, empty segments (`//proc/self/root`), and segments
 * that only decoding twice would turn into a traversal (`%252e%252e`, `..%252f`).
 */
export function artifactSegments(raw: string): string[] {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new Refusal(400, 'the artifact path is not valid percent-encoding');
  }
  if (/[\\;\0]/.test(decoded)) throw new Refusal(400, 'the artifact path holds a backslash, ";" or NUL');
  if (decoded === '') return [];
  if (decoded.startsWith('/') || /^[a-z]:/i.test(decoded) || isAbsolute(decoded)) {
    throw new Refusal(400, 'the artifact path is absolute');
  }
  const segments = decoded.split('/');
  // A trailing slash names a folder; any other empty segment is a `//` trick.
  if (segments[segments.length - 1] === '') segments.pop();
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw new Refusal(400, `the artifact path has a "${segment || '//'}" segment`);
    }
    if (segment.includes('%')) {
      const twice = decodedFully(segment);
      if (twice === '.' || twice === '..' || /[/\\\0]/.test(twice)) {
        throw new Refusal(400, 'the artifact path is encoded twice: decoded again it would leave its folder');
      }
    }
  }
  return segments;
}

/** A path that arrived decoded (a query parameter), encoded again so `artifactSegments` checks what was sent. */
export function reencodePath(decoded: string): string {
  return encodeURIComponent(decoded).replace(/%2F/gi, '/');
}

/**
 * The file a relative artifact path names inside `root`, after checking that neither the path nor
 * a symlink along it leads out of `root`.
 */
export async function confinedPath(root: string, segments: readonly string[]): Promise<string> {
  const target = resolve(root, ...segments);
  const inside = (base: string, path: string): boolean => {
    const rel = relative(base, path);
    return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
  };
  if (!inside(root, target)) throw new Refusal(400, "the artifact path leaves the run's artifact folder");
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return target;
  }
  // Walk down the path: each part that exists must resolve (symlinks and all) inside the root.
  let at = root;
  for (const segment of segments) {
    at = join(at, segment);
    try {
      await lstat(at);
    } catch {
      break;
    }
    const real = await realpath(at).catch(() => undefined);
    if (real === undefined || !inside(realRoot, real)) {
      throw new Refusal(403, "the artifact path follows a symlink out of the run's artifact folder");
    }
  }
  return target;
}
