import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The code a run ran, file by file: the file at the run's commit (left) and the same file with the
 * run's stored patch applied (right), for a diff editor. The patch is applied to a temporary index
 * (`GIT_INDEX_FILE`), never to the user's work tree or index. Git runs with argument lists only.
 */

const GIT_TIMEOUT_MS = 20_000;
const MAX_OUTPUT = 64 * 1024 * 1024;

/** A file a patch touches; a path is null on the side where the file does not exist. */
export interface PatchFile {
  readonly oldPath: string | null;
  readonly newPath: string | null;
  readonly binary: boolean;
}

export interface GitResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export function runGit(
  repo: string,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<GitResult> {
  return new Promise((resolve) => {
    const child = spawn('git', [...args], {
      cwd: repo,
      env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', GIT_TERMINAL_PROMPT: '0', ...options.env },
      windowsHide: true,
      timeout: GIT_TIMEOUT_MS,
    });
    const out: Buffer[] = [];
    let size = 0;
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => {
      size += data.length;
      if (size <= MAX_OUTPUT) out.push(data);
      else child.kill();
    });
    child.stderr.on('data', (data: Buffer) => {
      stderr += data.toString('utf8');
    });
    child.on('error', (error) => resolve({ code: null, stdout: Buffer.alloc(0), stderr: error.message }));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Decodes a path git wrote in C quotes ("a/t\303\244st.py"), or returns it as it is. */
function unquotePath(text: string): string {
  if (!text.startsWith('"') || !text.endsWith('"')) return text;
  const bytes: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 };
  const body = text.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[i + 1] ?? '';
    if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i + 1, i + 4), 8));
      i += 3;
    } else {
      bytes.push(simple[next] ?? next.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `a/x` → `x`, `/dev/null` → null; the `---`/`+++` lines may end with a tab before a timestamp. */
function sidePath(text: string, prefix: 'a/' | 'b/'): string | null {
  const path = unquotePath(text.replace(/\t.*$/, ''));
  if (path === '/dev/null') return null;
  return path.startsWith(prefix) ? path.slice(2) : path;
}

/** The `diff --git a/P b/P` header of a file that kept its name: both halves are the same path. */
function headerPath(rest: string): string | undefined {
  if (rest.startsWith('"')) {
    const m = /^("(?:\\.|[^"\\])*") /.exec(rest);
    return m ? (sidePath(m[1], 'a/') ?? undefined) : undefined;
  }
  const p = (rest.length - 5) / 2;
  if (!Number.isInteger(p) || p <= 0) return undefined;
  const a = rest.slice(2, 2 + p);
  return rest.startsWith('a/') && rest.slice(2 + p) === ` b/${a}` ? a : undefined;
}

/** The files a `git diff` patch touches, in patch order. */
export function patchFiles(patch: string): PatchFile[] {
  const files: PatchFile[] = [];
  let current: { oldPath: string | null; newPath: string | null; binary: boolean } | undefined;
  const flush = (): void => {
    if (current && (current.oldPath !== null || current.newPath !== null)) files.push(current);
  };
  for (const line of patch.split('\n')) {
    if (line.startsWith('diff --git ')) {
      flush();
      const path = headerPath(line.slice('diff --git '.length)) ?? null;
      current = { oldPath: path, newPath: path, binary: false };
    } else if (!current) {
      continue;
    } else if (line.startsWith('new file mode')) {
      current.oldPath = null;
    } else if (line.startsWith('deleted file mode')) {
      current.newPath = null;
    } else if (line.startsWith('rename from ') || line.startsWith('copy from ')) {
      current.oldPath = unquotePath(line.slice(line.indexOf(' from ') + 6));
    } else if (line.startsWith('rename to ') || line.startsWith('copy to ')) {
      current.newPath = unquotePath(line.slice(line.indexOf(' to ') + 4));
    } else if (line.startsWith('--- ')) {
      current.oldPath = sidePath(line.slice(4), 'a/');
    } else if (line.startsWith('+++ ')) {
      current.newPath = sidePath(line.slice(4), 'b/');
    } else if (line === 'GIT binary patch' || line.startsWith('Binary files ')) {
      current.binary = true;
    }
  }
  flush();
  return files;
}

/** Commit ids come from journals: anything but hex could reach git as an option. */
export function isCommitId(commit: string): boolean {
  return /^[0-9a-f]{4,64}$/i.test(commit);
}

/** Whether the repository has the commit (a run's commit may be from a clone that was never pushed). */
export async function hasCommit(repo: string, commit: string): Promise<boolean> {
  if (!isCommitId(commit)) return false;
  return (await runGit(repo, ['cat-file', '-e', `${commit}^{commit}`])).code === 0;
}

/** A file's text at a commit; undefined when the commit has no such file. */
export async function fileAtCommit(repo: string, commit: string, path: string): Promise<string | undefined> {
  if (!isCommitId(commit)) return undefined;
  const result = await runGit(repo, ['show', `${commit}:${path}`]);
  return result.code === 0 ? result.stdout.toString('utf8') : undefined;
}

export class PatchError extends Error {
  override readonly name = 'PatchError';
}

/**
 * The files as the run saw them: the commit's tree with the patch applied, in a temporary index.
 * Returns each requested path's text (undefined for a file the patch deleted). Throws PatchError
 * when git refuses the patch.
 */
export async function filesAfterPatch(
  repo: string,
  commit: string,
  patch: string,
  paths: readonly string[],
): Promise<Map<string, string | undefined>> {
  if (!isCommitId(commit)) throw new PatchError(`"${commit}" is not a commit id`);
  const dir = await mkdtemp(join(tmpdir(), 'runlog-diff-'));
  const env = { GIT_INDEX_FILE: join(dir, 'index') };
  try {
    const read = await runGit(repo, ['read-tree', commit], { env });
    if (read.code !== 0) throw new PatchError(`git read-tree ${commit}: ${read.stderr.trim()}`);
    if (patch !== '') {
      const applied = await runGit(repo, ['apply', '--cached', '--binary', '--whitespace=nowarn', '-'], {
        env,
        input: patch,
      });
      if (applied.code !== 0) throw new PatchError(`git apply: ${applied.stderr.trim()}`);
    }
    const result = new Map<string, string | undefined>();
    for (const path of paths) {
      const shown = await runGit(repo, ['show', `:${path}`], { env });
      result.set(path, shown.code === 0 ? shown.stdout.toString('utf8') : undefined);
    }
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
