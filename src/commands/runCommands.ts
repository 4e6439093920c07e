import type { App } from '../app/app';
import type { RunlogCommands } from '../app/commands';
import type { StoreFolder } from '../workspaceStores';
import type { Relaunch } from './rerunRuns';
import { rerunRuns } from './rerunRuns';
import { RunLifecycle } from './runLifecycle';
import { resolveRunTargets } from './runTargets';
import type { RunControl } from './stopRun';
import { stopRun } from './stopRun';

type RunCommands = Pick<
  RunlogCommands,
  | 'runlog.stopRun'
  | 'runlog.rerunRun'
  | 'runlog.renameRun'
  | 'runlog.tagRuns'
  | 'runlog.editNote'
  | 'runlog.pinRun'
  | 'runlog.unpinRun'
  | 'runlog.deleteRun'
  | 'runlog.restoreRun'
  | 'runlog.deleteRunPermanently'
  | 'runlog.copyRunId'
>;

/** What the run commands work with. */
export interface RunCommandDeps {
  readonly app: App;
  readonly folders: () => readonly StoreFolder[];
  /** The runs this window launched: Stop stops them. */
  readonly launcher: RunControl;
  readonly relaunch: Relaunch;
  /** Shows the Runs view's runs again (after an edit). */
  readonly refresh: () => void;
}

/**
 * The commands that change or relaunch runs: stop, rerun, rename, tag, pin, trash, restore, delete
 * for good, and Copy Run ID. Plain TypeScript over `App`, so test/unit/commands tests them in Node. Each takes `(node, nodes)` from the Runs view or `{ runIds }` from code; called
 * without arguments, the registry chose the runs first (src/app/commands.ts says how).
 */
export function runCommands({ app, folders, launcher, relaunch, refresh }: RunCommandDeps): RunCommands {
  const lifecycle = new RunLifecycle(app, folders, refresh);
  return {
    'runlog.stopRun': (target, selected) => stopRun(app, launcher, folders, target, selected),
    'runlog.rerunRun': async (target, selected) =>
      rerunRuns(app, relaunch, await resolveRunTargets(target, selected, folders)),
    'runlog.renameRun': (target, selected, name) =>
      lifecycle.rename(target, selected, typeof name === 'string' ? name : undefined),
    'runlog.tagRuns': (target, selected, tags) =>
      lifecycle.tag(target, selected, typeof tags === 'string' ? tags : undefined),
    'runlog.editNote': (target, selected, note) =>
      lifecycle.note(target, selected, typeof note === 'string' ? note : undefined),
    'runlog.pinRun': (target, selected) => lifecycle.pin(target, selected),
    'runlog.unpinRun': (target, selected) => lifecycle.unpin(target, selected),
    'runlog.deleteRun': (target, selected) => lifecycle.trash(target, selected),
    'runlog.restoreRun': (target, selected) => lifecycle.restore(target, selected),
    'runlog.deleteRunPermanently': (target, selected, options) =>
      lifecycle.deletePermanently(target, selected, options),
    'runlog.copyRunId': async (target, selected) => {
      const [ref] = await resolveRunTargets(target, selected, folders);
      const run = ref ? await ref.store.call('getRun', ref.runId) : undefined;
      if (run) await app.writeClipboard(run.id);
    },
  };
}
