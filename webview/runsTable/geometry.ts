// Where the table's columns are: their widths and offsets, the pinned ones on the left, and which
// of the others are on screen for a scroll position. Plain arithmetic, no DOM.
import type { ColumnId, TableLayout } from '../../shared/runsTable';
import { columnWidth } from '../../shared/runsTable';

export interface ColumnGeometry {
  readonly columns: readonly ColumnId[];
  readonly widths: readonly number[];
  /** Left edge of each column in the row (pinned ones first). */
  readonly offsets: readonly number[];
  /** How many columns at the start are pinned. */
  readonly pinned: number;
  readonly pinnedWidth: number;
  readonly totalWidth: number;
}

/** `columns` are the visible ones in order, pinned first (runsTable.ts `visibleColumns`). */
export function columnGeometry(columns: readonly ColumnId[], layout: TableLayout): ColumnGeometry {
  const widths = columns.map((c) => columnWidth(c, layout));
  const offsets: number[] = [];
  let x = 0;
  for (const w of widths) {
    offsets.push(x);
    x += w;
  }
  const pinnedSet = new Set(layout.pinned);
  let pinned = 0;
  while (pinned < columns.length && pinnedSet.has(columns[pinned])) pinned++;
  const pinnedWidth = pinned === 0 ? 0 : offsets[pinned - 1] + widths[pinned - 1];
  return { columns, widths, offsets, pinned, pinnedWidth, totalWidth: x };
}

/**
 * The unpinned columns to draw for a horizontal scroll position and viewport width: those at least
 * partly on screen right of the pinned ones, and `margin` more on each side. [first, end).
 */
export function visibleColumnRange(
  geometry: ColumnGeometry,
  scrollLeft: number,
  viewport: number,
  margin = 2,
): { first: number; end: number } {
  const { offsets, widths, pinned, pinnedWidth } = geometry;
  const n = offsets.length;
  if (pinned >= n) return { first: n, end: n };
  const left = scrollLeft + pinnedWidth;
  const right = scrollLeft + viewport;
  let first = pinned;
  while (first < n - 1 && offsets[first] + widths[first] <= left) first++;
  let end = first;
  while (end < n && offsets[end] < right) end++;
  return { first: Math.max(pinned, first - margin), end: Math.min(n, Math.max(end, first + 1) + margin) };
}

/** The rows to draw for a vertical scroll position: those on screen and `margin` more each way. [first, end). */
export function visibleRowRange(
  scrollTop: number,
  viewport: number,
  rowHeight: number,
  total: number,
  margin = 8,
): { first: number; end: number } {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - margin);
  const end = Math.min(total, Math.ceil((scrollTop + viewport) / rowHeight) + margin);
  return { first, end: Math.max(first, end) };
}

/**
 * Where a column dragged by its header lands: the index it takes when dropped at `x` (in row
 * coordinates: a pinned column's from the viewport's left edge, the others' from the row's). A
 * pinned column moves among the pinned ones, another among the others.
 */
export function dropIndex(geometry: ColumnGeometry, from: number, x: number): number {
  const { offsets, widths, pinned } = geometry;
  const [lo, hi] = from < pinned ? [0, pinned] : [pinned, offsets.length];
  let gap = lo;
  while (gap < hi && (offsets[gap] ?? 0) + (widths[gap] ?? 0) / 2 < x) gap++;
  return gap > from ? gap - 1 : gap;
}

/** The columns with the one at `from` moved to `to`. */
export function movedColumn(columns: readonly ColumnId[], from: number, to: number): ColumnId[] {
  const out = [...columns];
  const [column] = out.splice(from, 1);
  if (column !== undefined) out.splice(to, 0, column);
  return out;
}
