/**
 * NaN where the format has none: a webview's `postMessage` goes through JSON, where NaN is not a
 * number, so values that may be NaN cross as `null`. No `vscode`, no DOM, no Node.
 */

/** NaN (and a missing value) as null. */
export function nanToNull(value: number | null): number | null {
  return value === null || Number.isNaN(value) ? null : value;
}
