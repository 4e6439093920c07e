import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Lifecycle } from './mlrunsLayout';

/**
 * What an imported run's journal cannot hold about where it came from: its MLflow experiment's id
 * and metadata. Kept beside the journal (`runs/<id>/mlflow.json`), so exporting the run again puts
 * it back in the experiment it came from.
 */
export interface MlflowOrigin {
  readonly experiment_id: string;
  readonly experiment_creation_time: number | null;
  readonly experiment_last_update_time: number | null;
  readonly experiment_lifecycle_stage: Lifecycle;
  /** The run's own stage: a run of a deleted experiment is in the trash with it, yet itself active. */
  readonly run_lifecycle_stage: Lifecycle;
}

export const ORIGIN_FILE = 'mlflow.json';

const isStage = (value: unknown): value is Lifecycle => value === 'active' || value === 'deleted';
const millis = (value: unknown): value is number | null => value === null || Number.isSafeInteger(value);

/** The origin of an imported run; undefined for a run that did not come from MLflow (or a damaged file). */
export async function readOrigin(runDir: string): Promise<MlflowOrigin | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(join(runDir, ORIGIN_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  const origin = value as Partial<MlflowOrigin> | null;
  if (
    typeof origin !== 'object' ||
    origin === null ||
    typeof origin.experiment_id !== 'string' ||
    !/^[A-Za-z0-9_-]+$/.test(origin.experiment_id) ||
    !millis(origin.experiment_creation_time) ||
    !millis(origin.experiment_last_update_time) ||
    !isStage(origin.experiment_lifecycle_stage) ||
    !isStage(origin.run_lifecycle_stage)
  ) {
    return undefined;
  }
  return origin as MlflowOrigin;
}
