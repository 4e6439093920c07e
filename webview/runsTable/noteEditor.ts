// A run's note edited in the table: a multi-line editor in the note pane below the grid (Markdown,
// as the Runs view's Edit Note… writes it). Save or Ctrl+Enter sends the text to the host, which
// writes it through the same command; Cancel or Escape leaves the note as it was. The run's name is
// user text: set as text.
import { MAX_NOTE_LENGTH } from '../../shared/noteMarkdown';
import { el } from '../common/host';

export class NoteEditor {
  readonly element: HTMLElement;
  private readonly title = el('div', { className: 'note-editor-title' });
  private readonly text = el('textarea', { className: 'note-editor-text' });
  private runId: string | null = null;

  constructor(
    private readonly save: (runId: string, text: string) => void,
    private readonly closed: () => void,
  ) {
    this.text.maxLength = MAX_NOTE_LENGTH;
    this.text.rows = 6;
    this.text.setAttribute('aria-label', 'Note (Markdown)');
    const button = (label: string, title: string, onClick: () => void, primary = false): HTMLButtonElement => {
      const b = el('button', { text: label, title, className: primary ? 'primary' : '' });
      b.type = 'button';
      b.addEventListener('click', onClick);
      return b;
    };
    this.element = el(
      'div',
      { className: 'note-editor' },
      this.title,
      this.text,
      el(
        'div',
        { className: 'note-editor-actions' },
        button('Save', 'Save the note (Ctrl+Enter)', () => this.commit(), true),
        button('Cancel', 'Leave the note as it was (Escape)', () => this.close()),
        el('span', { className: 'note-editor-hint', text: 'Markdown · an empty note removes it' }),
      ),
    );
    this.element.setAttribute('role', 'group');
    this.element.setAttribute('aria-label', 'Edit note');
    this.text.addEventListener('keydown', (event) => {
      // The grid below must not take these keys as its own.
      event.stopPropagation();
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.commit();
      } else if (event.key === 'Escape') {
        event.preventDefault();
        this.close();
      }
    });
  }

  /** The run whose note is being edited, if any. */
  get editing(): string | null {
    return this.runId;
  }

  /** The text as it stands (the report's). */
  get draft(): string {
    return this.text.value;
  }

  open(runId: string, runName: string, note: string | null): void {
    this.runId = runId;
    this.title.textContent = `Note of ${runName}`;
    this.text.value = note ?? '';
    this.text.focus();
    this.text.setSelectionRange(this.text.value.length, this.text.value.length);
  }

  private commit(): void {
    const runId = this.runId;
    if (runId === null) return;
    this.save(runId, this.text.value);
    this.close();
  }

  close(): void {
    if (this.runId === null) return;
    this.runId = null;
    this.closed();
  }
}
