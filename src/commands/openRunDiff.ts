import { dirname } from 'node:path';
import * as vscode from 'vscode';
import { gitTopLevel } from '../git/gitState';
import { PatchError, fileAtCommit, filesAfterPatch, hasCommit, patchFiles } from '../git/runDiff';
import type { RunDetails } from '../store/types';
import type { StoreClient } from '../store/storeClient';
import type { RunFileRef } from '../views/runSections';

export const RUN_DIFF_SCHEME = 'runlog-diff';

interface DiffSide {
  readonly dir: string;
  readonly runId: string;
  readonly side: 'commit' | 'run' | 'untracked';
}

type Resolved = { run: RunDetails & { git: NonNullable<RunDetails['git']> }; repo: string } | { problem: string };

/**
 * Read-only documents for a run's diff: `runlog-diff:/<path>?<side>` is the file at the run's
 * commit (`commit`) or with the run's stored patch applied (`run`). The patched files of a run are
 * computed once (one temporary index) and kept until the store changes.
 */
export class RunDiffDocuments implements vscode.TextDocumentContentProvider {
  private readonly patched = new Map<string, Promise<Map<string, string | undefined>>>();

  constructor(private readonly storeAt: (dir: string) => StoreClient | undefined) {}

  static uri(path: string, side: DiffSide): vscode.Uri {
    return vscode.Uri.from({
      scheme: RUN_DIFF_SCHEME,
      path: `/${path}`,
      query: JSON.stringify(side),
    });
  }

  /** The run, its git state and the repository it ran in — or why there is no diff to show. */
  async resolve(dir: string, runId: string): Promise<Resolved> {
    const run = await this.storeAt(dir)?.call('getRun', runId);
    if (!run) return { problem: `Run ${runId} is no longer in the store.` };
    const git = run.git;
    if (!git) return { problem: `${run.name} recorded no git state.` };
    const where = run.cwd ?? dirname(dir);
    const repo = await gitTopLevel(where);
    if (!repo) return { problem: `${where} is not in a git repository, so the code of ${run.name} cannot be shown.` };
    if (!(await hasCommit(repo, git.commit))) {
      return {
        problem: `Commit ${git.commit.slice(0, 12)} that ${run.name} ran is not in the repository at ${repo}. Fetch it (git fetch) to see the run's changes.`,
      };
    }
    return { run: { ...run, git }, repo };
  }

  private patchedFiles(
    dir: string,
    run: RunDetails,
    repo: string,
    patch: string,
  ): Promise<Map<string, string | undefined>> {
    const key = `${dir}\0${run.id}`;
    let files = this.patched.get(key);
    if (!files) {
      const paths = patchFiles(patch).flatMap((f) => (f.newPath ? [f.newPath] : []));
      files = filesAfterPatch(repo, run.git?.commit ?? '', patch, paths);
      files.catch(() => this.patched.delete(key));
      this.patched.set(key, files);
    }
    return files;
  }

  /** Checks that both sides can be built, so the command can say plainly what is wrong. */
  async check(ref: RunFileRef): Promise<string | undefined> {
    const resolved = await this.resolve(ref.storeDir, ref.runId);
    if ('problem' in resolved) return resolved.problem;
    try {
      await this.patchedFiles(ref.storeDir, resolved.run, resolved.repo, resolved.run.git.patch);
      return undefined;
    } catch (error) {
      return error instanceof PatchError
        ? `The stored changes of ${resolved.run.name} do not apply to commit ${resolved.run.git.commit.slice(0, 12)}: ${error.message}`
        : String(error);
    }
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    let side: DiffSide;
    try {
      side = JSON.parse(uri.query) as DiffSide;
    } catch {
      return `Runlog cannot read this address: ${uri.toString()}`;
    }
    const path = uri.path.slice(1);
    if (side.side === 'untracked') {
      const run = await this.storeAt(side.dir)?.call('getRun', side.runId);
      return run?.git?.untracked.find((f) => f.path === path)?.content ?? '';
    }
    const resolved = await this.resolve(side.dir, side.runId);
    if ('problem' in resolved) return resolved.problem;
    const { run, repo } = resolved;
    if (side.side === 'commit') return (await fileAtCommit(repo, run.git.commit, path)) ?? '';
    return (await this.patchedFiles(side.dir, run, repo, run.git.patch)).get(path) ?? '';
  }

  clear(): void {
    this.patched.clear();
  }
}

function isRunFileRef(value: unknown): value is RunFileRef {
  const v = value as Partial<RunFileRef> | null;
  return typeof v?.storeDir === 'string' && typeof v.runId === 'string';
}

/** `Open Changes` on a changed file in a run's Git section: the file at the commit ↔ as the run ran it. */
export async function openRunDiff(documents: RunDiffDocuments, ref: RunFileRef | undefined): Promise<void> {
  if (!isRunFileRef(ref)) return;
  const path = ref.newPath ?? ref.oldPath ?? '';
  if (ref.untracked) {
    const uri = RunDiffDocuments.uri(path, { dir: ref.storeDir, runId: ref.runId, side: 'untracked' });
    await vscode.window.showTextDocument(uri, { preview: true });
    return;
  }
  if (ref.binary) {
    void vscode.window.showInformationMessage(`Runlog: ${path} is a binary file; its change cannot be shown as text.`);
    return;
  }
  const problem = await documents.check(ref);
  if (problem) {
    void vscode.window.showWarningMessage(`Runlog: ${problem}`);
    return;
  }
  const left = RunDiffDocuments.uri(ref.oldPath ?? path, { dir: ref.storeDir, runId: ref.runId, side: 'commit' });
  const right = RunDiffDocuments.uri(path, { dir: ref.storeDir, runId: ref.runId, side: 'run' });
  const resolved = await documents.resolve(ref.storeDir, ref.runId);
  const label = 'run' in resolved ? `${resolved.run.git.commit.slice(0, 7)} ↔ ${resolved.run.name}` : ref.runId;
  await vscode.commands.executeCommand('vscode.diff', left, right, `${path} (${label})`, { preview: true });
}
