import * as assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RunlogApi } from '../../src/extension';
import type { RunDetails } from '../../src/store/types';
import { waitFor } from '../support/waitFor';

export { waitFor };

export const EXTENSION_ID = 'runlog.runlog';

export async function api(): Promise<RunlogApi> {
  const extension = vscode.extensions.getExtension<RunlogApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is installed`);
  return extension.activate();
}

export function workspaceFolder(): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the suite runs with a workspace folder open');
  return folder;
}

/** Points the workspace's runs view at another store folder (undefined: back to the default). */
export async function useStoreDir(dir: string | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('runlog').update('storeDir', dir, vscode.ConfigurationTarget.Workspace);
}

/** Points the workspace at the store `dir` and waits until it lists `total` runs. */
export async function useStoreWithRuns(dir: string, total: number): Promise<void> {
  await useStoreDir(dir);
  const { storeFolders } = await api();
  await waitFor(`the store to read ${total} run(s)`, async () => {
    const [folder] = storeFolders();
    const page = await folder?.store.call('listRuns', {});
    return page && page.total === total ? true : undefined;
  });
}

/** Closes the Charts panel and every editor, then goes back to the default store and deletes `dir`. */
export async function closeChartsAndDropStore(dir: string): Promise<void> {
  api()
    .then((a) => a.charts()?.dispose())
    .catch(() => undefined);
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await dropStoreDir(dir);
}

/** Goes back to the default store and deletes `dir`, which its worker may still be saving into. */
export async function dropStoreDir(dir: string): Promise<void> {
  await useStoreDir(undefined);
  await rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}

/**
 * Asks the code-server runner for a screenshot of the workbench (test-results/integration-<name>.png)
 * and waits until it is taken; does nothing under a runner without screenshots.
 */
export async function screenshot(name: string): Promise<void> {
  const dir = process.env['RUNLOG_TEST_SCREENSHOTS'];
  if (!dir) return;
  const done = join(dir, `${name}.done`);
  await writeFile(join(dir, `${name}.request`), '');
  for (let i = 0; i < 60 && !existsSync(done); i++) await new Promise((r) => setTimeout(r, 250));
}

/**
 * Asks the code-server runner to click, as a user does, the first visible element matching
 * `selector` in any webview of the workbench (a panel's button). Resolves whether it clicked;
 * undefined under a runner that cannot click into webviews (no screenshot folder: the electron one).
 */
export async function clickInWebview(name: string, selector: string): Promise<boolean | undefined> {
  const dir = process.env['RUNLOG_TEST_SCREENSHOTS'];
  if (!dir) return undefined;
  const done = join(dir, `${name}.clicked`);
  await writeFile(join(dir, `${name}.click`), JSON.stringify({ selector }));
  for (let i = 0; i < 80 && !existsSync(done); i++) await new Promise((r) => setTimeout(r, 250));
  if (!existsSync(done)) return false;
  const { clicked, error } = JSON.parse(readFileSync(done, 'utf8')) as { clicked: boolean; error: string };
  if (error) throw new Error(`the runner could not click ${selector}: ${error}`);
  return clicked;
}

/** A line in the suite's output (figures a test measured), beside the test names. */
export function report(line: string): void {
  console.log(line);
  const file = process.env['RUNLOG_TEST_LOG'];
  if (file) appendFileSync(file, `${line}\n`);
}

/** Writes a run's journal (or, with flag 'a', appends to it): one JSON event a line. */
export async function writeJournal(
  storeDir: string,
  runId: string,
  events: object[],
  flag: 'w' | 'a' = 'w',
): Promise<void> {
  await mkdir(join(storeDir, 'runs', runId), { recursive: true });
  await writeFile(join(storeDir, 'runs', runId, 'events.jsonl'), events.map((e) => `${JSON.stringify(e)}\n`).join(''), {
    flag,
  });
}

/** A run as the workspace's store has it now. */
export async function storedRun(runId: string): Promise<RunDetails | undefined> {
  const [folder] = (await api()).storeFolders();
  assert.ok(folder);
  return folder.store.call('getRun', runId);
}

/** Waits until a run is neither running nor queued. */
export function runEnded(runId: string): Promise<RunDetails> {
  return waitFor(`run ${runId} to end`, async () => {
    const run = await storedRun(runId);
    return run && !['RUNNING', 'QUEUED'].includes(run.status) ? run : undefined;
  });
}

export function labelOf(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}
