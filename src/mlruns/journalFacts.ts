import type { GitEvent, RunEvent, RunStatus } from '../store/events';
import { RUN_EXPERIMENT_TAG, RUN_NAME_TAG, RUN_PINNED_TAG } from '../store/ingest';

/** What a run's journal says about it once every event is applied, without its metric points. */
export interface RunFacts {
  readonly id: string;
  name: string;
  experiment: string;
  user: string | undefined;
  source: string | undefined;
  status: RunStatus;
  start: number | undefined;
  end: number | null;
  deleted: boolean;
  readonly params: Map<string, string>;
  readonly tags: Map<string, string>;
  git: Pick<GitEvent, 'commit' | 'branch' | 'remote'> | undefined;
}

export function emptyFacts(id: string): RunFacts {
  return {
    id,
    name: id,
    experiment: 'Default',
    user: undefined,
    source: undefined,
    status: 'RUNNING',
    start: undefined,
    end: null,
    deleted: false,
    params: new Map(),
    tags: new Map(),
    git: undefined,
  };
}

const ENDED: readonly RunStatus[] = ['FINISHED', 'FAILED', 'KILLED'];

/**
 * Applies one journal event the way the store's ingest does (src/store/ingest.ts): params are
 * write-once, a later tag overwrites, `runlog.name` and `runlog.experiment` move the run, an ended
 * run keeps its end.
 */
export function applyEvent(facts: RunFacts, event: RunEvent): void {
  facts.start ??= event.ts;
  switch (event.t) {
    case 'run_start':
      facts.name = event.name;
      facts.experiment = event.experiment;
      facts.start = event.ts;
      facts.user = event.user ?? facts.user;
      facts.source = event.source ?? facts.source;
      return;
    case 'run_end':
      facts.status = event.status;
      facts.end = event.ts;
      return;
    case 'status':
      if (!ENDED.includes(facts.status)) facts.status = event.status;
      return;
    case 'param':
      if (!facts.params.has(event.key)) facts.params.set(event.key, event.value);
      return;
    case 'tag':
      if (event.key === RUN_NAME_TAG && event.value !== '') facts.name = event.value;
      else if (event.key === RUN_EXPERIMENT_TAG && event.value !== '') facts.experiment = event.value;
      else facts.tags.set(event.key, event.value);
      return;
    case 'git':
      facts.git = { commit: event.commit, branch: event.branch, remote: event.remote };
      return;
    case 'lifecycle':
      switch (event.action) {
        case 'delete':
        case 'restore':
          facts.deleted = event.action === 'delete';
          return;
        case 'pin':
          facts.tags.set(RUN_PINNED_TAG, 'true');
          return;
        case 'unpin':
          facts.tags.delete(RUN_PINNED_TAG);
          return;
        case 'remove_tag':
          facts.tags.delete(event.key ?? '');
          return;
      }
      return;
    default:
      return;
  }
}
