/**
 * NaN where the format has none. A webview's `postMessage` goes through JSON, and SQLite stores
 * NULL for NaN: values that may be NaN cross both as `null`, and come back as NaN where the code
 * computes with them. No `vscode`, no DOM, no Node.
 */

/** NaN (and a missing value) as null. */
export function nanToNull(value: number | null): number | null {
  return value === null || Number.isNaN(value) ? null : value;
}

/** null as NaN. */
export function nullToNan(value: number | null): number {
  return value === null ? Number.NaN : value;
}
