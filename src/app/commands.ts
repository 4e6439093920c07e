import type { TextDocument, Uri } from 'vscode';
import type { InstallPythonClientResult } from '../commands/installPythonClient';
import type { PreviewKind } from '../runs/artifactPreview';
import type { LaunchMode } from '../commands/launcher';
import type { RequirementsOptions } from '../commands/runRequirements';
import type { RunIdsArg, RunPickOptions, RunsSelection, RunsTarget, VersionPickOptions } from '../commands/runTargets';
import type { ExportSummary } from '../mlruns/mlrunsExport';
import type { ImportSummary } from '../mlruns/mlrunsImport';
import type { PullSummary } from '../sync/pull';
import type { PushSummary } from '../sync/push';
import type { PullArg } from '../commands/serverCommands';
import type { ServerEntry } from '../commands/trackingServers';
import type { ChartsPanel } from '../panels/chartsPanel';
import type { MediaPanel } from '../panels/mediaPanel';
import type { RunsTablePanel } from '../panels/runsTablePanel';
import type { ModelsTreeNode } from '../views/modelsTreeProvider';
import type { ArtifactRef, RunFileRef } from '../views/runSections';
import type { RunsGrouping } from '../views/runsTreeProvider';
import type { ServerTreeNode } from '../views/serverTree';

// Every command Runlog registers, declared once: its id, its handler's type, and how it is
// registered. src/app/commandRegistry.ts registers exactly these, each from the surface module that
// implements it (the comment above each group names it); test/unit/commands/contributions.test.ts
// holds package.json's `contributes` to this list. To add a command: declare it here, implement it
// in its module's commands, contribute it in package.json.

type Handler = (...args: never[]) => unknown;

/** How the registry registers one command. */
export interface Declaration<F extends Handler = Handler> {
  /**
   * - `palette`: in the Command Palette (and wherever package.json puts it);
   * - `arguments`: called with arguments only (a code lens, a tree item, a link): package.json
   *   hides it from the palette;
   * - `internal`: not contributed; other code and the integration tests call it;
   * - `runs` / `versions`: acts on runs (model versions); called without arguments (the palette, a
   *   key binding) it acts on the view's selection, or else on what the user picks (runTargets.ts).
   */
  readonly kind: 'palette' | 'arguments' | 'internal' | 'runs' | 'versions';
  /** For `runs`: which runs the pick offers, and how. */
  readonly runs?: RunPickOptions;
  /** For `versions`: how the pick of model versions asks. */
  readonly versions?: VersionPickOptions;
  /** The handler's type, for the compiler: never set. */
  readonly handler?: F;
}

const command = <F extends Handler>(): Declaration<F> => ({ kind: 'palette' });
const withArguments = <F extends Handler>(): Declaration<F> => ({ kind: 'arguments' });
const internal = <F extends Handler>(): Declaration<F> => ({ kind: 'internal' });
const onRuns = <F extends Handler>(runs: RunPickOptions): Declaration<F> => ({ kind: 'runs', runs });
const onVersions = <F extends Handler>(versions: VersionPickOptions): Declaration<F> => ({
  kind: 'versions',
  versions,
});

/** A run command's handler: the clicked node and the selection, or `{ runIds }`, then its own arguments. */
type RunsHandler<R, Rest extends unknown[] = []> = (
  target?: RunsTarget,
  selected?: RunsSelection,
  ...rest: Rest
) => Promise<R>;
/** A Models view item, or `{ name, version }` from other code. */
export type VersionTarget = ModelsTreeNode | { readonly name: string; readonly version: number };
type VersionsHandler<R, Rest extends unknown[] = []> = (
  target?: VersionTarget,
  selected?: readonly VersionTarget[],
  ...rest: Rest
) => Promise<R>;
type Scripts = (script?: Uri) => Promise<string[]>;
type ConfirmOption = { readonly confirm?: boolean };

const ENDED = ['FINISHED', 'FAILED', 'KILLED', 'INTERRUPTED'] as const;

export const COMMANDS = {
  // Launching (src/commands/launchCommands.ts; Show Log: src/extension.ts)
  'runlog.startRun': command<Scripts>(),
  'runlog.runScript': command<Scripts>(),
  'runlog.runWithParameters': command<Scripts>(),
  'runlog.rerunLast': command<Scripts>(),
  'runlog.runEntryPoint': withArguments<(mlproject?: Uri, name?: string, mode?: LaunchMode) => Promise<string[]>>(),
  'runlog.installPythonClient': command<() => Promise<InstallPythonClientResult | undefined>>(),
  'runlog.openDemoProject': command<() => Promise<void>>(),
  'runlog.showLog': command<() => void>(),

  // The Runs and Models views (src/views/runlogViews.ts)
  'runlog.refreshRuns': command<() => Promise<void>>(),
  'runlog.filterRuns': command<() => Promise<void>>(),
  'runlog.clearRunsFilter': command<() => void>(),
  'runlog.sortRuns': command<() => Promise<void>>(),
  'runlog.groupRuns': command<(group?: RunsGrouping) => Promise<void>>(),
  'runlog.revealRunInTree': internal<(target?: RunIdsArg) => Promise<boolean>>(),
  'runlog.showRunningRuns': command<() => Promise<void>>(),
  'runlog.refreshModels': command<() => void>(),

  // Changing and relaunching runs (src/commands/runCommands.ts)
  'runlog.stopRun': onRuns<(target?: RunsTarget | string, selected?: RunsSelection) => Promise<void>>({
    title: 'Runlog: runs to stop (queued ones are cancelled)',
    many: true,
    statuses: ['RUNNING', 'QUEUED'],
    launchedHere: true,
  }),
  'runlog.rerunRun': onRuns<RunsHandler<string[]>>({ title: 'Runlog: runs to rerun', many: true }),
  'runlog.renameRun': onRuns<RunsHandler<void, [name?: string]>>({ title: 'Runlog: the run to rename', many: false }),
  'runlog.tagRuns': onRuns<RunsHandler<void, [tags?: string]>>({ title: 'Runlog: runs to tag', many: true }),
  'runlog.editNote': onRuns<RunsHandler<void, [note?: string]>>({
    title: 'Runlog: the run whose note to edit',
    many: false,
  }),
  'runlog.pinRun': onRuns<RunsHandler<number>>({ title: 'Runlog: runs to pin', many: true, deleted: false }),
  'runlog.unpinRun': onRuns<RunsHandler<number>>({
    title: 'Runlog: runs to unpin',
    many: true,
    deleted: false,
    only: (run) => run.pinned,
  }),
  'runlog.deleteRun': onRuns<RunsHandler<number>>({
    title: 'Runlog: runs to move to the trash',
    many: true,
    deleted: false,
  }),
  'runlog.restoreRun': onRuns<RunsHandler<number>>({
    title: 'Runlog: runs to restore from the trash',
    many: true,
    deleted: true,
  }),
  'runlog.deleteRunPermanently': onRuns<RunsHandler<number, [options?: ConfirmOption]>>({
    title: 'Runlog: runs to delete permanently',
    many: true,
    statuses: ENDED,
  }),
  'runlog.copyRunId': onRuns<RunsHandler<void>>({ title: 'Runlog: the run whose id to copy', many: false }),

  // A run's files (src/commands/runActions.ts)
  'runlog.openOutputLog': onRuns<RunsHandler<void>>({
    title: 'Runlog: the run whose output log to open',
    many: false,
  }),
  'runlog.revealRun': onRuns<RunsHandler<void>>({ title: 'Runlog: the run whose folder to reveal', many: false }),

  // Panels (src/panels/runlogPanels.ts)
  'runlog.openCharts': onRuns<RunsHandler<ChartsPanel | undefined>>({ title: 'Runlog: runs to chart', many: true }),
  'runlog.compareRuns': onRuns<RunsHandler<void>>({ title: 'Runlog: runs to compare', many: true, preselect: 2 }),
  'runlog.openMedia': onRuns<RunsHandler<MediaPanel | undefined>>({
    title: 'Runlog: runs whose images to show',
    many: true,
  }),
  'runlog.openArtifact': withArguments<(ref?: ArtifactRef) => Promise<PreviewKind | undefined>>(),
  'runlog.openRunsTable': command<() => RunsTablePanel>(),

  // A run's code (src/commands/codeCommands.ts)
  'runlog.reproduceRun': onRuns<RunsHandler<string[]>>({ title: 'Runlog: the run to reproduce', many: false }),
  'runlog.checkOutRunCode': onRuns<RunsHandler<string | undefined, [options?: ConfirmOption]>>({
    title: 'Runlog: the run whose code to check out',
    many: false,
  }),
  'runlog.showCodeChangesSinceRun': onRuns<RunsHandler<number | undefined>>({
    title: 'Runlog: the run to compare the code with',
    many: false,
  }),
  'runlog.diffRunCode': onRuns<RunsHandler<void>>({
    title: 'Runlog: two runs whose code to diff',
    many: true,
    preselect: 2,
  }),
  'runlog.openRunDiff': withArguments<(ref?: RunFileRef) => Promise<void>>(),
  'runlog.writeRunRequirements': onRuns<RunsHandler<string | undefined, [options?: RequirementsOptions]>>({
    title: 'Runlog: the run whose packages to write as requirements.txt',
    many: false,
  }),

  // The model registry (src/commands/modelCommands.ts)
  'runlog.registerModel': onRuns<
    (
      target?: RunsTarget | { readonly runId: string; readonly model?: string; readonly name?: string },
    ) => Promise<number | undefined>
  >({ title: 'Runlog: the run whose model to register', many: false }),
  // An MLflow 3 logged model (a Models view item, or `{ modelId, name? }`); the palette asks which.
  'runlog.registerLoggedModel':
    command<
      (target?: ModelsTreeNode | { readonly modelId: string; readonly name?: string }) => Promise<number | undefined>
    >(),
  // The alias comes second, where a menu passes the selection (a non-string: the user is asked).
  'runlog.setModelAlias': onVersions<(target?: VersionTarget, alias?: unknown) => Promise<boolean>>({
    title: 'Runlog: the version to give an alias',
    many: false,
  }),
  'runlog.removeModelAlias': onVersions<(target?: VersionTarget, alias?: unknown) => Promise<boolean>>({
    title: 'Runlog: the version whose alias to remove',
    many: false,
  }),
  'runlog.deleteModelVersion': onVersions<VersionsHandler<boolean, [options?: ConfirmOption]>>({
    title: 'Runlog: the version to delete',
    many: false,
  }),
  'runlog.copyModelUri': onVersions<VersionsHandler<string | undefined>>({
    title: 'Runlog: the version whose URI to copy',
    many: false,
  }),
  'runlog.compareModelVersions': onVersions<VersionsHandler<unknown>>({
    title: 'Runlog: versions to compare',
    many: true,
    preselect: 2,
  }),
  'runlog.serveModel': onVersions<VersionsHandler<string | undefined>>({
    title: 'Runlog: the version to serve',
    many: false,
  }),
  'runlog.showModelSummary':
    withArguments<(target?: { readonly runId: string; readonly model: string }) => Promise<TextDocument | undefined>>(),

  // MLflow's mlruns folders (src/commands/mlflowRuns.ts)
  'runlog.importMlflowRuns': command<(arg?: { readonly folder?: string }) => Promise<ImportSummary | undefined>>(),
  'runlog.exportRunsToMlflow': onRuns<
    (
      target?: RunsTarget | (RunIdsArg & { readonly folder?: string }),
      selected?: RunsSelection,
    ) => Promise<ExportSummary | undefined>
  >({ title: 'Runlog: runs to export to MLflow', many: true }),

  // The team's MLflow tracking servers (src/commands/serverCommands.ts)
  'runlog.connectServer': command<() => Promise<ServerEntry | undefined>>(),
  'runlog.removeServer':
    command<(arg?: ServerTreeNode | string, options?: ConfirmOption) => Promise<ServerEntry | undefined>>(),
  'runlog.pushToServer': onRuns<RunsHandler<PushSummary | undefined, [server?: string]>>({
    title: 'Runlog: runs to push to the tracking server',
    many: true,
    deleted: false,
  }),
  'runlog.pullRuns': command<(arg?: PullArg | ServerTreeNode) => Promise<PullSummary | undefined>>(),
  'runlog.openRemoteRun':
    withArguments<(arg?: { readonly server?: string; readonly runId?: string }) => Promise<string | undefined>>(),
} satisfies Record<string, Declaration>;

export type CommandId = keyof typeof COMMANDS;

/** Each command's handler, as its surface module implements it. */
export type RunlogCommands = {
  [K in CommandId]: (typeof COMMANDS)[K] extends Declaration<infer F> ? F : never;
};
