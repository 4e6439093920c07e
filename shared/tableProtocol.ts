/**
 * The table viewer's protocol (a custom editor for `.json` tables, `.csv` and `.tsv`). The host
 * reads the file — its size checked first — and sends its bytes; the webview parses, sorts, filters
 * and draws only the rows on screen. Image cells load as webview resources from the run's artifacts
 * (`base`), never as bytes in messages. Both sides validate every message on receipt.
 */
import type { TableFormat } from './tableData';

export interface TableFile {
  /** The file's name, for titles and the export's default name. */
  readonly name: string;
  readonly format: TableFormat;
  readonly data: Uint8Array;
  /** The run's artifacts folder as a webview resource URL (ending in `/`), which image cells are relative to; null outside a run. */
  readonly base: string | null;
}

export interface TableReport {
  readonly columns: readonly string[];
  readonly rows: number;
  /** Rows the filter lets through. */
  readonly shown: number;
  /** Rows in the page now (the viewer draws only those near the screen). */
  readonly drawn: number;
  readonly sort: { readonly column: string; readonly descending: boolean } | null;
  readonly filter: string;
  /** The first shown row's cells as text. */
  readonly first: readonly string[];
  /** Image cells drawn, and those whose source is not under the run's artifacts (must stay 0). */
  readonly images: number;
  readonly strayImages: number;
  /** Elements inside cells and headers that are not the viewer's own (must stay 0: cells are text). */
  readonly foreignElements: number;
  /** Why the file is not shown as a table, when it is not. */
  readonly problem: string | null;
}

/** Host → webview. */
export type TableHostMessage =
  | { readonly type: 'table'; readonly file: TableFile }
  /** The file cannot be shown (too large, unreadable): said in the page. */
  | { readonly type: 'problem'; readonly message: string }
  /** Sort and filter as the user would (tests drive it). */
  | {
      readonly type: 'query';
      readonly filter?: string;
      readonly sort?: { column: string; descending: boolean } | null;
    };

/** Webview → host. */
export type TableViewMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'exportCsv'; readonly name: string; readonly csv: string }
  | { readonly type: 'rendered'; readonly report: TableReport };

export interface TableViewReplies {
  /** Where the CSV was saved; null when the user cancelled. */
  readonly exportCsv: string | null;
}

const MAX_TEXT = 100_000;
/** The largest export accepted from the webview. */
export const MAX_EXPORT = 256 * 1024 * 1024;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isString(value: unknown, max = MAX_TEXT): value is string {
  return typeof value === 'string' && value.length <= max;
}

const isFormat = (value: unknown): value is TableFormat => value === 'json' || value === 'csv' || value === 'tsv';

function isSort(value: unknown): value is { column: string; descending: boolean } | null {
  return value === null || (isObject(value) && isString(value['column']) && typeof value['descending'] === 'boolean');
}

export function isTableHostMessage(value: unknown): value is TableHostMessage {
  if (!isObject(value)) return false;
  switch (value['type']) {
    case 'table': {
      const file = value['file'];
      return (
        isObject(file) &&
        isString(file['name']) &&
        isFormat(file['format']) &&
        file['data'] instanceof Uint8Array &&
        (file['base'] === null || (isString(file['base']) && file['base'].endsWith('/')))
      );
    }
    case 'problem':
      return isString(value['message']);
    case 'query':
      return (
        (value['filter'] === undefined || isString(value['filter'])) &&
        (value['sort'] === undefined || isSort(value['sort']))
      );
    default:
      return false;
  }
}

function isReport(value: unknown): value is TableReport {
  if (!isObject(value)) return false;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.length <= 100_000 && v.every((s) => isString(s));
  return (
    strings(value['columns']) &&
    strings(value['first']) &&
    ['rows', 'shown', 'drawn', 'images', 'strayImages', 'foreignElements'].every(
      (k) => typeof value[k] === 'number' && Number.isFinite(value[k]),
    ) &&
    isSort(value['sort']) &&
    isString(value['filter']) &&
    (value['problem'] === null || isString(value['problem']))
  );
}

export function isTableViewMessage(value: unknown): value is TableViewMessage {
  if (!isObject(value)) return false;
  switch (value['type']) {
    case 'ready':
      return true;
    case 'exportCsv':
      return isString(value['name']) && isString(value['csv'], MAX_EXPORT);
    case 'rendered':
      return isReport(value['report']);
    default:
      return false;
  }
}
