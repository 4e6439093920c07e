import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import type { GitResult } from './runDiff';
import { hasCommit, isCommitId, runGit } from './runDiff';

/** The code a run ran, as its `git` event recorded it. */
export interface RunCode {
  readonly commit: string;
  readonly patch: string;
  readonly untracked: readonly { readonly path: string; readonly content?: string }[];
}

/** Why the run's code cannot be rebuilt, in words a user can act on. */
export class RunCodeError extends Error {
  override readonly name = 'RunCodeError';
}

function failed(what: string, result: GitResult): RunCodeError {
  return new RunCodeError(`${what}: ${result.stderr.trim() || `git exited with ${String(result.code)}`}`);
}

async function requireCommit(repo: string, code: RunCode): Promise<void> {
  if (!isCommitId(code.commit)) throw new RunCodeError(`"${code.commit}" is not a commit id`);
  if (!(await hasCommit(repo, code.commit))) {
    throw new RunCodeError(
      `commit ${code.commit.slice(0, 12)} is not in the repository at ${repo}: it was probably never pushed, or its branch was deleted. Fetch it (or restore the branch) and try again.`,
    );
  }
}

/** A path from a journal, inside `root`: relative, no `..`, no drive or NUL. */
function inside(root: string, path: string): string | undefined {
  if (path.includes('\0') || isAbsolute(path) || /^[a-zA-Z]:/.test(path)) return undefined;
  const normal = normalize(path);
  if (normal === '..' || normal.startsWith(`..${sep}`) || normal.split(/[\\/]/).includes('..')) return undefined;
  return join(root, normal);
}

/** Applies the stored diff and writes the stored untracked files into a checkout at the run's commit. */
async function restore(checkout: string, code: RunCode): Promise<{ skipped: string[] }> {
  if (code.patch !== '') {
    const applied = await runGit(checkout, ['apply', '--binary', '--whitespace=nowarn', '-'], { input: code.patch });
    if (applied.code !== 0) throw failed("applying the run's uncommitted changes", applied);
  }
  const skipped: string[] = [];
  for (const file of code.untracked) {
    const target = inside(checkout, file.path);
    if (!target || file.content === undefined) {
      // Large or binary untracked files were recorded by path only; a hostile path is never written.
      skipped.push(file.path);
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content, { flag: 'wx' }).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
      await writeFile(target, file.content ?? '');
    });
  }
  return { skipped };
}

/**
 * Rebuilds the exact code a run ran in a new folder: a detached git worktree of `repo` at the run's
 * commit, with its diff applied and its untracked files restored. Returns the untracked files that
 * could not be restored (recorded by path only). The caller removes it with `removeRunCode`.
 */
export async function materializeRunCode(repo: string, code: RunCode, into: string): Promise<{ skipped: string[] }> {
  await requireCommit(repo, code);
  const added = await runGit(repo, ['worktree', 'add', '--detach', '--force', into, code.commit]);
  if (added.code !== 0) throw failed(`creating a worktree at ${code.commit.slice(0, 12)}`, added);
  try {
    return await restore(into, code);
  } catch (error) {
    await removeRunCode(repo, into);
    throw error;
  }
}

export async function removeRunCode(repo: string, folder: string): Promise<void> {
  await runGit(repo, ['worktree', 'remove', '--force', folder]);
  await runGit(repo, ['worktree', 'prune']);
}

/** Whether the working tree has changes (tracked or untracked) a checkout would disturb. */
export async function hasLocalChanges(repo: string): Promise<boolean> {
  const status = await runGit(repo, ['status', '--porcelain', '--untracked-files=normal']);
  return status.code !== 0 || status.stdout.length > 0;
}

/**
 * `Check Out Run's Code`: a new branch at the run's commit in the user's working tree, with the
 * run's diff applied and its untracked files restored (as uncommitted changes on that branch).
 */
export async function checkoutRunCode(repo: string, code: RunCode, branch: string): Promise<{ skipped: string[] }> {
  await requireCommit(repo, code);
  const valid = await runGit(repo, ['check-ref-format', '--branch', branch]);
  if (valid.code !== 0) throw new RunCodeError(`"${branch}" is not a valid branch name`);
  const switched = await runGit(repo, ['switch', '--create', branch, code.commit]);
  if (switched.code !== 0) throw failed(`creating the branch ${branch}`, switched);
  return restore(repo, code);
}

/** A branch name for a run's code, e.g. `runlog/bright-owl-1a2b3c4d`. */
export function branchNameFor(runName: string, runId: string): string {
  const name = runName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 40);
  return `runlog/${name || 'run'}-${runId.slice(0, 8)}`;
}

/**
 * The tree the run's code was (its commit, the diff applied; untracked files are not in it), as a
 * git tree id, so `git diff <tree>` shows what changed since the run.
 */
export async function runTree(repo: string, code: RunCode, indexFile: string): Promise<string> {
  await requireCommit(repo, code);
  const env = { GIT_INDEX_FILE: indexFile };
  const read = await runGit(repo, ['read-tree', code.commit], { env });
  if (read.code !== 0) throw failed('reading the commit', read);
  if (code.patch !== '') {
    const applied = await runGit(repo, ['apply', '--cached', '--binary', '--whitespace=nowarn', '-'], {
      env,
      input: code.patch,
    });
    if (applied.code !== 0) throw failed("applying the run's uncommitted changes", applied);
  }
  const tree = await runGit(repo, ['write-tree'], { env });
  if (tree.code !== 0) throw failed('writing the tree', tree);
  return tree.stdout.toString('utf8').trim();
}

/** The files that differ between the run's code and the working tree: `[status, path]` (A, M, D). */
export async function changedSinceRun(repo: string, tree: string): Promise<[string, string][]> {
  const diff = await runGit(repo, ['diff', '--name-status', '--no-renames', '-z', tree]);
  if (diff.code !== 0) throw failed('comparing with the working tree', diff);
  const fields = diff.stdout
    .toString('utf8')
    .split('\0')
    .filter((f) => f !== '');
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) result.push([fields[i], fields[i + 1]]);
  return result;
}

/** A file's text in a tree (undefined when the tree has no such file). */
export async function fileInTree(repo: string, tree: string, path: string): Promise<string | undefined> {
  if (!isCommitId(tree)) return undefined;
  const shown = await runGit(repo, ['show', `${tree}:${path}`]);
  return shown.code === 0 ? shown.stdout.toString('utf8') : undefined;
}
