import * as vscode from 'vscode';
import type { ColumnId } from '../../shared/runsTable';
import { columnKey, columnKind } from '../../shared/runsTable';
import { metricRangeTerm, paramValuesTerm } from '../store/filterText';
import type { StoreClient } from '../store/storeClient';

/** What a quick filter asks, given up front (tests, scripts) instead of asked in VS Code's inputs. */
export type QuickFilterAnswer =
  { readonly min: number | null; readonly max: number | null } | { readonly values: readonly string[] };

/** A bound typed in the input box: empty for none, else a finite number. */
function bound(text: string): number | null | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : undefined;
}

async function askBound(key: string, which: '≥' | '≤'): Promise<number | null | undefined> {
  const text = await vscode.window.showInputBox({
    title: `Filter runs by ${key}`,
    prompt: `Runs whose ${key} is ${which} (empty: no ${which === '≥' ? 'lower' : 'upper'} bound)`,
    validateInput: (value) => (bound(value) === undefined ? 'A number, or nothing' : undefined),
  });
  return text === undefined ? undefined : bound(text);
}

/**
 * A runs table column's quick filter, as a term of the store's filter language (filterText.ts): a
 * metric's range (≥, ≤; its last value, as the filter compares metrics) or a pick of a param's
 * values (the store's, the most common first). Undefined when the user cancels or picks nothing.
 */
export async function quickFilterTerm(
  column: ColumnId,
  store: StoreClient,
  answer?: QuickFilterAnswer,
): Promise<string | undefined> {
  const key = columnKey(column);
  const kind = columnKind(column);
  if (kind === 'metric') {
    if (answer) return 'min' in answer ? metricRangeTerm(key, answer.min, answer.max) : undefined;
    const min = await askBound(key, '≥');
    if (min === undefined) return undefined;
    const max = await askBound(key, '≤');
    if (max === undefined) return undefined;
    return metricRangeTerm(key, min, max);
  }
  if (kind !== 'param') return undefined;
  if (answer) return 'values' in answer ? paramValuesTerm(key, answer.values) : undefined;
  const values = await store.call('paramValues', key);
  const picked = await vscode.window.showQuickPick(
    values.map((v) => ({ label: v.value, description: `${v.runs} run${v.runs === 1 ? '' : 's'}` })),
    { title: `Filter runs by ${key}`, placeHolder: 'The values to keep', canPickMany: true, matchOnDescription: false },
  );
  return picked
    ? paramValuesTerm(
        key,
        picked.map((p) => p.label),
      )
    : undefined;
}
