import type { CompareRun } from '../../shared/compareProtocol';
import type { CompareRow, RowSection } from '../../shared/compareModel';
import { el } from '../common/host';
import { renderNote } from '../common/noteView';
import { button } from './controls';

const SECTION_TITLES: Record<RowSection, string> = {
  run: 'Run',
  params: 'Params',
  metrics: 'Metrics',
  system: 'System',
  git: 'Git',
  environment: 'Environment (only the packages whose versions differ)',
};

/** The rows as a table: a column per run (its name, a button to drop it), sections as header rows. */
export function renderTable(
  runs: readonly CompareRun[],
  rows: readonly CompareRow[],
  removeRun: (runId: string) => void,
): HTMLTableElement {
  const head = el('tr', {}, el('th', { className: 'corner' }));
  for (const run of runs) {
    const remove = button('✕', () => removeRun(run.id), 'icon');
    remove.className = 'remove';
    remove.title = `Remove ${run.name} from the comparison`;
    remove.setAttribute('aria-label', remove.title);
    head.append(
      el('th', { className: 'run', title: run.id }, el('span', { className: 'name', text: run.name }), remove),
    );
  }
  const body = el('tbody');
  let section: RowSection | undefined;
  for (const row of rows) {
    if (row.section !== section) {
      section = row.section;
      const title = el('th', { className: 'section', text: SECTION_TITLES[section] });
      title.colSpan = runs.length + 1;
      body.append(el('tr', { className: 'section' }, title));
    }
    const tr = el('tr', { className: row.differs ? 'row differs' : 'row' }, el('th', { text: row.label }));
    tr.dataset['key'] = row.key;
    row.cells.forEach((cell, i) => {
      const classes = [cell === null ? 'missing' : '', i === row.best ? 'best' : ''].filter((c) => c !== '');
      // A note is drawn as the tooltips draw it: its Markdown, every piece of user text as text.
      const note = row.key === 'run.note' ? runs[i]?.note : undefined;
      const td =
        note === undefined
          ? el('td', { className: classes.join(' '), text: cell ?? '—' })
          : el('td', { className: [...classes, 'note-cell'].join(' ') }, renderNote(note));
      if (i === row.best) td.title = 'best of the row';
      tr.append(td);
    });
    body.append(tr);
  }
  return el('table', { className: 'compare' }, el('thead', {}, head), body);
}
