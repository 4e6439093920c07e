/**
 * The CLI's output formats, shared by every command. The same input gives the same bytes: no
 * relative times, no terminal width, times in UTC; only colors depend on where the output goes
 * (a terminal, and `NO_COLOR` unset), and colors only wrap text that is there anyway.
 */
import { escapeMarkdown } from '../../shared/compareModel';
import { csvField } from '../../shared/csv';

export type Format = 'table' | 'json' | 'csv' | 'md';

export interface Style {
  readonly color: boolean;
}

const SGR = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33' } as const;
export type Tone = keyof typeof SGR;

export function paint(style: Style, tone: Tone | undefined, text: string): string {
  return style.color && tone && text !== '' ? `\u001b[${SGR[tone]}m${text}\u001b[0m` : text;
}

/** Colors only for a terminal, and never when `NO_COLOR` is set to anything (no-color.org). */
export function colorFor(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env['NO_COLOR'];
}

export interface Cell {
  readonly text: string;
  readonly tone?: Tone;
}

export type CellInput = string | Cell;

const cell = (input: CellInput): Cell => (typeof input === 'string' ? { text: input } : input);

/** Columns measured in code points; a line break in a value would break the row, so it becomes "↵". */
function width(text: string): number {
  return Array.from(text).length;
}

function flat(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '↵').replace(/\t/g, ' ');
}

/**
 * An aligned table for a terminal: a header, a rule, rows; `right` columns are right-aligned
 * (numbers). Trailing spaces are trimmed so the output diffs cleanly.
 */
export function table(
  style: Style,
  header: readonly string[],
  rows: readonly (readonly CellInput[])[],
  right: readonly boolean[] = [],
): string {
  const cells = rows.map((row) => row.map((c) => ({ ...cell(c), text: flat(cell(c).text) })));
  const widths = header.map((h, i) => Math.max(width(h), ...cells.map((row) => width(row[i]?.text ?? ''))));
  const pad = (text: string, i: number): string => {
    const gap = ' '.repeat(Math.max(0, widths[i] - width(text)));
    return right[i] ? gap + text : text + gap;
  };
  const line = (parts: readonly { text: string; tone?: Tone }[]): string =>
    parts
      .map((p, i) => {
        const padded = pad(p.text, i);
        if (!style.color || !p.tone) return padded;
        const start = right[i] ? padded.length - p.text.length : 0;
        return padded.slice(0, start) + paint(style, p.tone, p.text) + padded.slice(start + p.text.length);
      })
      .join('  ')
      .replace(/\s+$/, '');
  const out = [
    line(header.map((text) => ({ text, tone: 'bold' as const }))),
    line(widths.map((w) => ({ text: '-'.repeat(w) }))),
  ];
  for (const row of cells) out.push(line(header.map((_, i) => row[i] ?? { text: '' })));
  return `${out.join('\n')}\n`;
}

/** A GitHub-flavored Markdown table; `right` columns are right-aligned. Cells are escaped here. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly boolean[] = [],
  raw = false,
): string {
  const esc = (text: string): string => (raw ? text : escapeMarkdown(text));
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [
    line(header.map(esc)),
    line(header.map((_, i) => (right[i] ? '---:' : '---'))),
    ...rows.map((row) => line(row.map(esc))),
  ]
    .join('\n')
    .concat('\n');
}

/** RFC 4180 CSV with CRLF line ends, the way the Compare panel's export writes it. */
export function csv(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, ...rows].map((fields) => fields.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/**
 * JSON as documented in docs/CLI.md: two-space indented, keys in the order the command builds
 * them, NaN and the infinities as the strings the journal uses ("NaN", "Infinity", "-Infinity").
 */
export function json(value: unknown): string {
  return `${JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v !== 'number' || Number.isFinite(v)) return v;
      return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    },
    2,
  )}\n`;
}

/**
 * The hidden first line of every Markdown report: a CI step finds its earlier pull-request comment
 * by it and edits that comment instead of adding one per push.
 */
export function markdownMarker(kind: string): string {
  return `<!-- runlog:${kind} -->`;
}

/** A time as people read it in a table, in UTC so every machine prints the same. */
export function utcTime(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, '');
}

export function isoTime(ms: number | null): string | null {
  if (ms === null || !Number.isFinite(ms)) return null;
  try {
    return new Date(ms).toISOString();
  } catch {
    return null;
  }
}

/** A value cut to `max` code points with an ellipsis: long params must not blow a table up. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
