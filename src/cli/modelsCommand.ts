/**
 * `runlog models [NAME]`: the Models view as a listing — registered models, their live versions
 * newest first, aliases, and the run each came from with its key metric.
 */
import { formatMetricValue } from '../../shared/formatValue';
import { keyMetricOf } from '../runs/runPresentation';
import type { MetricSummary, RegisteredModel, RunRecord } from '../store/types';
import type { CommandSpec, ParsedArgs } from './args';
import { flag } from './args';
import type { CliContext, Command } from './context';
import { DIR_FLAG, formatFlag, withStore } from './context';
import { EXIT, missing } from './errors';
import type { Format } from './output';
import { csv, isoTime, json, markdownMarker, markdownTable, table, utcTime } from './output';
import type { StoreReads } from './runNames';

const FORMATS = ['table', 'json', 'csv', 'md'] as const;

const spec: CommandSpec = {
  name: 'models',
  summary: 'Registered models: versions, aliases, and the run each came from with its key metric.',
  usage: ['runlog models [NAME] [--metric KEY] [--format table|json|csv|md]'],
  positionals: { name: 'NAME', min: 0, max: 1 },
  flags: [
    {
      name: 'metric',
      value: 'KEY',
      help: "the key metric shown for each version's run (default: the run's first metric that is not a system/ one)",
    },
    formatFlag(FORMATS),
    DIR_FLAG,
  ],
  details: ['json: docs/CLI.md (schema runlog.models/1).'],
};

export interface VersionRow {
  readonly model: RegisteredModel;
  readonly version: RegisteredModel['versions'][number];
  readonly run: RunRecord | undefined;
  readonly keyMetric: MetricSummary | undefined;
}

export function modelRows(store: StoreReads, models: readonly RegisteredModel[], metric: string): VersionRow[] {
  const runIds = [
    ...new Set(models.flatMap((m) => m.versions.map((v) => v.runId)).filter((id): id is string => id !== null)),
  ];
  const runs = new Map(store.listRuns({ runIds, deleted: 'all' }).runs.map((r) => [r.id, r]));
  const metrics = store.metricSummaries(runIds);
  return models.flatMap((model) =>
    model.versions.map((version) => ({
      model,
      version,
      run: version.runId ? runs.get(version.runId) : undefined,
      keyMetric: version.runId ? keyMetricOf(metrics.get(version.runId) ?? [], metric) : undefined,
    })),
  );
}

function cells(row: VersionRow): string[] {
  return [
    row.model.name,
    String(row.version.version),
    row.version.aliases.map((a) => `@${a}`).join(' '),
    utcTime(row.version.created),
    row.run ? `${row.run.name} (${row.run.id.slice(0, 8)})` : (row.version.runId ?? ''),
    row.keyMetric ? `${row.keyMetric.key} ${formatMetricValue(row.keyMetric.last)}` : '',
    row.run?.git ? row.run.git.commit.slice(0, 8) : '',
  ];
}

const HEADER = ['model', 'version', 'aliases', 'registered (UTC)', 'run', 'key metric', 'commit'];

export function renderModels(
  models: readonly RegisteredModel[],
  rows: readonly VersionRow[],
  format: Format,
  color: boolean,
): string {
  switch (format) {
    case 'json':
      return json({
        schema: 'runlog.models/1',
        models: models.map((model) => ({
          name: model.name,
          description: model.description,
          created: isoTime(model.created),
          updated: isoTime(model.updated),
          versions: rows
            .filter((r) => r.model === model)
            .map((r) => ({
              version: r.version.version,
              uri: `models:/${model.name}/${r.version.version}`,
              aliases: r.version.aliases,
              created: isoTime(r.version.created),
              description: r.version.description,
              source: r.version.source,
              runId: r.version.runId,
              run: r.run
                ? {
                    id: r.run.id,
                    name: r.run.name,
                    status: r.run.status,
                    commit: r.run.git?.commit ?? null,
                    keyMetric: r.keyMetric ? { key: r.keyMetric.key, last: r.keyMetric.last } : null,
                  }
                : null,
            })),
        })),
      });
    case 'csv':
      return csv(
        ['model', 'version', 'aliases', 'created', 'run_id', 'run_name', 'key_metric', 'key_metric_last', 'commit'],
        rows.map((r) => [
          r.model.name,
          String(r.version.version),
          r.version.aliases.join(' '),
          isoTime(r.version.created) ?? '',
          r.version.runId ?? '',
          r.run?.name ?? '',
          r.keyMetric?.key ?? '',
          r.keyMetric ? String(r.keyMetric.last) : '',
          r.run?.git?.commit ?? '',
        ]),
      );
    case 'md':
      return `${markdownMarker('models')}\n${markdownTable(HEADER, rows.map(cells), [false, true])}`;
    case 'table':
      return rows.length === 0 ? 'no registered models\n' : table({ color }, HEADER, rows.map(cells), [false, true]);
  }
}

async function run(args: ParsedArgs, context: CliContext): Promise<number> {
  const format = (flag(args, 'format') ?? 'table') as Format;
  const name = args.positionals[0];
  const metric = flag(args, 'metric') ?? '';
  return withStore(args, context, (store) => {
    const all = store.registeredModels();
    const models = name === undefined ? all : all.filter((m) => m.name === name);
    if (name !== undefined && models.length === 0) {
      throw missing(
        `no registered model "${name}"${all.length > 0 ? ` (the registry has ${all.map((m) => `"${m.name}"`).join(', ')})` : ' (the registry is empty)'}`,
      );
    }
    context.out(renderModels(models, modelRows(store, models, metric), format, context.color));
    return EXIT.ok;
  });
}

export const modelsCommand: Command = { spec, run };
