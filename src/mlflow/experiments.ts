/**
 * MLflow's experiments. Runlog's experiments are names a run files itself under; MLflow's have
 * stable string ids, can exist with no run, carry tags and can be deleted. This journal,
 * `<store>/mlflow/experiments.jsonl` (append-only, like every journal), gives them those: each
 * experiment the endpoint shows gets an id the first time it is seen, and keeps it.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { appendJournal } from '../store/journalAppend';

export const DEFAULT_EXPERIMENT = 'Default';
const FILE = join('mlflow', 'experiments.jsonl');

export type ExperimentEvent =
  | {
      readonly t: 'experiment';
      readonly ts: number;
      readonly action: 'create';
      readonly id: string;
      readonly name: string;
    }
  | {
      readonly t: 'experiment';
      readonly ts: number;
      readonly action: 'rename';
      readonly id: string;
      readonly name: string;
    }
  | { readonly t: 'experiment'; readonly ts: number; readonly action: 'delete' | 'restore'; readonly id: string }
  | {
      readonly t: 'experiment';
      readonly ts: number;
      readonly action: 'tag';
      readonly id: string;
      readonly key: string;
      readonly value: string;
    }
  | {
      readonly t: 'experiment';
      readonly ts: number;
      readonly action: 'delete_tag';
      readonly id: string;
      readonly key: string;
    };

export interface MlflowExperiment {
  readonly id: string;
  name: string;
  readonly created: number;
  updated: number;
  deleted: boolean;
  readonly tags: Map<string, string>;
}

function isEvent(value: unknown): value is ExperimentEvent {
  const e = value as Record<string, unknown> | null;
  if (typeof e !== 'object' || e === null || e['t'] !== 'experiment' || typeof e['ts'] !== 'number') return false;
  if (typeof e['id'] !== 'string') return false;
  switch (e['action']) {
    case 'create':
    case 'rename':
      return typeof e['name'] === 'string';
    case 'delete':
    case 'restore':
      return true;
    case 'tag':
      return typeof e['key'] === 'string' && typeof e['value'] === 'string';
    case 'delete_tag':
      return typeof e['key'] === 'string';
    default:
      return false;
  }
}

export function foldExperiments(text: string): Map<string, MlflowExperiment> {
  const experiments = new Map<string, MlflowExperiment>();
  experiments.set('0', { id: '0', name: DEFAULT_EXPERIMENT, created: 0, updated: 0, deleted: false, tags: new Map() });
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      continue;
    }
    if (!isEvent(event)) continue;
    const known = experiments.get(event.id);
    if (event.action === 'create') {
      if (!known) {
        experiments.set(event.id, {
          id: event.id,
          name: event.name,
          created: event.ts,
          updated: event.ts,
          deleted: false,
          tags: new Map(),
        });
      }
      continue;
    }
    if (!known) continue;
    known.updated = event.ts;
    if (event.action === 'rename') known.name = event.name;
    else if (event.action === 'delete') known.deleted = true;
    else if (event.action === 'restore') known.deleted = false;
    else if (event.action === 'tag') known.tags.set(event.key, event.value);
    else if (event.action === 'delete_tag') known.tags.delete(event.key);
  }
  return experiments;
}

/** The experiment journal of one store, read again only when it grew (another window may append). */
export class ExperimentJournal {
  private readonly file: string;
  private cache: { size: number; experiments: Map<string, MlflowExperiment> } | undefined;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(storeDir: string) {
    this.file = join(storeDir, FILE);
  }

  async all(): Promise<Map<string, MlflowExperiment>> {
    const size = await stat(this.file).then(
      (s) => s.size,
      () => 0,
    );
    if (this.cache?.size !== size) {
      const text = size === 0 ? '' : await readFile(this.file, 'utf8');
      this.cache = { size: Buffer.byteLength(text), experiments: foldExperiments(text) };
    }
    return this.cache.experiments;
  }

  async byName(name: string): Promise<MlflowExperiment | undefined> {
    for (const e of (await this.all()).values()) if (e.name === name) return e;
    return undefined;
  }

  /** Appends events one batch at a time, so two creates never pick the same id. */
  append(make: (experiments: Map<string, MlflowExperiment>) => ExperimentEvent[]): Promise<void> {
    const next = this.writing.then(async () => {
      const events = make(await this.all());
      if (events.length === 0) return;
      await mkdir(join(this.file, '..'), { recursive: true });
      await appendJournal(this.file, events.map((e) => `${JSON.stringify(e)}\n`).join(''), { create: true });
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** Gives every name without an id one (the next free number), and returns the name → id map. */
  async ensure(names: Iterable<string>): Promise<Map<string, MlflowExperiment>> {
    const wanted = [...names];
    const byName = async (): Promise<Map<string, MlflowExperiment>> =>
      new Map([...(await this.all()).values()].map((e) => [e.name, e]));
    if (wanted.every((name) => name === DEFAULT_EXPERIMENT)) return byName();
    await this.append((experiments) => {
      const known = new Set([...experiments.values()].map((e) => e.name));
      let next = nextId(experiments);
      const events: ExperimentEvent[] = [];
      for (const name of new Set(wanted)) {
        if (known.has(name)) continue;
        events.push({ t: 'experiment', ts: Date.now(), action: 'create', id: String(next++), name });
      }
      return events;
    });
    return byName();
  }
}

export function nextId(experiments: ReadonlyMap<string, MlflowExperiment>): number {
  let max = 0;
  for (const id of experiments.keys()) if (/^\d+$/.test(id)) max = Math.max(max, Number(id));
  return max + 1;
}
