/** Runlog's runs and experiments as MLflow's JSON entities (proto field names, int64 as numbers). */
import type { RunStatus } from '../store/events';
import { encodeWireNumber } from '../store/events';
import type { RunDetails } from '../store/types';
import type { MlflowExperiment } from './experiments';

export const MLFLOW_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;
export type MlflowStatus = (typeof MLFLOW_STATUSES)[number];

/** Runlog's QUEUED is MLflow's SCHEDULED; a run whose process vanished (INTERRUPTED) was killed. */
export function mlflowStatus(status: RunStatus): MlflowStatus {
  if (status === 'QUEUED') return 'SCHEDULED';
  if (status === 'INTERRUPTED') return 'KILLED';
  return status;
}

export function artifactUri(runId: string): string {
  return `mlflow-artifacts:/${runId}`;
}

export function runInfo(run: RunDetails, experimentId: string): Record<string, unknown> {
  return {
    run_id: run.id,
    run_uuid: run.id,
    run_name: run.name,
    experiment_id: experimentId,
    user_id: run.user ?? '',
    status: mlflowStatus(run.status),
    start_time: run.startTime,
    ...(run.endTime !== null ? { end_time: run.endTime } : {}),
    artifact_uri: artifactUri(run.id),
    lifecycle_stage: run.deleted ? 'deleted' : 'active',
  };
}

const pairs = (record: Readonly<Record<string, string>>): { key: string; value: string }[] =>
  Object.entries(record).map(([key, value]) => ({ key, value }));

/**
 * A run as `runs/get` returns it. The tags MLflow's UI expects (run name, git commit, source) are
 * filled from what Runlog knows when the client never set them.
 */
export function runEntity(run: RunDetails, experimentId: string): Record<string, unknown> {
  const tags: Record<string, string> = {};
  tags['mlflow.runName'] = run.name;
  if (run.git) tags['mlflow.source.git.commit'] = run.git.commit;
  if (run.source) tags['mlflow.source.name'] = run.source;
  if (run.user) tags['mlflow.user'] = run.user;
  if (run.parentRunId) tags['mlflow.parentRunId'] = run.parentRunId;
  Object.assign(tags, run.tags);
  return {
    info: runInfo(run, experimentId),
    data: {
      metrics: run.metrics.map((m) => ({
        key: m.key,
        value: encodeWireNumber(m.last),
        timestamp: m.lastTime,
        step: m.lastStep,
      })),
      params: pairs(run.params),
      tags: pairs(tags),
    },
    inputs: {
      dataset_inputs: run.inputs.map((input) => ({
        tags: [],
        dataset: { name: input.name, digest: input.digest, source_type: 'local', source: input.path },
      })),
    },
  };
}

export function experimentEntity(experiment: MlflowExperiment): Record<string, unknown> {
  return {
    experiment_id: experiment.id,
    name: experiment.name,
    artifact_location: `mlflow-artifacts:/experiments/${experiment.id}`,
    lifecycle_stage: experiment.deleted ? 'deleted' : 'active',
    creation_time: experiment.created,
    last_update_time: experiment.updated,
    tags: [...experiment.tags].map(([key, value]) => ({ key, value })),
  };
}
