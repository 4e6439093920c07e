import type { FSWatcher } from 'node:fs';
import { existsSync, statSync, watch } from 'node:fs';
import { basename, join } from 'node:path';
import { JOURNAL_FILE, MODELS_DIR, REGISTRY_DIR, RUNS_DIR } from './storeLocation';

/** The runs whose journal or folder changed, or undefined when any may have (read every journal). */
export type JournalChange = readonly string[] | undefined;

/** Beyond this many followed run folders, the store's periodic rescan covers the rest. */
const MAX_FOLLOWED = 256;

/**
 * Says which journals of a store changed, within milliseconds of the write, with a handful of
 * watches that never look below one folder level:
 * - the store folder, for `runs/`, `registry/` and `models/` appearing (or going);
 * - `runs/`, for run folders appearing or going;
 * - `registry/` and `models/`, for the registry journal and the logged models journal;
 * - the folder of each followed run, for appends to its `events.jsonl`. The store follows the runs
 *   that are running or queued; a folder that appears while watching is followed at once, since a
 *   run that just started may write its first points before the store has read who it is.
 *
 * Not `fs.watch(dir, { recursive: true })`: on Linux Node emulates that, and how depends on the
 * version. The Node 20.9 of VS Code 1.90–1.93 polls every file's stat every 5 s, so an append was
 * seen up to 5 s late; later ones put a watch on every file and folder of the store (thousands of
 * artifacts in a big one), and then each line a script prints into its output log woke the store.
 */
export class JournalWatcher {
  private root: FSWatcher | undefined;
  private runs: FSWatcher | undefined;
  private registry: FSWatcher | undefined;
  private models: FSWatcher | undefined;
  private readonly followed = new Map<string, FSWatcher>();
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly changed: (change: JournalChange) => void,
  ) {}

  /** Whether the store and its runs folder are watched; when not, the store polls and calls `start` again. */
  get watching(): boolean {
    return this.root !== undefined && this.runs !== undefined;
  }

  /** The runs whose folder is watched. */
  get following(): string[] {
    return [...this.followed.keys()];
  }

  /** Watches what exists of the store and is not watched yet; returns `watching`. */
  start(): boolean {
    if (this.closed) return false;
    this.root ??= this.open(
      this.dir,
      (name) => {
        if (name !== RUNS_DIR && name !== REGISTRY_DIR && name !== MODELS_DIR && name !== undefined) return;
        // A folder that went away (and perhaps came back) is watched afresh.
        if (name === RUNS_DIR || name === undefined) this.detach('runs');
        if (name === REGISTRY_DIR || name === undefined) this.detach('registry');
        if (name === MODELS_DIR || name === undefined) this.detach('models');
        this.start();
        this.changed(undefined);
      },
      () => (this.root = undefined),
    );
    if (!this.root) return false;
    this.runs ??= this.open(
      join(this.dir, RUNS_DIR),
      (name) => {
        if (name === undefined) {
          this.changed(undefined);
          return;
        }
        // A run folder appeared (a run started) or went (a run was deleted).
        const folder = join(this.dir, RUNS_DIR, name);
        if (statSync(folder, { throwIfNoEntry: false })?.isDirectory()) this.follow([name]);
        else this.unfollow([name]);
        this.changed([name]);
      },
      () => (this.runs = undefined),
    );
    this.registry ??= this.open(
      join(this.dir, REGISTRY_DIR),
      (name) => {
        if (name === undefined || name === JOURNAL_FILE) this.changed([]);
      },
      () => (this.registry = undefined),
    );
    this.models ??= this.open(
      join(this.dir, MODELS_DIR),
      (name) => {
        if (name === undefined || name === JOURNAL_FILE) this.changed([]);
      },
      () => (this.models = undefined),
    );
    return this.watching;
  }

  /** Watches these runs' folders for appends to their journals; returns the ones newly followed. */
  follow(runIds: Iterable<string>): string[] {
    const added: string[] = [];
    for (const runId of runIds) {
      if (this.closed || !this.runs || this.followed.has(runId) || this.followed.size >= MAX_FOLLOWED) continue;
      const watcher = this.open(
        join(this.dir, RUNS_DIR, runId),
        (name) => {
          if (name === undefined || name === JOURNAL_FILE) this.changed([runId]);
        },
        () => this.followed.delete(runId),
      );
      if (!watcher) continue;
      this.followed.set(runId, watcher);
      added.push(runId);
    }
    return added;
  }

  unfollow(runIds: Iterable<string>): void {
    for (const runId of runIds) {
      this.followed.get(runId)?.close();
      this.followed.delete(runId);
    }
  }

  close(): void {
    this.closed = true;
    this.unfollow([...this.followed.keys()]);
    this.detach('runs');
    this.detach('registry');
    this.detach('models');
    this.root?.close();
    this.root = undefined;
  }

  private detach(which: 'runs' | 'registry' | 'models'): void {
    if (which === 'runs') {
      this.runs?.close();
      this.runs = undefined;
      this.unfollow([...this.followed.keys()]);
    } else if (which === 'registry') {
      this.registry?.close();
      this.registry = undefined;
    } else {
      this.models?.close();
      this.models = undefined;
    }
  }

  /**
   * A watch on one folder, undefined when it does not exist. `onEvent` gets the name of the entry
   * that changed (undefined when the platform does not say). The watch ends by itself when the folder
   * goes away or the watch fails, and then `onEnd` runs.
   */
  private open(folder: string, onEvent: (name: string | undefined) => void, onEnd: () => void): FSWatcher | undefined {
    let watcher: FSWatcher;
    try {
      watcher = watch(folder, { persistent: false }, (event, file) => {
        const name = typeof file === 'string' && file !== '' ? file : undefined;
        // inotify reports the watched folder's own removal under its own name.
        if (event === 'rename' && (name === undefined || name === basename(folder)) && !existsSync(folder)) {
          end();
          this.changed(undefined);
          return;
        }
        onEvent(name);
      });
    } catch {
      return undefined;
    }
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      watcher.close();
      onEnd();
    };
    watcher.on('error', end);
    return watcher;
  }
}
