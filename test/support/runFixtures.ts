// Runs as the store hands them out, for tests of code that presents them.
import type { RunDetails, RunRecord } from '../../src/store/types';

/** A finished run with nothing but the required fields set; `extra` overrides any of them. */
export function runRecord(extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'r1',
    name: 'bright-owl',
    experimentId: 1,
    experiment: 'exp',
    status: 'FINISHED',
    startTime: 1_000,
    endTime: 61_000,
    command: null,
    cwd: null,
    entryPoint: null,
    source: null,
    exitCode: 0,
    error: null,
    user: null,
    parentRunId: null,
    deleted: false,
    pinned: false,
    git: null,
    ...extra,
  };
}

/** A run's details: `runRecord` plus empty params, tags, metrics, files and models, no environment. */
export function runDetails(extra: Partial<RunDetails> = {}): RunDetails {
  return {
    ...runRecord(),
    params: {},
    tags: {},
    metrics: [],
    git: null,
    artifacts: [],
    inputs: [],
    rejected: [],
    models: [],
    environment: null,
    loggedModels: [],
    ...extra,
  };
}
