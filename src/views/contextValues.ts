import type { RunGrouping } from '../store/types';

// The `contextValue` of each kind of tree item. package.json's menus choose their items by these
// (`viewItem == …`, `viewItem =~ /…/`); test/unit/commands/contributions.test.ts checks every menu
// against the values here and those of runs (`runContextValue`, src/runs/runPresentation.ts).

export const EXPERIMENT_ITEM = 'runlog.experiment';
export const TRASH_ITEM = 'runlog.trash';
export const MODEL_ITEM = 'runlog.model';
/** The Runs view's items of a tracking server (`runlog.servers`): the server, an experiment, a run. */
export const SERVER_ITEM = 'runlog.server';
export const REMOTE_EXPERIMENT_ITEM = 'runlog.remoteExperiment';
export const REMOTE_RUN_ITEM = 'runlog.remoteRun';
/** The Models view's group of MLflow 3 logged models not registered yet, and one of them. */
export const UNREGISTERED_ITEM = 'runlog.unregisteredModels';
export const LOGGED_MODEL_ITEM = 'runlog.loggedModel';

/** A group of runs in the Runs view (by branch, commit or status). */
export function groupItem(by: RunGrouping): string {
  return `runlog.group.${by}`;
}

/** A registered version in the Models view; `.aliased` when an alias points at it. */
export function modelVersionItem(aliased: boolean): string {
  return `runlog.modelVersion${aliased ? '.aliased' : ''}`;
}
