import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import type { GitEvent, UntrackedFile } from '../store/events';

/**
 * The state of the code a run runs: the fields of a `git` journal event (docs/JOURNAL.md), with the
 * same rules as the Python client (python/runlog/_git.py). Git runs with an argument list (never a
 * shell string), a timeout, no prompts and no optional locks, so it never contends with the user's
 * own git. Any failure — git missing, not a repository, no commit yet — yields undefined: the run
 * is then marked "no git".
 */

const GIT_TIMEOUT_MS = 10_000;
/** Untracked files whose content is kept: text sources under this size… */
export const MAX_UNTRACKED_FILE = 256 * 1024;
/** …until their contents add up to this much; later ones keep only their path. */
export const MAX_UNTRACKED_TOTAL = 8 * 1024 * 1024;
/** A tracked diff larger than this is left out (the run is still marked dirty): escaped as JSON, the git line stays well under the store's 32 MB read piece. */
export const MAX_PATCH = 16 * 1024 * 1024;

const SOURCE_EXTENSIONS = new Set(
  '.py .pyi .pyx .ipynb .yaml .yml .json .jsonc .toml .cfg .ini .conf .txt .md .rst .sh .bash .r .sql .c .h .cc .cpp .hpp .cu .js .ts .jl .lua .proto'.split(
    ' ',
  ),
);
// Deliberately absent: data (.csv, …) and secrets (.env, keys) are listed by path only.
const SOURCE_NAMES = new Set([
  'MLproject',
  'Dockerfile',
  'Makefile',
  'Pipfile',
  'Snakefile',
  'Justfile',
  'Containerfile',
]);

export type GitState = Omit<GitEvent, 't' | 'ts'>;

function git(args: readonly string[], cwd: string, maxBuffer = MAX_PATCH + 1024 * 1024): Promise<Buffer | undefined> {
  return new Promise((resolvePromise) => {
    execFile(
      'git',
      [...args],
      {
        cwd,
        encoding: 'buffer',
        timeout: GIT_TIMEOUT_MS,
        maxBuffer,
        env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0' },
        windowsHide: true,
      },
      (error, stdout) => resolvePromise(error ? undefined : stdout),
    );
  });
}

async function line(args: readonly string[], cwd: string): Promise<string | undefined> {
  const out = await git(args, cwd);
  const text = out?.toString('utf8').trim();
  return text ? text : undefined;
}

/** Removes `user:token@` from an http(s) remote so a secret never lands in a journal. */
export function stripCredentials(url: string): string {
  return url.replace(/^(https?:\/\/)[^/@]*@/i, '$1');
}

export function isSourceFile(path: string): boolean {
  const name = path.split('/').pop() ?? path;
  return SOURCE_NAMES.has(name) || SOURCE_EXTENSIONS.has(extname(name).toLowerCase());
}

export async function gitTopLevel(cwd: string): Promise<string | undefined> {
  return line(['rev-parse', '--show-toplevel'], cwd);
}

/**
 * Reads the git state of the work tree containing `cwd`. `exclude` is a folder (the run store)
 * whose files never count as untracked sources.
 */
export async function readGitState(cwd: string, exclude?: string): Promise<GitState | undefined> {
  const top = await gitTopLevel(cwd);
  const commit = top ? await line(['rev-parse', '--verify', 'HEAD'], top) : undefined;
  if (!top || !commit) return undefined;
  const [branch, remote, patchOut, untrackedOut] = await Promise.all([
    line(['symbolic-ref', '--quiet', '--short', 'HEAD'], top),
    line(['config', '--get', 'remote.origin.url'], top),
    git(['-c', 'core.quotepath=off', 'diff', '--binary', '--no-ext-diff', '--no-color', 'HEAD'], top),
    git(['ls-files', '--others', '--exclude-standard', '-z'], top),
  ]);
  const patch = patchOut && patchOut.length <= MAX_PATCH ? patchOut.toString('utf8') : '';
  const excluded = exclude ? relative(top, resolve(exclude)) : undefined;
  const untrackedPaths = (untrackedOut?.toString('utf8') ?? '')
    .split('\0')
    .filter((p) => p !== '')
    .filter(
      (p) =>
        !excluded ||
        excluded.startsWith('..') ||
        !(p === excluded || p.startsWith(`${excluded.split(sep).join('/')}/`)),
    );
  const untracked: UntrackedFile[] = [];
  let budget = MAX_UNTRACKED_TOTAL;
  for (const path of untrackedPaths) {
    const content = isSourceFile(path) ? await readSource(join(top, path), budget) : undefined;
    if (content !== undefined) {
      budget -= Buffer.byteLength(content);
      untracked.push({ path, content });
    } else {
      untracked.push({ path });
    }
  }
  // Dirty means tracked changes, as in the Python client; untracked files are listed on their own.
  const dirty = (patchOut?.length ?? 0) > 0;
  return {
    commit,
    ...(branch ? { branch } : {}),
    ...(remote ? { remote: stripCredentials(remote) } : {}),
    dirty,
    patch,
    untracked,
  };
}

/** A text file's content, if it is small enough and within the budget; undefined otherwise. */
async function readSource(file: string, budget: number): Promise<string | undefined> {
  try {
    const info = await stat(file);
    if (!info.isFile() || info.size > MAX_UNTRACKED_FILE || info.size > budget) return undefined;
    const bytes = await readFile(file);
    if (bytes.includes(0)) return undefined;
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text;
  } catch {
    return undefined;
  }
}
