import type { App } from '../app/app';
import type { RunEvent } from '../store/events';
import type { RunDetails } from '../store/types';
import { NOTE_TAG } from '../store/ingest';
import {
  appendRunEvents,
  deleteRunFolder,
  formatTags,
  fromNoteLine,
  MAX_NOTE_LENGTH,
  noteEvents,
  parseTags,
  renameEvents,
  tagEvents,
  toNoteLine,
} from '../runs/runEdits';
import { REMOTE_TAG } from '../sync/syncTags';
import type { StoreFolder } from '../workspaceStores';
import type { RunRef, RunsSelection, RunsTarget } from './runTargets';
import { resolveRunTargets } from './runTargets';

/**
 * Rename, Tag, Pin, Unpin, Delete (to the trash), Restore and Delete Permanently. Every change is an
 * event appended to the run's journal, so every window and process reading the store sees it;
 * permanent deletion removes the run's folder, and every store forgets the run at its next scan.
 */
export class RunLifecycle {
  constructor(
    private readonly app: App,
    private readonly folders: () => readonly StoreFolder[],
    private readonly refresh: () => void,
  ) {}

  /** The runs of `(node, nodes)` or `{ runIds }`; from the palette, the registry chose them (src/app/commands.ts). */
  private async targets(first: RunsTarget | undefined, selected: RunsSelection | undefined): Promise<RunRef[]> {
    return resolveRunTargets(first, selected, this.folders);
  }

  private async details(refs: readonly RunRef[]): Promise<{ ref: RunRef; run: RunDetails }[]> {
    const found = await Promise.all(refs.map(async (ref) => ({ ref, run: await ref.store.call('getRun', ref.runId) })));
    return found.filter((f): f is { ref: RunRef; run: RunDetails } => f.run !== undefined);
  }

  /**
   * The runs that may be changed here: a run pulled from a tracking server is the server's, read-only
   * in this store (a pull brings its changes; a local edit would be overwritten or never be seen there).
   */
  private editable<T extends { run: RunDetails }>(targets: readonly T[]): T[] {
    const pulled = targets.filter((t) => t.run.tags[REMOTE_TAG] !== undefined);
    const [first] = pulled;
    if (first) {
      const who = pulled.length === 1 ? first.run.name : `${pulled.length} of the runs`;
      void this.app.showInformationMessage(
        `Runlog: ${who} came from ${first.run.tags[REMOTE_TAG] ?? 'a tracking server'} and is read-only here: change it on the server, then pull it again.`,
      );
    }
    return targets.filter((t) => t.run.tags[REMOTE_TAG] === undefined);
  }

  /** Appends each run's events, then has its store read them now rather than at the next notice. */
  private async write(edits: readonly { ref: RunRef; events: RunEvent[] }[]): Promise<number> {
    const stores = new Set<RunRef['store']>();
    let written = 0;
    const failures: string[] = [];
    for (const { ref, events } of edits) {
      if (events.length === 0) continue;
      try {
        await appendRunEvents((await ref.store.call('status')).dir, ref.runId, events);
        stores.add(ref.store);
        written++;
      } catch (error) {
        failures.push(`${ref.runId}: ${(error as Error).message}`);
      }
    }
    await Promise.all([...stores].map((store) => store.call('sync').catch(() => [])));
    this.refresh();
    if (failures.length > 0) void this.app.showErrorMessage(`Runlog could not change ${failures.join('; ')}`);
    return written;
  }

  private async lifecycle(
    first: RunsTarget | undefined,
    selected: RunsSelection | undefined,
    action: 'delete' | 'restore' | 'pin' | 'unpin',
  ): Promise<number> {
    const refs = await this.targets(first, selected);
    const ts = Date.now();
    return this.write(refs.map((ref) => ({ ref, events: [{ t: 'lifecycle', ts, action }] })));
  }

  /** `Rename Run…`; `name` skips the input box (for other code and tests). */
  async rename(first?: RunsTarget, selected?: RunsSelection, name?: string): Promise<void> {
    const [target] = this.editable(await this.details(await this.targets(first, selected)));
    if (!target) return;
    const chosen =
      name ??
      (await this.app.showInputBox({
        title: `Runlog: Rename ${target.run.name}`,
        value: target.run.name,
        validateInput: (text) => (text.trim() === '' ? 'A run name cannot be empty.' : undefined),
      }));
    if (chosen === undefined || chosen.trim() === '' || chosen.trim() === target.run.name) return;
    await this.write([{ ref: target.ref, events: renameEvents(chosen) }]);
  }

  /**
   * `Tag Runs…`: the tags the selected runs share, as `key=value, key2`, to edit: what is added is
   * set on every run, what is removed is removed from every run; tags only some runs have stay.
   * `text` skips the input box.
   */
  async tag(first?: RunsTarget, selected?: RunsSelection, text?: string): Promise<void> {
    const targets = this.editable(await this.details(await this.targets(first, selected)));
    if (targets.length === 0) return;
    // The note is a tag too, edited with Edit Note…: a Markdown text does not fit a key=value list.
    const [head, ...rest] = targets.map(({ run }) =>
      Object.fromEntries(Object.entries(run.tags).filter(([key]) => key !== NOTE_TAG)),
    );
    const shared = Object.fromEntries(
      Object.entries(head ?? {}).filter(([key, value]) => rest.every((tags) => tags[key] === value)),
    );
    const typed =
      text ??
      (await this.app.showInputBox({
        title:
          targets.length === 1
            ? `Runlog: Tags of ${targets[0]?.run.name ?? ''}`
            : `Runlog: Tags of ${targets.length} runs`,
        prompt: 'key=value pairs separated by commas; a key alone is a tag without a value; remove a tag to delete it',
        value: formatTags(shared),
        validateInput: (input) => {
          const parsed = parseTags(input);
          return 'error' in parsed ? String(parsed.error) : undefined;
        },
      }));
    if (typed === undefined) return;
    const after = parseTags(typed);
    if ('error' in after) {
      void this.app.showErrorMessage(`Runlog: ${String(after.error)}`);
      return;
    }
    const ts = Date.now();
    await this.write(targets.map(({ ref }) => ({ ref, events: tagEvents(shared, after, ts) })));
  }

  /**
   * `Edit Note…`: the run's Markdown note (MLflow's `mlflow.note.content` tag) in an input box, a
   * line break typed as `\n`; an empty note removes it. `text` (the note itself, line breaks
   * and all) skips the input box: the runs table's editor and tests pass it.
   */
  async note(first?: RunsTarget, selected?: RunsSelection, text?: string): Promise<void> {
    const [target] = await this.details(await this.targets(first, selected));
    if (!target) return;
    const current = target.run.tags[NOTE_TAG] ?? '';
    let note = text;
    if (note === undefined) {
      const typed = await this.app.showInputBox({
        title: `Runlog: Note of ${target.run.name}`,
        prompt: 'Markdown; type \\n for a new line. Empty removes the note.',
        value: toNoteLine(current),
        validateInput: (input) => {
          const length = fromNoteLine(input).length;
          return length > MAX_NOTE_LENGTH
            ? `A note is at most ${MAX_NOTE_LENGTH} characters (this is ${length}).`
            : undefined;
        },
      });
      if (typed === undefined) return;
      note = fromNoteLine(typed);
    }
    if (note === current || (note.trim() === '' && current === '')) return;
    await this.write([{ ref: target.ref, events: noteEvents(note) }]);
  }

  pin(first?: RunsTarget, selected?: RunsSelection): Promise<number> {
    return this.lifecycle(first, selected, 'pin');
  }

  unpin(first?: RunsTarget, selected?: RunsSelection): Promise<number> {
    return this.lifecycle(first, selected, 'unpin');
  }

  /** `Delete` moves runs to the Trash, where Restore brings them back. */
  trash(first?: RunsTarget, selected?: RunsSelection): Promise<number> {
    return this.lifecycle(first, selected, 'delete');
  }

  restore(first?: RunsTarget, selected?: RunsSelection): Promise<number> {
    return this.lifecycle(first, selected, 'restore');
  }

  /**
   * `Delete Permanently`: after a modal confirmation naming the count (`options.confirm: false`
   * skips it, for tests and scripted use), removes each run's folder — journal, metrics,
   * artifacts, output log. Running and queued runs are left alone. Returns how many were deleted.
   */
  async deletePermanently(
    first?: RunsTarget,
    selected?: RunsSelection,
    options?: { confirm?: boolean },
  ): Promise<number> {
    const targets = await this.details(await this.targets(first, selected));
    const live = targets.filter((t) => t.run.status === 'RUNNING' || t.run.status === 'QUEUED');
    const doomed = targets.filter((t) => !live.includes(t));
    if (live.length > 0) {
      void this.app.showWarningMessage(
        `Runlog: ${live.map((t) => t.run.name).join(', ')} ${live.length === 1 ? 'is' : 'are'} still running or queued; stop ${live.length === 1 ? 'it' : 'them'} before deleting.`,
      );
    }
    if (doomed.length === 0) return 0;
    if (options?.confirm !== false) {
      const what = doomed.length === 1 ? `the run ${doomed[0]?.run.name ?? ''}` : `${doomed.length} runs`;
      const confirmed = await this.app.confirm(
        `Delete ${what} permanently?`,
        'Delete Permanently',
        'The journal, metrics, artifacts and output log are removed from disk. This cannot be undone.',
      );
      if (!confirmed) return 0;
    }
    const stores = new Set<RunRef['store']>();
    let deleted = 0;
    const failures: string[] = [];
    for (const { ref, run } of doomed) {
      try {
        await deleteRunFolder((await ref.store.call('status')).dir, run.id, run.status);
        stores.add(ref.store);
        deleted++;
      } catch (error) {
        failures.push(`${run.name}: ${(error as Error).message}`);
      }
    }
    await Promise.all([...stores].map((store) => store.call('sync').catch(() => [])));
    this.refresh();
    if (failures.length > 0) void this.app.showErrorMessage(`Runlog could not delete ${failures.join('; ')}`);
    return deleted;
  }
}
