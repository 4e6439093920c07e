/**
 * The names a pushed or pulled run carries on the server and locally (docs/JOURNAL.md, "Syncing
 * with a tracking server"). On the wire they are plain MLflow tags and artifacts: a server needs
 * to know nothing of Runlog.
 */
import { RUN_EXPERIMENT_TAG, RUN_NAME_TAG, RUN_PINNED_TAG } from '../store/ingest';

/** On every pushed run: the local run's id, and the id of the store it was pushed from. */
export const SOURCE_ID_TAG = 'runlog.source_id';
export const STORE_ID_TAG = 'runlog.store_id';
/** On every pulled run (locally): the server's URI and the run's id there. Pulled runs are read-only. */
export const REMOTE_TAG = 'runlog.remote';
export const REMOTE_RUN_TAG = 'runlog.remote_run_id';

/** MLflow's tags for the code a run ran. */
export const GIT_COMMIT_TAG = 'mlflow.source.git.commit';
export const GIT_BRANCH_TAG = 'mlflow.source.git.branch';
export const GIT_REPO_TAG = 'mlflow.source.git.repoURL';
export const RUN_NAME_MLFLOW_TAG = 'mlflow.runName';
export const USER_TAG = 'mlflow.user';
export const SOURCE_NAME_TAG = 'mlflow.source.name';
export const PARENT_TAG = 'mlflow.parentRunId';
export const LOGGED_MODELS_TAG = 'mlflow.log-model.history';

/** What a run's journal holds beyond MLflow's entities, as artifacts of the pushed run. */
export const GIT_DIFF_ARTIFACT = 'runlog/git.diff';
export const UNTRACKED_ARTIFACT = 'runlog/untracked.json';
export const ENVIRONMENT_ARTIFACT = 'runlog/environment.json';
export const RUNLOG_ARTIFACTS = [GIT_DIFF_ARTIFACT, UNTRACKED_ARTIFACT, ENVIRONMENT_ARTIFACT];

/**
 * A local tag's key on the server, or undefined for tags that stay local: `runlog.name` is the
 * run's name (`mlflow.runName`), `runlog.experiment` where it is filed (a server cannot move a run
 * between experiments), `runlog.pinned` this window's order, `runlog.remote*` a pulled run's origin.
 */
export function serverTagKey(key: string): string | undefined {
  if (key === RUN_NAME_TAG) return RUN_NAME_MLFLOW_TAG;
  if (key === RUN_EXPERIMENT_TAG || key === RUN_PINNED_TAG || key.startsWith(REMOTE_TAG)) return undefined;
  return key;
}
