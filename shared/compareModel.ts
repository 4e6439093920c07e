/**
 * The Compare panel's table, independent of how it is drawn: one row per field (status, duration,
 * the note, each param, each metric statistic, what the runs used of their GPUs, git, the
 * environment and the packages whose versions differ), one cell per run, whether the row differs
 * between runs and which cell is best. The webview draws it; the host exports it as Markdown and CSV.
 */
import type { CompareRun, CompareSnapshot } from './compareProtocol';
import { csvText } from './csv';
import { bestIndex, metricGoal } from './metricGoal';
import type { MetricGoal } from './metricGoal';
import { formatDuration, formatMetricValue } from './formatValue';
import { noteText, parseNote } from './noteMarkdown';
import { nanToNull } from './nullableNumber';
import { formatMegabytes, formatPercentage, isSystemMetric, peakMemoryText } from './systemMetrics';

export type RowSection = 'run' | 'params' | 'metrics' | 'system' | 'git' | 'environment';

export const METRIC_STATS = ['last', 'best', 'min', 'max'] as const;
export type MetricStat = (typeof METRIC_STATS)[number];

export interface CompareRow {
  /** Unique and stable: `run.status`, `params.lr`, `metrics.loss.best`, `git.commit`. */
  readonly key: string;
  readonly section: RowSection;
  /** What the table shows in its first column, within the section. */
  readonly label: string;
  /** Display text per run; null where the run has no value. */
  readonly cells: readonly (string | null)[];
  /** Full-precision text per run (what CSV holds). */
  readonly values: readonly (string | null)[];
  readonly differs: boolean;
  /** The index of the best cell of a differing metric row, else -1. */
  readonly best: number;
}

export interface RowOptions {
  readonly onlyDifferences?: boolean;
}

/** "0.01" and "1e-2" are the same parameter value; other text compares as written. */
function sameness(value: string | null): string {
  if (value === null) return '\u0000none';
  const n = value.trim() === '' ? Number.NaN : Number(value);
  return Number.isFinite(n) ? `n:${n}` : `s:${value}`;
}

function differs(values: readonly (string | null)[]): boolean {
  return new Set(values.map(sameness)).size > 1;
}

function sortedUnion(lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat())].sort((a, b) => a.localeCompare(b));
}

function textRow(section: RowSection, key: string, label: string, values: readonly (string | null)[]): CompareRow {
  return { key: `${section}.${key}`, section, label, cells: values, values, differs: differs(values), best: -1 };
}

export function paramKeys(runs: readonly CompareRun[]): string[] {
  return sortedUnion(runs.map((r) => Object.keys(r.params)));
}

/** The metrics the runs logged themselves: system metrics have rows of their own (`systemRows`). */
export function metricKeys(runs: readonly CompareRun[]): string[] {
  return sortedUnion(runs.map((r) => r.metrics.filter((m) => !isSystemMetric(m.key)).map((m) => m.key)));
}

/** A run's value of one metric statistic; null when it has none (or it is NaN). */
export function metricValue(run: CompareRun, key: string, stat: MetricStat, goal: MetricGoal): number | null {
  const metric = run.metrics.find((m) => m.key === key);
  if (!metric) return null;
  const value = stat === 'best' ? (goal === 'min' ? metric.min : metric.max) : metric[stat];
  return nanToNull(value);
}

function metricRows(runs: readonly CompareRun[], goals: Readonly<Record<string, MetricGoal>>): CompareRow[] {
  const rows: CompareRow[] = [];
  for (const key of metricKeys(runs)) {
    const goal = metricGoal(key, goals);
    for (const stat of METRIC_STATS) {
      const numbers = runs.map((run) => metricValue(run, key, stat, goal));
      const values = numbers.map((n) => (n === null ? null : String(n)));
      const changes = differs(values);
      rows.push({
        key: `metrics.${key}.${stat}`,
        section: 'metrics',
        label: stat === 'best' ? `${key} (best, ${goal})` : `${key} (${stat})`,
        cells: numbers.map((n) => (n === null ? null : formatMetricValue(n))),
        values,
        differs: changes,
        best: changes
          ? bestIndex(
              numbers.map((n) => n ?? Number.NaN),
              goal,
            )
          : -1,
      });
    }
  }
  return rows;
}

/** A row of numbers shown by `show`, compared at full precision; none when no run has a value. */
function numberRows(
  key: string,
  label: string,
  numbers: readonly (number | null)[],
  show: (n: number, i: number) => string | null,
): CompareRow[] {
  if (numbers.every((n) => n === null)) return [];
  const values = numbers.map((n) => (n === null ? null : String(n)));
  return [
    {
      key: `system.${key}`,
      section: 'system',
      label,
      cells: numbers.map((n, i) => (n === null ? null : show(n, i))),
      values,
      differs: differs(values),
      best: -1,
    },
  ];
}

/**
 * What the runs used of the machine, from their system metrics: each GPU's peak memory (MB, its
 * share in the cell) and mean utilization (%), and the process's peak memory. The other system
 * metrics are in the Charts panel's System section.
 */
function systemRows(runs: readonly CompareRun[]): CompareRow[] {
  const indexes = [...new Set(runs.flatMap((r) => r.gpus.map((g) => g.index)))].sort((a, b) => a - b);
  const rows: CompareRow[] = [];
  for (const index of indexes) {
    const gpus = runs.map((r) => r.gpus.find((g) => g.index === index));
    rows.push(
      ...numberRows(
        `gpu_${index}.memory_peak_megabytes`,
        `GPU ${index} memory (peak)`,
        gpus.map((g) => g?.peakMemoryMegabytes ?? null),
        (_, i) => {
          const gpu = gpus[i];
          return gpu ? peakMemoryText(gpu) : null;
        },
      ),
      ...numberRows(
        `gpu_${index}.utilization_mean_percentage`,
        `GPU ${index} utilization (mean)`,
        gpus.map((g) => g?.meanUtilizationPercentage ?? null),
        formatPercentage,
      ),
    );
  }
  const rss = runs.map((r) => r.metrics.find((m) => m.key === 'system/process_memory_rss_megabytes')?.max ?? null);
  rows.push(...numberRows('process_memory.peak_megabytes', 'process memory (peak)', rss, formatMegabytes));
  return rows;
}

/**
 * The environments the runs ran in: Python, platform, GPUs, how many packages, then each package
 * whose version differs between the runs that recorded an environment ("not installed" where a run
 * lacks it). A run that recorded none shows — and makes no package differ: most would.
 */
function environmentRows(runs: readonly CompareRun[]): CompareRow[] {
  const recorded = runs.filter((r) => r.environment !== null);
  if (recorded.length === 0) return [];
  const rows = [
    textRow(
      'environment',
      'python',
      'Python',
      runs.map((r) => r.environment?.python ?? null),
    ),
    textRow(
      'environment',
      'platform',
      'platform',
      runs.map((r) => r.environment?.platform ?? null),
    ),
    textRow(
      'environment',
      'gpus',
      'GPUs',
      runs.map((r) => (r.environment ? (r.environment.gpus ?? 'none') : null)),
    ),
  ];
  const counts = runs.map((r) => (r.environment ? Object.keys(r.environment.packages).length : null));
  rows.push({
    ...textRow(
      'environment',
      'packages',
      'packages',
      counts.map((n) => (n === null ? null : String(n))),
    ),
    cells: counts.map((n) => (n === null ? null : `${n} installed`)),
  });
  const names = sortedUnion(recorded.map((r) => Object.keys(r.environment?.packages ?? {})));
  for (const name of names) {
    const versions = recorded.map((r) => r.environment?.packages[name] ?? null);
    if (new Set(versions).size === 1) continue;
    const values = runs.map((r) => (r.environment ? (r.environment.packages[name] ?? null) : null));
    rows.push({
      key: `environment.packages.${name}`,
      section: 'environment',
      label: name,
      cells: runs.map((r, i) => (r.environment ? (values[i] ?? 'not installed') : null)),
      values,
      differs: true,
      best: -1,
    });
  }
  return rows;
}

/** Every row of the comparison, in the panel's order: run, params, metrics, system, git, environment. */
export function compareRows(snapshot: CompareSnapshot, options: RowOptions = {}): CompareRow[] {
  const { runs } = snapshot;
  const duration = runs.map((r) => r.durationMs);
  const rows: CompareRow[] = [
    textRow(
      'run',
      'status',
      'status',
      runs.map((r) => r.status),
    ),
    {
      ...textRow(
        'run',
        'duration',
        'duration',
        duration.map((ms) => (ms === null ? null : String(ms / 1000))),
      ),
      cells: duration.map((ms) => (ms === null ? null : formatDuration(ms))),
    },
    textRow(
      'run',
      'experiment',
      'experiment',
      runs.map((r) => r.experiment),
    ),
    // A teammate's run beside mine: where it came from (only when some run was pulled).
    ...(runs.some((r) => r.remote !== undefined)
      ? [
          textRow(
            'run',
            'server',
            'pulled from',
            runs.map((r) => r.remote ?? null),
          ),
        ]
      : []),
    // The runs' notes (only when some run has one): the panel draws each as Markdown, the exports
    // hold its text without markup (Markdown, the command line) or as written (CSV).
    ...(runs.some((r) => r.note !== undefined)
      ? [
          {
            ...textRow(
              'run',
              'note',
              'note',
              runs.map((r) => r.note ?? null),
            ),
            cells: runs.map((r) => (r.note === undefined ? null : noteText(parseNote(r.note)))),
          },
        ]
      : []),
    ...paramKeys(runs).map((key) =>
      textRow(
        'params',
        key,
        key,
        runs.map((r) => r.params[key] ?? null),
      ),
    ),
    ...metricRows(runs, snapshot.goals),
    ...systemRows(runs),
    textRow(
      'git',
      'commit',
      'commit',
      runs.map((r) => (r.git ? r.git.commit.slice(0, 8) : null)),
    ),
    textRow(
      'git',
      'branch',
      'branch',
      runs.map((r) => r.git?.branch ?? null),
    ),
    textRow(
      'git',
      'dirty',
      'uncommitted changes',
      runs.map((r) => (r.git ? (r.git.dirty ? 'yes' : 'no') : null)),
    ),
    ...environmentRows(runs),
  ];
  return options.onlyDifferences ? rows.filter((row) => row.differs) : rows;
}

/**
 * Text that Markdown shows as written: HTML becomes entities (a run named `<img …>` stays text in
 * a pull request), Markdown punctuation is backslash-escaped (`|` would end a table cell), and line
 * breaks become `<br>` because a table row is one line.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'))
    .replace(/[\\`*_[\]|~#]/g, (c) => `\\${c}`)
    .replace(/\r\n|\r|\n/g, '<br>');
}

/** A Markdown table for a pull request: a column per run, a row per field, the best values bold. */
export function toMarkdown(snapshot: CompareSnapshot, options: RowOptions = {}): string {
  const rows = compareRows(snapshot, options);
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const out = [
    line(['', ...snapshot.runs.map((r) => escapeMarkdown(r.name))]),
    line(['---', ...snapshot.runs.map(() => '---')]),
  ];
  for (const row of rows) {
    const label = row.section === 'run' ? row.label : `${row.section}.${row.label}`;
    const cells = row.cells.map((cell, i) => {
      if (cell === null) return '—';
      return i === row.best ? `**${escapeMarkdown(cell)}**` : escapeMarkdown(cell);
    });
    out.push(line([escapeMarkdown(label), ...cells]));
  }
  return `${out.join('\n')}\n`;
}

/**
 * CSV (RFC 4180, CRLF line ends) with a row per run and a column per field — the shape pandas and
 * spreadsheets want — holding full-precision values; durations in seconds.
 */
export function toCsv(snapshot: CompareSnapshot, options: RowOptions = {}): string {
  const rows = compareRows(snapshot, options);
  const header = ['run_id', 'name', ...rows.map((r) => (r.key === 'run.duration' ? 'run.duration_s' : r.key))];
  const lines = [header, ...snapshot.runs.map((run, i) => [run.id, run.name, ...rows.map((r) => r.values[i] ?? '')])];
  return csvText(lines);
}
