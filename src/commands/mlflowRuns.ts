import * as vscode from 'vscode';
import type { RunlogCommands } from '../app/commands';
import type { ExportSummary } from '../mlruns/mlrunsExport';
import { exportMlruns, exportTarget } from '../mlruns/mlrunsExport';
import type { ImportSummary } from '../mlruns/mlrunsImport';
import { importMlruns } from '../mlruns/mlrunsImport';
import { exportSummaryText, importSummaryText, notificationText } from '../mlruns/mlrunsSummary';
import type { StoreClient } from '../store/storeClient';
import type { StoreFolder } from '../workspaceStores';
import type { RunIdsArg, RunRef, RunsSelection, RunsTarget } from './runTargets';
import { resolveRunTargets } from './runTargets';

export interface MlflowRunsDeps {
  readonly folders: () => readonly StoreFolder[];
  readonly log: vscode.LogOutputChannel;
  readonly refresh: () => void;
}

/** Import MLflow Runs… and Export Runs to MLflow…: `mlruns/` folders in and out of the stores. */
export function mlflowCommands(
  deps: MlflowRunsDeps,
): Pick<RunlogCommands, 'runlog.importMlflowRuns' | 'runlog.exportRunsToMlflow'> {
  return {
    'runlog.importMlflowRuns': (arg) => importMlflowRuns(deps, arg),
    'runlog.exportRunsToMlflow': (target, selected) => exportRunsToMlflow(deps, target, selected),
  };
}

/** The folder given to a command (`{ folder }` from tests and other code), if any. */
function folderArg(value: unknown): string | undefined {
  const folder = (value as { folder?: unknown } | null | undefined)?.folder;
  return typeof folder === 'string' && folder !== '' ? folder : undefined;
}

async function pickFolder(title: string, openLabel: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title,
    openLabel,
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
  });
  return picked?.[0]?.fsPath;
}

async function pickStore(folders: readonly StoreFolder[]): Promise<StoreFolder | undefined> {
  if (folders.length <= 1) return folders[0];
  const picked = await vscode.window.showQuickPick(
    folders.map((folder) => ({ label: folder.name, folder })),
    { title: 'Runlog: import the runs into the store of' },
  );
  return picked?.folder;
}

function report(deps: MlflowRunsDeps, text: string, details: readonly string[]): void {
  for (const line of details) deps.log.warn(line);
  deps.log.info(text);
  const show = details.length > 0 ? ['Show Log'] : [];
  const message = notificationText(`Runlog: ${text}`);
  const shown =
    details.length > 0
      ? vscode.window.showWarningMessage(message, ...show)
      : vscode.window.showInformationMessage(message);
  void shown.then((choice) => {
    if (choice) deps.log.show();
  });
}

/**
 * `Runlog: Import MLflow Runs…`: an `mlruns/` folder (picked, or `{ folder }`) into the store of a
 * workspace folder. Runs the store already has are skipped, so importing again adds only new runs.
 */
async function importMlflowRuns(
  deps: MlflowRunsDeps,
  arg?: { readonly folder?: string },
): Promise<ImportSummary | undefined> {
  const store = await pickStore(deps.folders());
  if (!store) {
    void vscode.window.showInformationMessage('Runlog: open a folder to import MLflow runs into its store.');
    return undefined;
  }
  const source = folderArg(arg) ?? (await pickFolder('Runlog: the MLflow mlruns folder to import', 'Import'));
  if (!source) return undefined;
  try {
    const { dir } = await store.store.call('status');
    const summary = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Runlog: importing MLflow runs', cancellable: true },
      (progress, token) => {
        let last = 0;
        return importMlruns(source, dir, {
          report: (done, total, current) => {
            const at = total === 0 ? 100 : (done / total) * 100;
            progress.report({ increment: at - last, message: `${done + 1} of ${total}: ${current}` });
            last = at;
          },
          isCancelled: () => token.isCancellationRequested,
        });
      },
    );
    await store.store.call('sync').catch(() => []);
    deps.refresh();
    report(deps, importSummaryText(summary), [...summary.unreadable, ...summary.warnings]);
    return summary;
  } catch (error) {
    deps.log.error(`Import of ${source}: ${(error as Error).message}`);
    void vscode.window.showErrorMessage(
      notificationText(`Runlog could not import ${source}: ${(error as Error).message}`),
    );
    return undefined;
  }
}

/**
 * `Runlog: Export Runs to MLflow…`: the runs it was invoked on (the Runs view's selection or
 * `{ runIds, folder? }`), or picked, into an `mlruns/` folder that MLflow's own tools read.
 */
async function exportRunsToMlflow(
  deps: MlflowRunsDeps,
  first?: RunsTarget | (RunIdsArg & { readonly folder?: string }),
  selected?: RunsSelection,
): Promise<ExportSummary | undefined> {
  const refs = await resolveRunTargets(first, selected, deps.folders);
  if (refs.length === 0) return undefined;
  const picked = folderArg(first) ?? (await pickFolder('Runlog: export to an MLflow mlruns folder', 'Export Here'));
  if (!picked) return undefined;
  const target = await exportTarget(picked);
  const byStore = new Map<StoreClient, string[]>();
  for (const ref of refs) byStore.set(ref.store, [...(byStore.get(ref.store) ?? []), ref.runId]);
  try {
    const summaries = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Runlog: exporting runs to MLflow', cancellable: true },
      (progress, token) => exportAll(byStore, target, refs, progress, token),
    );
    const summary = merge(summaries);
    report(deps, exportSummaryText(summary, target), [...summary.failed, ...summary.warnings]);
    return summary;
  } catch (error) {
    deps.log.error(`Export to ${target}: ${(error as Error).message}`);
    void vscode.window.showErrorMessage(
      notificationText(`Runlog could not export to ${target}: ${(error as Error).message}`),
    );
    return undefined;
  }
}

async function exportAll(
  byStore: ReadonlyMap<StoreClient, string[]>,
  target: string,
  refs: readonly RunRef[],
  progress: vscode.Progress<{ message?: string; increment?: number }>,
  token: vscode.CancellationToken,
): Promise<ExportSummary[]> {
  const summaries: ExportSummary[] = [];
  let before = 0;
  for (const [store, runIds] of byStore) {
    const { dir } = await store.call('status');
    summaries.push(
      await exportMlruns(dir, runIds, target, {
        report: (done, _total, current) => {
          progress.report({
            increment: 100 / refs.length,
            message: `${before + done + 1} of ${refs.length}: ${current}`,
          });
        },
        isCancelled: () => token.isCancellationRequested,
      }),
    );
    before += runIds.length;
  }
  return summaries;
}

function merge(summaries: readonly ExportSummary[]): ExportSummary {
  return {
    exported: summaries.reduce((n, s) => n + s.exported, 0),
    experiments: summaries.reduce((n, s) => n + s.experiments, 0),
    skipped: summaries.reduce((n, s) => n + s.skipped, 0),
    failed: summaries.flatMap((s) => s.failed),
    warnings: summaries.flatMap((s) => s.warnings),
    cancelled: summaries.some((s) => s.cancelled),
  };
}
