import { artifactUrl } from '../../shared/artifactUrl';
import type { Requester } from '../../shared/messaging';
import type { TableData, TableQuery } from '../../shared/tableData';
import { cellText, imageCell, parseTable, queryRows, tableCsv } from '../../shared/tableData';
import type { TableFile, TableReport, TableViewMessage, TableViewReplies } from '../../shared/tableProtocol';
import { el } from '../common/host';

export interface TableHost {
  readonly request: Requester<TableViewMessage, TableViewReplies>;
  send(message: TableViewMessage): void;
}

const TEXT_ROW = 26;
const IMAGE_ROW = 76;
/** Rows drawn above and below the screen. */
const MARGIN_ROWS = 20;
/** Image cells looked for in the first rows, to size the rows for thumbnails. */
const SNIFF_ROWS = 500;
const MAX_TITLE = 2_000;
const REPORT_MS = 100;

/**
 * The table viewer: a sortable (click a header), filterable table that draws only the rows near the
 * screen, however many there are; image cells as thumbnails (MLflow's preview, else the image)
 * loaded from the run's artifacts, a click enlarging one; CSV export of what is shown. Every cell
 * is text (`textContent`): a table anyone wrote cannot add markup.
 */
export class TableView {
  private table: TableData = { columns: [], rows: [] };
  private base: string | null = null;
  private name = 'table';
  private query: TableQuery = { filter: '', sort: null };
  private shown: number[] = [];
  private rowHeight = TEXT_ROW;
  private problem: string | null = null;
  private readonly title: HTMLElement;
  private readonly count: HTMLElement;
  private readonly filterBox: HTMLInputElement;
  private readonly status: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly header: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly window: HTMLElement;
  private readonly enlarged: HTMLElement;
  private drawScheduled = false;
  private filterTimer: ReturnType<typeof setTimeout> | undefined;
  private reportTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    root: HTMLElement,
    private readonly host: TableHost,
  ) {
    this.title = el('span', { className: 'table-name' });
    this.count = el('span', { className: 'row-count' });
    this.filterBox = el('input', { className: 'filter', title: 'Rows with a cell that contains this text' });
    this.filterBox.type = 'search';
    this.filterBox.placeholder = 'Filter rows';
    this.filterBox.addEventListener('input', () => {
      clearTimeout(this.filterTimer);
      this.filterTimer = setTimeout(() => this.apply({ filter: this.filterBox.value }), 150);
    });
    const exportButton = el('button', {
      className: 'toolbar-button',
      text: 'Export CSV',
      title: 'The shown rows, in their order',
    });
    exportButton.type = 'button';
    exportButton.addEventListener('click', () => void this.exportCsv());
    this.status = el('span', { className: 'status' });
    this.header = el('div', { className: 'table-row table-header' });
    this.spacer = el('div', { className: 'spacer' });
    this.window = el('div', { className: 'rows' });
    this.scroller = el(
      'div',
      { className: 'scroller' },
      this.header,
      el('div', { className: 'body' }, this.spacer, this.window),
    );
    this.scroller.addEventListener('scroll', () => this.scheduleDraw(), { passive: true });
    new ResizeObserver(() => this.scheduleDraw()).observe(this.scroller);
    this.enlarged = el('div', { className: 'enlarged' });
    this.enlarged.hidden = true;
    this.enlarged.addEventListener('click', () => (this.enlarged.hidden = true));
    root.append(
      el('div', { className: 'toolbar' }, this.title, this.count, this.filterBox, exportButton, this.status),
      this.scroller,
      this.enlarged,
    );
  }

  show(file: TableFile): void {
    // Another file starts at its top, unsorted; the same one read again (rows appended) keeps its place.
    if (file.name !== this.name) {
      this.scroller.scrollTop = 0;
      this.query = { filter: '', sort: null };
    }
    this.name = file.name;
    this.base = file.base;
    this.title.textContent = file.name;
    const parsed = parseTable(new TextDecoder().decode(file.data), file.format);
    if ('problem' in parsed) return this.fail(`${file.name} is ${parsed.problem}`);
    this.problem = null;
    this.table = parsed;
    const sniffed = parsed.rows.slice(0, SNIFF_ROWS).some((row) => row.some((cell) => imageCell(cell) !== undefined));
    this.rowHeight = sniffed ? IMAGE_ROW : TEXT_ROW;
    this.scroller.style.setProperty('--columns', String(Math.max(1, parsed.columns.length)));
    this.scroller.style.setProperty('--row', `${this.rowHeight}px`);
    // A live run appends rows: keep the query, refresh what it shows.
    const sort = this.query.sort && this.query.sort.column < parsed.columns.length ? this.query.sort : null;
    this.apply({ sort });
  }

  fail(message: string): void {
    this.problem = message;
    this.table = { columns: [], rows: [] };
    this.shown = [];
    this.status.textContent = message;
    this.status.classList.add('problem');
    this.renderHeader();
    this.draw();
  }

  /** Changes the filter or sort (the toolbar and a header click do; tests too). */
  apply(change: Partial<TableQuery>): void {
    this.query = { ...this.query, ...change };
    if (this.filterBox.value !== this.query.filter) this.filterBox.value = this.query.filter;
    this.shown = queryRows(this.table, this.query);
    const rows = this.table.rows.length;
    this.count.textContent =
      this.shown.length === rows
        ? `${rows.toLocaleString('en-US')} rows`
        : `${this.shown.length.toLocaleString('en-US')} of ${rows.toLocaleString('en-US')} rows`;
    if (!this.problem) {
      this.status.textContent = '';
      this.status.classList.remove('problem');
    }
    this.renderHeader();
    this.draw();
  }

  /** Sorts by the column named `column` (tests; the header click passes an index). */
  sortBy(column: string, descending: boolean): void {
    const index = this.table.columns.indexOf(column);
    this.apply({ sort: index < 0 ? null : { column: index, descending } });
  }

  report(): TableReport {
    const images = [...this.window.querySelectorAll('img')];
    // As the page resolves it (`img.src`): VS Code's resource URLs are normalized on the way.
    const base = this.base === null ? null : new URL(this.base, document.baseURI).href;
    const sort = this.query.sort;
    return {
      columns: this.table.columns,
      rows: this.table.rows.length,
      shown: this.shown.length,
      drawn: this.window.childElementCount,
      sort: sort ? { column: this.table.columns[sort.column] ?? '', descending: sort.descending } : null,
      filter: this.query.filter,
      first: this.shown.length > 0 ? this.table.rows[this.shown[0]].map((c) => cellText(c).slice(0, 1000)) : [],
      images: images.length,
      strayImages: images.filter((img) => base === null || !img.src.startsWith(base)).length,
      foreignElements: [...this.scroller.querySelectorAll('.cell-text, .column-name')].reduce(
        (n, node) => n + node.childElementCount,
        0,
      ),
      problem: this.problem,
    };
  }

  private renderHeader(): void {
    const sort = this.query.sort;
    this.header.replaceChildren(
      ...this.table.columns.map((name, i) => {
        const arrow = sort?.column === i ? (sort.descending ? ' ▼' : ' ▲') : '';
        const cell = el(
          'button',
          { className: 'cell header-cell', title: `${name.slice(0, MAX_TITLE)}: click to sort` },
          el('span', { className: 'column-name', text: name }),
          el('span', { className: 'sort-mark', text: arrow }),
        );
        cell.type = 'button';
        cell.addEventListener('click', () => {
          const now = this.query.sort;
          // None → ascending → descending → none.
          const next =
            now?.column !== i
              ? { column: i, descending: false }
              : now.descending
                ? null
                : { column: i, descending: true };
          this.apply({ sort: next });
        });
        return cell;
      }),
    );
  }

  private scheduleDraw(): void {
    if (this.drawScheduled) return;
    this.drawScheduled = true;
    requestAnimationFrame(() => {
      this.drawScheduled = false;
      this.draw();
    });
  }

  /** Draws the rows near the screen; the spacer keeps the scrollbar the whole table's. */
  private draw(): void {
    const h = this.rowHeight;
    this.spacer.style.height = `${this.shown.length * h}px`;
    const top = Math.max(0, this.scroller.scrollTop - this.header.offsetHeight);
    const first = Math.max(0, Math.floor(top / h) - MARGIN_ROWS);
    const last = Math.min(this.shown.length, Math.ceil((top + this.scroller.clientHeight) / h) + MARGIN_ROWS);
    this.window.style.transform = `translateY(${first * h}px)`;
    const rows: HTMLElement[] = [];
    for (let k = first; k < last; k++) rows.push(this.row(this.shown[k]));
    this.window.replaceChildren(...rows);
    this.reportSoon();
  }

  private row(index: number): HTMLElement {
    const cells = this.table.rows[index].map((value) => {
      const image = imageCell(value);
      if (image) return this.imageCellElement(image.preview, image.filepath);
      const text = cellText(value);
      const cell = el('div', { className: typeof value === 'number' ? 'cell number' : 'cell' });
      cell.append(el('span', { className: 'cell-text', text }));
      if (text.length > 20) cell.title = text.slice(0, MAX_TITLE);
      return cell;
    });
    return el('div', { className: 'table-row' }, ...cells);
  }

  private imageCellElement(preview: string | null, filepath: string): HTMLElement {
    const cell = el('div', { className: 'cell image-cell', title: filepath.slice(0, MAX_TITLE) });
    const full = this.base === null ? undefined : artifactUrl(this.base, filepath);
    const small = this.base === null || preview === null ? undefined : artifactUrl(this.base, preview);
    const first = small ?? full;
    if (first === undefined) {
      cell.append(el('span', { className: 'cell-text', text: `image ${filepath}` }));
      return cell;
    }
    const img = el('img');
    img.loading = 'lazy';
    img.decoding = 'async';
    img.alt = filepath;
    img.addEventListener('error', () => {
      if (full !== undefined && img.src !== full) img.src = full;
      else img.replaceWith(el('span', { className: 'cell-text', text: `could not load ${filepath}` }));
    });
    img.src = first;
    if (full !== undefined) {
      img.addEventListener('click', () => {
        const big = el('img');
        big.src = full;
        big.alt = filepath;
        this.enlarged.replaceChildren(big);
        this.enlarged.hidden = false;
      });
    }
    cell.append(img);
    return cell;
  }

  private async exportCsv(): Promise<void> {
    const name = this.name.replace(/\.[^.]*$/, '') + '.csv';
    try {
      const saved = await this.host.request({ type: 'exportCsv', name, csv: tableCsv(this.table, this.shown) });
      this.status.textContent = saved ? `Saved ${this.shown.length.toLocaleString('en-US')} rows to ${saved}` : '';
    } catch (error) {
      this.status.textContent = `Export failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  private reportSoon(): void {
    if (this.reportTimer !== undefined) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      this.host.send({ type: 'rendered', report: this.report() });
    }, REPORT_MS);
  }
}
