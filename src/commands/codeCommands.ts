import * as vscode from 'vscode';
import type { RunlogCommands } from '../app/commands';
import type { WorkspaceStores } from '../workspaceStores';
import { RUN_CODE_SCHEME, RunCodeDocuments, diffRunCode } from './diffRunCode';
import { RUN_DIFF_SCHEME, RunDiffDocuments, openRunDiff } from './openRunDiff';
import type { Relaunch } from './rerunRuns';
import type { ReproduceEnvironment } from './reproduceRun';
import { RunReproductions } from './reproduceRun';
import { RUN_TREE_SCHEME, RunTreeDocuments, checkOutRunCode, showCodeChangesSinceRun } from './runCode';
import { writeRunRequirements } from './runRequirements';

type CodeCommands = Pick<
  RunlogCommands,
  | 'runlog.reproduceRun'
  | 'runlog.checkOutRunCode'
  | 'runlog.showCodeChangesSinceRun'
  | 'runlog.diffRunCode'
  | 'runlog.openRunDiff'
  | 'runlog.writeRunRequirements'
>;

/**
 * The code a run ran: its changes file by file (the Git section's Open Changes), two runs' code
 * side by side, the working tree against it, checked out on a branch, or rebuilt and run again
 * (Reproduce Run), and the packages it ran with as a requirements.txt. The read-only documents
 * these open come from the content providers here.
 */
export class RunCodeCommands implements vscode.Disposable {
  /** Reproduce Run: reports when a reproduction ends. */
  readonly reproductions: RunReproductions;
  private readonly runCode: RunCodeDocuments;
  private readonly diffs: RunDiffDocuments;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly stores: WorkspaceStores,
    relaunch: Relaunch,
    log: vscode.LogOutputChannel,
    environment: Omit<ReproduceEnvironment, 'log'>,
  ) {
    this.reproductions = new RunReproductions(relaunch, stores.folders, { ...environment, log });
    this.runCode = new RunCodeDocuments(stores.folders);
    this.diffs = new RunDiffDocuments(stores.storeAt);
    this.subscriptions = [
      this.reproductions,
      vscode.workspace.registerTextDocumentContentProvider(RUN_TREE_SCHEME, new RunTreeDocuments()),
      vscode.workspace.registerTextDocumentContentProvider(RUN_DIFF_SCHEME, this.diffs),
      vscode.workspace.registerTextDocumentContentProvider(RUN_CODE_SCHEME, this.runCode),
      stores.onDidChangeRuns(({ runIds }) => {
        this.diffs.clear();
        this.reproductions.changed(runIds).catch((error: unknown) => log.warn(`Reproduce Run: ${String(error)}`));
      }),
    ];
  }

  /** The diff editor between two runs' code (Compare's "diff code"). */
  readonly diffCode = (left: string, right: string): Promise<void> => this.runCode.diff(left, right);

  commands(): CodeCommands {
    const folders = this.stores.folders;
    return {
      'runlog.reproduceRun': (target, selected) => this.reproductions.reproduce(target, selected),
      'runlog.checkOutRunCode': (target, selected, options) => checkOutRunCode(folders, target, selected, options),
      'runlog.showCodeChangesSinceRun': (target, selected) => showCodeChangesSinceRun(folders, target, selected),
      'runlog.diffRunCode': (target, selected) => diffRunCode(this.runCode, folders, target, selected),
      'runlog.openRunDiff': (ref) => openRunDiff(this.diffs, ref),
      'runlog.writeRunRequirements': (target, selected, options) =>
        writeRunRequirements(folders, target, selected, options),
    };
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
