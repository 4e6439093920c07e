import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { gitTopLevel } from '../git/gitState';
import {
  RunCodeError,
  branchNameFor,
  changedSinceRun,
  checkoutRunCode,
  fileInTree,
  hasLocalChanges,
  runTree,
} from '../git/codeCheckout';
import type { RunDetails } from '../store/types';
import type { StoreFolder } from '../workspaceStores';
import type { RunsSelection, RunsTarget } from './runTargets';
import { resolveRunTargets } from './runTargets';

/** Read-only documents of a file as a run's code had it: `runlog-run-tree:/<path>?<repo>#<tree>`. */
export const RUN_TREE_SCHEME = 'runlog-run-tree';

export class RunTreeDocuments implements vscode.TextDocumentContentProvider {
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const path = uri.path.replace(/^\//, '');
    return (await fileInTree(uri.query, uri.fragment, path)) ?? '';
  }
}

/**
 * Git runs programs a repository's config names (hooks on checkout, `core.fsmonitor` when it
 * scans the working tree): in a restricted workspace it is not run on the user's behalf.
 */
export function trustedForGit(action: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(
    `Runlog cannot ${action} in a restricted workspace: git would run programs the repository's configuration names. Trust this workspace first.`,
  );
  return false;
}

async function chosenRun(
  folders: () => readonly StoreFolder[],
  first: RunsTarget | undefined,
  selected: RunsSelection | undefined,
): Promise<RunDetails | undefined> {
  const [ref] = await resolveRunTargets(first, selected, folders);
  return ref ? ref.store.call('getRun', ref.runId) : undefined;
}

/** The repository of the workspace folder the run ran in (its script's, or the first folder's). */
async function repoOf(run: RunDetails): Promise<string | undefined> {
  const inWorkspace = [run.source, run.cwd].find(
    (file) => file && vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file)),
  );
  const start = inWorkspace
    ? run.source === inWorkspace
      ? dirname(inWorkspace)
      : inWorkspace
    : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return start ? gitTopLevel(start) : undefined;
}

/**
 * `Runlog: Check Out Run's Code`: a new branch `runlog/<name>-<id>` at the run's commit with its
 * uncommitted changes and untracked sources restored. A working tree with changes of its own is
 * only switched after the user agrees (git refuses when the changes would be overwritten).
 */
export async function checkOutRunCode(
  folders: () => readonly StoreFolder[],
  first?: RunsTarget,
  selected?: RunsSelection,
  options: { confirm?: boolean } = {},
): Promise<string | undefined> {
  if (!trustedForGit("check out a run's code")) return undefined;
  const run = await chosenRun(folders, first, selected);
  if (!run) return undefined;
  const fail = (why: string): undefined => {
    void vscode.window.showErrorMessage(`Runlog cannot check out ${run.name}'s code: ${why}`);
    return undefined;
  };
  if (!run.git) return fail('it recorded no git state.');
  const repo = await repoOf(run);
  if (!repo) return fail('the workspace is not a git repository.');
  const branch = branchNameFor(run.name, run.id);
  if (options.confirm !== false && (await hasLocalChanges(repo))) {
    const go = 'Check Out Anyway';
    const choice = await vscode.window.showWarningMessage(
      `Your working tree has uncommitted changes. Checking out ${run.name}'s code switches to a new branch ${branch}; git keeps your changes if they do not collide with the run's (commit or stash them first to be safe).`,
      { modal: true },
      go,
    );
    if (choice !== go) return undefined;
  }
  try {
    const { skipped } = await checkoutRunCode(repo, run.git, branch);
    const missing = skipped.length > 0 ? ` ${skipped.length} untracked file(s) were recorded by path only.` : '';
    void vscode.window.showInformationMessage(`Runlog: checked out ${run.name}'s code on branch ${branch}.${missing}`);
    return branch;
  } catch (error) {
    return fail(error instanceof RunCodeError ? error.message : String(error));
  }
}

/**
 * `Runlog: Show Code Changes Since Run`: every file that differs between the code the run ran
 * (its commit with its diff applied) and the working tree, in one multi-file diff editor.
 */
export async function showCodeChangesSinceRun(
  folders: () => readonly StoreFolder[],
  first?: RunsTarget,
  selected?: RunsSelection,
): Promise<number | undefined> {
  if (!trustedForGit("compare with a run's code")) return undefined;
  const run = await chosenRun(folders, first, selected);
  if (!run) return undefined;
  const fail = (why: string): undefined => {
    void vscode.window.showErrorMessage(`Runlog cannot compare with ${run.name}'s code: ${why}`);
    return undefined;
  };
  if (!run.git) return fail('it recorded no git state.');
  const repo = await repoOf(run);
  if (!repo) return fail('the workspace is not a git repository.');
  const scratch = await mkdtemp(join(tmpdir(), 'runlog-index-'));
  let changes: [string, string][];
  let tree: string;
  try {
    tree = await runTree(repo, run.git, join(scratch, 'index'));
    changes = await changedSinceRun(repo, tree);
  } catch (error) {
    return fail(error instanceof RunCodeError ? error.message : String(error));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  if (changes.length === 0) {
    void vscode.window.showInformationMessage(`Runlog: your code is the same as ${run.name}'s.`);
    return 0;
  }
  const runSide = (path: string): vscode.Uri =>
    vscode.Uri.from({ scheme: RUN_TREE_SCHEME, path: `/${path}`, query: repo, fragment: tree });
  const empty = (path: string): vscode.Uri =>
    vscode.Uri.from({ scheme: RUN_TREE_SCHEME, path: `/${path}`, query: repo, fragment: '0' });
  const resources = changes.map(([status, path]) => {
    const workspace = vscode.Uri.file(join(repo, path));
    if (status === 'A') return [workspace, empty(path), workspace];
    if (status === 'D') return [workspace, runSide(path), empty(path)];
    return [workspace, runSide(path), workspace];
  });
  await vscode.commands.executeCommand('vscode.changes', `Changes since ${run.name}`, resources);
  return changes.length;
}
