import type { RunEvent, RunStatus } from '../store/events';

export interface MetricSummary {
  readonly last: number;
  readonly lastStep: number;
  readonly min: number;
  readonly max: number;
  readonly count: number;
}

export interface GitSummary {
  readonly commit: string;
  readonly branch: string | undefined;
  readonly dirty: boolean;
}

export interface RunSummary {
  readonly id: string;
  readonly name: string;
  readonly experiment: string;
  readonly status: RunStatus;
  readonly startTime: number;
  readonly endTime: number | undefined;
  readonly command: string | undefined;
  readonly params: ReadonlyMap<string, string>;
  readonly tags: ReadonlyMap<string, string>;
  readonly metrics: ReadonlyMap<string, MetricSummary>;
  readonly git: GitSummary | undefined;
}

interface MutableMetric {
  last: number;
  lastStep: number;
  min: number;
  max: number;
  count: number;
}

/**
 * Folds a run's journal events into the summary the Runs view shows. The run id comes from the
 * journal's folder, so a journal whose `run_start` line is missing or damaged still shows up.
 */
export function summarizeRun(runId: string, events: Iterable<RunEvent>): RunSummary {
  let name = runId;
  let experiment = 'Default';
  let status: RunStatus = 'RUNNING';
  let startTime = Number.NaN;
  let endTime: number | undefined;
  let command: string | undefined;
  let git: GitSummary | undefined;
  const params = new Map<string, string>();
  const tags = new Map<string, string>();
  const metrics = new Map<string, MutableMetric>();
  for (const event of events) {
    if (Number.isNaN(startTime)) startTime = event.ts;
    switch (event.t) {
      case 'run_start':
        name = event.name;
        experiment = event.experiment;
        startTime = event.ts;
        command = event.command;
        break;
      case 'run_end':
        status = event.status;
        endTime = event.ts;
        break;
      case 'status':
        status = event.status;
        break;
      case 'param':
        // Params are write-once: the first value wins; the store reports later conflicts.
        if (!params.has(event.key)) params.set(event.key, event.value);
        break;
      case 'tag':
        tags.set(event.key, event.value);
        break;
      case 'metric': {
        const metric = metrics.get(event.key);
        if (!metric) {
          metrics.set(event.key, {
            last: event.value,
            lastStep: event.step,
            min: event.value,
            max: event.value,
            count: 1,
          });
        } else {
          if (event.step >= metric.lastStep) {
            metric.last = event.value;
            metric.lastStep = event.step;
          }
          // NaN never becomes a min or max.
          if (event.value < metric.min || Number.isNaN(metric.min)) metric.min = event.value;
          if (event.value > metric.max || Number.isNaN(metric.max)) metric.max = event.value;
          metric.count++;
        }
        break;
      }
      case 'git':
        git = { commit: event.commit, branch: event.branch, dirty: event.dirty };
        break;
      case 'artifact':
      case 'input':
        break;
    }
  }
  return { id: runId, name, experiment, status, startTime, endTime, command, params, tags, metrics, git };
}
