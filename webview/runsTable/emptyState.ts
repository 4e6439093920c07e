// What the table says when it has no row: no run in the store yet (and how to start one), no run
// matching the filter (the filter shown as text, and a button that clears it), or an empty trash.
import { el } from '../common/host';

export type EmptyKind = 'none' | 'noRuns' | 'noMatch' | 'emptyTrash';

export interface EmptyActions {
  readonly clearFilter: () => void;
  readonly startRun: () => void;
  readonly leaveTrash: () => void;
}

/** Which message an empty table shows: none while rows load or when there are rows. */
export function emptyKind(ready: boolean, total: number, filter: string, trash: boolean): EmptyKind {
  if (!ready || total > 0) return 'none';
  if (filter.trim() !== '') return 'noMatch';
  return trash ? 'emptyTrash' : 'noRuns';
}

function action(text: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', { text });
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

/** The message's content (the filter is user text: set as text, never parsed). */
export function emptyContent(kind: EmptyKind, filter: string, actions: EmptyActions): Node[] {
  switch (kind) {
    case 'none':
      return [];
    case 'noMatch':
      return [
        el('p', { text: 'No run matches the filter ' }, el('code', { text: filter.trim() }), '.'),
        el(
          'p',
          { text: 'The Runs view shows the same filter. ' },
          action('Clear Filter', actions.clearFilter),
          ' to see every run again.',
        ),
      ];
    case 'emptyTrash':
      return [el('p', { text: 'The trash is empty.' }), el('p', {}, action('Show Runs', actions.leaveTrash))];
    case 'noRuns':
      return [
        el('p', { text: 'No runs yet.' }),
        el(
          'p',
          {
            text: 'Runs that training scripts log into this workspace’s .runlog folder appear here as they start (Python: runlog.start_run()). ',
          },
          action('Start a Run…', actions.startRun),
        ),
      ];
  }
}
