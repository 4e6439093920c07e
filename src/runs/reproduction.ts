import { formatMetricValue } from '../../shared/formatValue';
import { isSystemMetric } from '../../shared/systemMetrics';
import type { MetricSummary, RunEnvironment } from '../store/types';
import type { EnvironmentDiff } from './runEnvironment';
import { environmentDiff, environmentsDiffer } from './runEnvironment';

/** One metric of an original run beside its reproduction. */
export interface MetricDelta {
  readonly key: string;
  readonly original: number | undefined;
  readonly reproduced: number | undefined;
  /** reproduced − original; undefined when either side is missing. */
  readonly delta: number | undefined;
  readonly same: boolean;
}

export interface ReproductionReport {
  readonly original: string;
  readonly reproduced: string;
  readonly status: string;
  readonly metrics: readonly MetricDelta[];
  /** Every metric both runs logged has the same last value (within `tolerance`), and none is missing. */
  readonly identical: boolean;
  /** How the reproduction's environment differed from the original's, when both recorded one and they differ. */
  readonly environment: EnvironmentDiff | null;
}

interface Side {
  readonly name: string;
  readonly metrics: readonly MetricSummary[];
  readonly environment?: RunEnvironment | null;
}

/** Equal, or equal up to a relative tolerance (floating point summed in another order). NaN equals NaN. */
function same(a: number, b: number, tolerance: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= tolerance * Math.max(Math.abs(a), Math.abs(b));
}

/**
 * Compares the last value of every metric of a run and of its reproduction — the script's own
 * metrics: system metrics (CPU, memory, GPU use) differ between any two runs of the same code.
 */
export function reproductionReport(
  original: Side,
  reproduced: Side & { readonly status: string },
  tolerance = 0,
): ReproductionReport {
  const lasts = (metrics: readonly MetricSummary[]): Map<string, number> =>
    new Map(metrics.filter((m) => !isSystemMetric(m.key)).map((m) => [m.key, m.last]));
  const before = lasts(original.metrics);
  const after = lasts(reproduced.metrics);
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort((a, b) => a.localeCompare(b));
  const metrics = keys.map((key): MetricDelta => {
    const a = before.get(key);
    const b = after.get(key);
    const both = a !== undefined && b !== undefined;
    return { key, original: a, reproduced: b, delta: both ? b - a : undefined, same: both && same(a, b, tolerance) };
  });
  return {
    original: original.name,
    reproduced: reproduced.name,
    status: reproduced.status,
    metrics,
    identical: reproduced.status === 'FINISHED' && metrics.length > 0 && metrics.every((m) => m.same),
    environment: packagesChanged(original.environment, reproduced.environment),
  };
}

function packagesChanged(
  original: RunEnvironment | null | undefined,
  reproduced: RunEnvironment | null | undefined,
): EnvironmentDiff | null {
  if (!original || !reproduced) return null;
  const diff = environmentDiff(original, reproduced);
  return environmentsDiffer(diff) ? diff : null;
}

/** `|` and newlines would break a Markdown table row. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

const show = (value: number | undefined): string => (value === undefined ? '—' : formatMetricValue(value));

export function reproductionMarkdown(report: ReproductionReport): string {
  const lines = [
    `# Reproduction of ${cell(report.original)}`,
    '',
    `${cell(report.reproduced)} rebuilt the code of ${cell(report.original)} (its commit, uncommitted changes and untracked sources) and ran it with the same parameters: ${report.status.toLowerCase()}.`,
    '',
    report.identical
      ? `**Every metric matches.**`
      : `**${report.metrics.filter((m) => !m.same).length} of ${report.metrics.length} metrics differ.**`,
    '',
    `| metric | ${cell(report.original)} | ${cell(report.reproduced)} | delta |`,
    '| --- | ---: | ---: | ---: |',
    ...report.metrics.map(
      (m) =>
        `| ${cell(m.key)} | ${show(m.original)} | ${show(m.reproduced)} | ${m.same ? '0' : m.delta === undefined ? '—' : (m.delta > 0 ? '+' : '') + formatMetricValue(m.delta)} |`,
    ),
    '',
  ];
  const env = report.environment;
  if (env) {
    lines.push(
      '## Environment',
      '',
      `${cell(report.reproduced)} ran in another Python environment than ${cell(report.original)}:`,
      '',
      `| | ${cell(report.original)} | ${cell(report.reproduced)} |`,
      '| --- | --- | --- |',
    );
    if (env.python) lines.push(`| Python | ${cell(env.python.run)} | ${cell(env.python.here)} |`);
    for (const p of env.packages) lines.push(`| ${cell(p.name)} | ${cell(p.run ?? '—')} | ${cell(p.here ?? '—')} |`);
    lines.push('');
  }
  return lines.join('\n');
}
