/**
 * `runlog runs`: the Runs view as a listing. The query is the store's own (`listRuns` with the
 * filter language and MLflow's order_by grammar, read by the endpoint's parser), so a filter finds
 * here exactly what it finds in the editor, with the same error and position when it is wrong.
 */
import { formatDuration, formatMetricValue } from '../../shared/formatValue';
import { parseOrderBy } from '../mlflow/runHandlers';
import type { MetricSummary, RunRecord, RunSort } from '../store/types';
import type { CommandSpec, ParsedArgs } from './args';
import { flag, flags, numberFlag, usageError } from './args';
import type { CliContext, Command } from './context';
import { DIR_FLAG, formatFlag, withStore } from './context';
import { EXIT } from './errors';
import type { Format } from './output';
import { clip, csv, isoTime, json, markdownMarker, markdownTable, table, utcTime } from './output';
import type { StoreReads } from './runNames';

const FORMATS = ['table', 'json', 'csv', 'md'] as const;
export const DEFAULT_LIMIT = 100;
/** How many params and metrics a table shows; json and csv hold them all. */
const TABLE_PARAMS = 5;
const TABLE_METRICS = 4;

const spec: CommandSpec = {
  name: 'runs',
  summary: 'List runs with their status, start, duration, key params and metrics, and git commit.',
  usage: ['runlog runs [--filter EXPR] [--order-by "metrics.val_loss ASC"]… [--limit N] [--format table|json|csv|md]'],
  positionals: { name: 'argument', min: 0, max: 0 },
  flags: [
    {
      name: 'filter',
      value: 'EXPR',
      help: "the Runs view's query language: MLflow's search syntax plus OR, NOT and parentheses, e.g. \"metrics.rmse < 0.3 AND params.model = 'forest'\"",
    },
    {
      name: 'order-by',
      value: 'CLAUSE',
      repeat: true,
      help: 'MLflow\'s order_by: "metrics.rmse ASC", "params.lr DESC", "start_time", "name"; later ones break ties (default: newest first)',
    },
    { name: 'limit', value: 'N', help: `at most N runs (default ${DEFAULT_LIMIT})` },
    formatFlag(FORMATS),
    DIR_FLAG,
  ],
  details: [
    'Runs in the trash are left out. Times are UTC. A table shows the params whose values differ between',
    'the listed runs and the most common metrics (their last values); json and csv hold every param and metric.',
    'The json shape is documented in docs/CLI.md (schema runlog.runs/1).',
  ],
};

export interface ListedRun {
  readonly run: RunRecord;
  readonly params: Readonly<Record<string, string>>;
  readonly metrics: readonly MetricSummary[];
}

export interface Listing {
  readonly runs: readonly ListedRun[];
  readonly total: number;
}

function durationMs(run: RunRecord): number | null {
  return run.endTime === null ? null : Math.max(0, run.endTime - run.startTime);
}

/** The sorts of the `--order-by` clauses, each read by MLflow's order_by parser. */
export function orderBy(clauses: readonly string[]): RunSort[] {
  return clauses.map((clause) => {
    try {
      return parseOrderBy(clause);
    } catch (error) {
      throw usageError(spec, `--order-by: ${(error as Error).message}`);
    }
  });
}

/** One page of runs with their params and metric summaries: three store queries. */
export function listRuns(
  store: StoreReads,
  query: { filter?: string; sorts?: readonly RunSort[]; limit?: number },
): Listing {
  const [sort, ...thenBy] = query.sorts ?? [];
  const page = store.listRuns({
    ...(query.filter ? { filter: query.filter } : {}),
    ...(sort ? { sort, thenBy } : { sort: { key: 'start_time', descending: true } }),
    ...(query.limit !== undefined ? { limit: query.limit } : {}),
  });
  const ids = page.runs.map((r) => r.id);
  const params = store.params(ids);
  const metrics = store.metricSummaries(ids);
  return {
    total: page.total,
    runs: page.runs.map((run) => ({ run, params: params.get(run.id) ?? {}, metrics: metrics.get(run.id) ?? [] })),
  };
}

/** Params whose value is not the same in every listed run (absent counts as a value), by name. */
export function varyingParams(runs: readonly ListedRun[]): string[] {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  return keys.filter((key) => new Set(runs.map((r) => r.params[key] ?? '\u0000')).size > 1);
}

/**
 * The metrics a table shows: the ones the sorts and the filter name first, then those most runs
 * logged (system metrics last), by name on ties.
 */
export function keyMetrics(runs: readonly ListedRun[], mentioned: readonly string[], max = TABLE_METRICS): string[] {
  const counts = new Map<string, number>();
  for (const r of runs) for (const m of r.metrics) counts.set(m.key, (counts.get(m.key) ?? 0) + 1);
  const named = mentioned.filter((key) => counts.has(key));
  const rest = [...counts.keys()]
    .filter((key) => !named.includes(key))
    .sort(
      (a, b) =>
        Number(a.startsWith('system/')) - Number(b.startsWith('system/')) ||
        (counts.get(b) ?? 0) - (counts.get(a) ?? 0) ||
        (a < b ? -1 : a > b ? 1 : 0),
    );
  return [...new Set([...named, ...rest])].slice(0, max);
}

/** Metric keys a filter or sort names (`metrics.rmse`, ``metrics.`val loss` ``), roughly. */
export function mentionedMetrics(texts: readonly string[]): string[] {
  const found: string[] = [];
  for (const text of texts) {
    for (const match of text.matchAll(/\bmetrics?\.(?:`([^`]+)`|"([^"]+)"|([\p{L}\p{N}_\-./:]+))/gu)) {
      found.push(match[1] ?? match[2] ?? match[3] ?? '');
    }
  }
  return found.filter((k) => k !== '');
}

function metricLast(run: ListedRun, key: string): number | undefined {
  return run.metrics.find((m) => m.key === key)?.last;
}

function commitText(run: RunRecord): string {
  return run.git ? `${run.git.commit.slice(0, 8)}${run.git.dirty ? '*' : ''}` : '';
}

/** The table's and Markdown's columns: the same cells, rendered two ways. */
function summaryColumns(
  listing: Listing,
  mentioned: readonly string[],
): { header: string[]; rows: string[][]; right: boolean[] } {
  const params = varyingParams(listing.runs).slice(0, TABLE_PARAMS);
  const metrics = keyMetrics(listing.runs, mentioned);
  const header = ['id', 'name', 'status', 'start (UTC)', 'duration', ...params, ...metrics, 'commit'];
  const right = header.map((_, i) => i === 4 || (i >= 5 + params.length && i < 5 + params.length + metrics.length));
  const rows = listing.runs.map((r) => {
    const ms = durationMs(r.run);
    return [
      r.run.id.slice(0, 12),
      r.run.name,
      r.run.status.toLowerCase(),
      utcTime(r.run.startTime),
      ms === null ? '' : formatDuration(ms),
      ...params.map((key) => clip(r.params[key] ?? '', 24)),
      ...metrics.map((key) => {
        const value = metricLast(r, key);
        return value === undefined ? '' : formatMetricValue(value);
      }),
      commitText(r.run),
    ];
  });
  return { header, rows, right };
}

function summaryJson(m: MetricSummary): Record<string, number> {
  return { last: m.last, lastStep: m.lastStep, min: m.min, max: m.max, count: m.count };
}

export function runJson(r: ListedRun): Record<string, unknown> {
  return {
    id: r.run.id,
    name: r.run.name,
    experiment: r.run.experiment,
    status: r.run.status,
    startTime: isoTime(r.run.startTime),
    endTime: isoTime(r.run.endTime),
    durationMs: durationMs(r.run),
    params: Object.fromEntries(Object.entries(r.params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    metrics: Object.fromEntries(r.metrics.map((m) => [m.key, summaryJson(m)])),
    git: r.run.git ? { commit: r.run.git.commit, branch: r.run.git.branch, dirty: r.run.git.dirty } : null,
  };
}

export function renderListing(
  listing: Listing,
  format: Format,
  options: { readonly color: boolean; readonly mentioned?: readonly string[] },
): string {
  const mentioned = options.mentioned ?? [];
  switch (format) {
    case 'json':
      return json({ schema: 'runlog.runs/1', total: listing.total, runs: listing.runs.map(runJson) });
    case 'csv': {
      const params = [...new Set(listing.runs.flatMap((r) => Object.keys(r.params)))].sort();
      const metrics = [...new Set(listing.runs.flatMap((r) => r.metrics.map((m) => m.key)))].sort();
      const header = [
        'run_id',
        'name',
        'experiment',
        'status',
        'start_time',
        'end_time',
        'duration_s',
        ...params.map((k) => `params.${k}`),
        ...metrics.map((k) => `metrics.${k}`),
        'git.commit',
        'git.branch',
        'git.dirty',
      ];
      const rows = listing.runs.map((r) => {
        const ms = durationMs(r.run);
        return [
          r.run.id,
          r.run.name,
          r.run.experiment,
          r.run.status,
          isoTime(r.run.startTime) ?? '',
          isoTime(r.run.endTime) ?? '',
          ms === null ? '' : String(ms / 1000),
          ...params.map((k) => r.params[k] ?? ''),
          ...metrics.map((k) => {
            const value = metricLast(r, k);
            return value === undefined ? '' : String(value);
          }),
          r.run.git?.commit ?? '',
          r.run.git?.branch ?? '',
          r.run.git ? String(r.run.git.dirty) : '',
        ];
      });
      return csv(header, rows);
    }
    case 'md': {
      const { header, rows, right } = summaryColumns(listing, mentioned);
      const shown = listing.runs.length < listing.total ? `, ${listing.runs.length} shown` : '';
      return `${markdownMarker('runs')}\n**${listing.total} run${listing.total === 1 ? '' : 's'}${shown}**\n\n${markdownTable(header, rows, right)}`;
    }
    case 'table': {
      if (listing.runs.length === 0) return 'no runs\n';
      const { header, rows, right } = summaryColumns(listing, mentioned);
      const more =
        listing.runs.length < listing.total
          ? `${listing.runs.length} of ${listing.total} runs (--limit N for more)\n`
          : '';
      return table({ color: options.color }, header, rows, right) + more;
    }
  }
}

async function run(args: ParsedArgs, context: CliContext): Promise<number> {
  const limitText = flag(args, 'limit');
  const limit = limitText === undefined ? DEFAULT_LIMIT : numberFlag(spec, 'limit', limitText);
  if (!Number.isInteger(limit) || limit < 1)
    throw usageError(spec, `--limit takes a whole number of 1 or more, not "${limitText ?? ''}"`);
  const clauses = flags(args, 'order-by');
  const sorts = orderBy(clauses);
  const filter = flag(args, 'filter')?.trim() || undefined;
  const format = (flag(args, 'format') ?? 'table') as Format;
  return withStore(args, context, (store) => {
    const listing = listRuns(store, { ...(filter ? { filter } : {}), sorts, limit });
    context.out(
      renderListing(listing, format, { color: context.color, mentioned: mentionedMetrics([...clauses, filter ?? '']) }),
    );
    return EXIT.ok;
  });
}

export const runsCommand: Command = { spec, run };
