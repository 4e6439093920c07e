/**
 * Tables as the table viewer shows them: MLflow's `log_table` JSON (pandas' `orient="split"`,
 * `{"columns": [...], "data": [[...], ...]}`, image cells `{"type": "image", "filepath", …}`) and
 * CSV/TSV files, read into columns and rows of JSON values; sorting, filtering and CSV export of
 * what is shown. Plain functions: the webview uses them, Node tests them. No DOM, no Node.
 */
import { csvText } from './csv';

export type TableFormat = 'json' | 'csv' | 'tsv';

export interface TableData {
  readonly columns: readonly string[];
  /** Each row as long as `columns` (missing cells are null). */
  readonly rows: readonly (readonly unknown[])[];
}

/** An image in a table: MLflow's cell, paths relative to the run's artifacts. */
export interface ImageCell {
  readonly filepath: string;
  readonly preview: string | null;
}

export const MAX_COLUMNS = 10_000;

/** The table in `text`, or why it is not one. */
export function parseTable(text: string, format: TableFormat): TableData | { readonly problem: string } {
  if (format !== 'json') return parseDelimited(text, format === 'tsv' ? '\t' : ',');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const { columns, data } = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (!Array.isArray(columns) || !Array.isArray(data)) {
    return { problem: 'not a table: MLflow\'s tables are {"columns": [...], "data": [[...], ...]}' };
  }
  if (columns.length > MAX_COLUMNS)
    return { problem: `${columns.length} columns: the viewer shows up to ${MAX_COLUMNS}` };
  const names = columns.map((c) => (typeof c === 'string' ? c : JSON.stringify(c)));
  const rows = data.map((row) => {
    const cells = Array.isArray(row) ? row : [row];
    return names.map((_, i) => (i < cells.length ? (cells[i] as unknown) : null));
  });
  return { columns: names, rows };
}

/** RFC 4180 fields (quotes doubled inside quoted fields, line breaks inside them kept); the first line names the columns. */
function parseDelimited(text: string, delimiter: string): TableData | { readonly problem: string } {
  const lines: string[][] = [];
  let field = '';
  let line: string[] = [];
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === delimiter) {
      line.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      line.push(field);
      lines.push(line);
      line = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || line.length > 0) {
    line.push(field);
    lines.push(line);
  }
  const [header, ...body] = lines;
  if (!header) return { columns: [], rows: [] };
  if (header.length > MAX_COLUMNS)
    return { problem: `${header.length} columns: the viewer shows up to ${MAX_COLUMNS}` };
  return {
    columns: header,
    rows: body.map((cells) => header.map((_, k) => (k < cells.length ? numeric(cells[k]) : null))),
  };
}

/** A CSV field that is a number is sorted as one. */
function numeric(field: string): string | number {
  const trimmed = field.trim();
  if (trimmed === '' || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(trimmed)) return field;
  return Number(trimmed);
}

/** MLflow's image cell, with its paths; undefined for any other value. */
export function imageCell(value: unknown): ImageCell | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const cell = value as Record<string, unknown>;
  if (cell['type'] !== 'image' || typeof cell['filepath'] !== 'string') return undefined;
  const preview = cell['compressed_filepath'];
  return { filepath: cell['filepath'], preview: typeof preview === 'string' ? preview : null };
}

/** A cell as text: strings as they are, null as empty, numbers as JavaScript writes them, the rest as JSON. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const image = imageCell(value);
  return image ? image.filepath : JSON.stringify(value);
}

/** Numbers before text, text in natural order, empty cells last (whichever the direction). */
export function compareCells(a: unknown, b: unknown): number {
  const emptyA = a === null || a === undefined || a === '';
  const emptyB = b === null || b === undefined || b === '';
  if (emptyA || emptyB) return emptyA === emptyB ? 0 : emptyA ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return cellText(a).localeCompare(cellText(b), undefined, { numeric: true });
}

export interface TableQuery {
  /** Rows with a cell that contains this text (case-insensitive); empty: every row. */
  readonly filter: string;
  readonly sort: { readonly column: number; readonly descending: boolean } | null;
}

/** The indexes of the rows a query shows, in its order (a stable sort: equal rows keep theirs). */
export function queryRows(table: TableData, query: TableQuery): number[] {
  const needle = query.filter.trim().toLowerCase();
  let shown = table.rows.map((_, i) => i);
  if (needle !== '') {
    shown = shown.filter((i) => table.rows[i].some((cell) => cellText(cell).toLowerCase().includes(needle)));
  }
  const sort = query.sort;
  if (sort && sort.column >= 0 && sort.column < table.columns.length) {
    const { column, descending } = sort;
    shown.sort((x, y) => {
      const a = table.rows[x][column];
      const b = table.rows[y][column];
      const emptyA = a === null || a === undefined || a === '';
      const emptyB = b === null || b === undefined || b === '';
      // Empty cells stay last in both directions.
      if (emptyA || emptyB) return emptyA === emptyB ? x - y : emptyA ? 1 : -1;
      return (descending ? -compareCells(a, b) : compareCells(a, b)) || x - y;
    });
  }
  return shown;
}

/** The shown rows as CSV (header first); image cells as their file paths, other objects as JSON. */
export function tableCsv(table: TableData, rows: readonly number[]): string {
  return csvText([table.columns, ...rows.map((i) => table.rows[i].map(cellText))]);
}
