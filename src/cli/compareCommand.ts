/**
 * `runlog compare RUN RUN…`: the Compare panel's table from the terminal — the same rows, the same
 * best-of-row marks and the same Markdown and CSV exports, through the code the panel uses
 * (`shared/compareModel.ts` on the snapshot `src/runs/compareSnapshot.ts` builds).
 */
import type { CompareRow } from '../../shared/compareModel';
import { compareRows, escapeMarkdown, toCsv, toMarkdown } from '../../shared/compareModel';
import type { CompareSnapshot } from '../../shared/compareProtocol';
import type { MetricGoal } from '../../shared/metricGoal';
import type { GpuUsage } from '../../shared/systemMetrics';
import { toCompareRun } from '../runs/compareSnapshot';
import type { RunDetails } from '../store/types';
import type { CommandSpec, ParsedArgs } from './args';
import { flag, has } from './args';
import type { CliContext, Command } from './context';
import { DIR_FLAG, formatFlag, withStore } from './context';
import { EXIT } from './errors';
import { goalFlag, readGoalFlags } from './goals';
import { isoTime, json, markdownMarker, table } from './output';
import type { StoreReads } from './runNames';
import { resolveRun } from './runNames';
import { appendStepSummary } from './stepSummary';

const FORMATS = ['table', 'md', 'json', 'csv'] as const;
type CompareFormat = (typeof FORMATS)[number];

const spec: CommandSpec = {
  name: 'compare',
  summary: "The Compare panel's table: runs side by side, the best value of each differing metric row marked.",
  usage: ['runlog compare RUN RUN… [--only-differences] [--format table|md|json|csv]'],
  positionals: { name: 'RUN', min: 2, max: 100 },
  flags: [
    { name: 'only-differences', help: 'only the rows whose values differ between the runs' },
    formatFlag(FORMATS),
    goalFlag,
    DIR_FLAG,
  ],
  details: [
    'RUN is a run id, a unique id prefix, a run name, `latest`, or a models:/ URI (the run of that version).',
    '`md` is a table ready for a pull request (run names and values escaped, best values bold), after a hidden',
    'marker line <!-- runlog:compare --> that lets a CI step update its earlier comment. When GITHUB_STEP_SUMMARY',
    'is set, the Markdown is also appended to the job summary. json: docs/CLI.md (schema runlog.compare/1).',
  ],
};

/**
 * The comparison of these runs, in the order named, with what they used of their GPUs. A running
 * run's duration is left out (it would change between two calls): the same store gives the same bytes.
 */
export function snapshotOf(
  runs: readonly RunDetails[],
  goals: Readonly<Record<string, MetricGoal>>,
  gpus: ReadonlyMap<string, readonly GpuUsage[]> = new Map(),
): CompareSnapshot {
  return {
    runs: runs.map((run) => {
      const compared = toCompareRun(run, 0, gpus.get(run.id));
      return run.endTime === null ? { ...compared, durationMs: null } : compared;
    }),
    missing: [],
    goals,
  };
}

function title(snapshot: CompareSnapshot): string {
  return `### Runlog: ${snapshot.runs.map((r) => escapeMarkdown(r.name)).join(' vs ')}`;
}

export function compareMarkdown(snapshot: CompareSnapshot, onlyDifferences: boolean): string {
  return `${markdownMarker('compare')}\n${title(snapshot)}\n\n${toMarkdown(snapshot, { onlyDifferences })}`;
}

function rowJson(row: CompareRow): Record<string, unknown> {
  return {
    key: row.key,
    section: row.section,
    label: row.label,
    values: row.values,
    cells: row.cells,
    differs: row.differs,
    best: row.best === -1 ? null : row.best,
  };
}

export function renderComparison(
  snapshot: CompareSnapshot,
  format: CompareFormat,
  options: { readonly onlyDifferences: boolean; readonly color: boolean },
): string {
  const { onlyDifferences } = options;
  switch (format) {
    case 'md':
      return compareMarkdown(snapshot, onlyDifferences);
    case 'csv':
      return toCsv(snapshot, { onlyDifferences });
    case 'json':
      return json({
        schema: 'runlog.compare/1',
        runs: snapshot.runs.map((r) => ({
          id: r.id,
          name: r.name,
          experiment: r.experiment,
          status: r.status,
          startTime: isoTime(r.startTime),
          durationMs: r.durationMs,
          params: r.params,
          metrics: Object.fromEntries(
            r.metrics.map((m) => [m.key, { last: m.last, min: m.min, max: m.max, count: m.count }]),
          ),
          git: r.git,
          environment: r.environment,
          gpus: r.gpus,
        })),
        goals: snapshot.goals,
        rows: compareRows(snapshot, { onlyDifferences }).map(rowJson),
      });
    case 'table': {
      const rows = compareRows(snapshot, { onlyDifferences });
      const style = { color: options.color };
      const body = rows.map((row) => [
        row.section === 'run' ? row.label : `${row.section}.${row.label}`,
        ...row.cells.map((c, i) =>
          i === row.best
            ? { text: `${c ?? ''} *`, tone: 'bold' as const }
            : { text: c ?? '—', ...(row.differs ? {} : { tone: 'dim' as const }) },
        ),
      ]);
      const header = ['', ...snapshot.runs.map((r) => `${r.name} (${r.id.slice(0, 8)})`)];
      const marks = rows.some((r) => r.best !== -1) ? '* best of the row\n' : '';
      return table(style, header, body) + marks;
    }
  }
}

/** The runs as named, each read whole; a name that finds no run stops the command (exit 3). */
export function namedRuns(store: StoreReads, names: readonly string[]): RunDetails[] {
  return names.map((name) => {
    const { run } = resolveRun(store, name);
    const details = store.getRun(run.id);
    if (!details) throw new Error(`run ${run.id} vanished while it was read`);
    return details;
  });
}

async function run(args: ParsedArgs, context: CliContext): Promise<number> {
  const format = (flag(args, 'format') ?? 'table') as CompareFormat;
  const onlyDifferences = has(args, 'only-differences');
  const goals = readGoalFlags(spec, args);
  const snapshot = await withStore(args, context, (store) => {
    const runs = namedRuns(store, args.positionals);
    return snapshotOf(runs, goals, store.gpuUsage(runs.map((r) => r.id)));
  });
  context.out(renderComparison(snapshot, format, { onlyDifferences, color: context.color }));
  await appendStepSummary(context, compareMarkdown(snapshot, onlyDifferences));
  return EXIT.ok;
}

export const compareCommand: Command = { spec, run };
