import type { CompareRun, CompareSnapshot } from '../../../shared/compareProtocol';

/** A run for the compare tests: finished, no git, no environment, values overridable. */
export function compareRun(id: string, extra: Partial<CompareRun> = {}): CompareRun {
  return {
    id,
    name: id,
    experiment: 'exp',
    status: 'FINISHED',
    startTime: 1_700_000_000_000,
    durationMs: 60_000,
    params: {},
    metrics: [],
    git: null,
    environment: null,
    gpus: [],
    ...extra,
  };
}

export function snapshotOf(runs: CompareRun[], goals: CompareSnapshot['goals'] = {}): CompareSnapshot {
  return { runs, missing: [], goals };
}

/** A metric whose last, min and max are given. */
export function metric(
  key: string,
  last: number | null,
  min: number | null,
  max: number | null,
): CompareRun['metrics'][number] {
  return { key, last, min, max, count: 3 };
}

/** An environment of a run: Python 3.11.2 on Linux and these packages. */
export function environment(packages: Record<string, string>, python = '3.11.2 (CPython)'): CompareRun['environment'] {
  return { python, platform: 'Linux-6.1-x86_64', gpus: null, packages };
}
