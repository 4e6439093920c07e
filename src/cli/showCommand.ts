/**
 * `runlog show RUN`: one run, everything the store knows of it — params, each metric's last, min,
 * max and best with the step that reached it, tags, git state, inputs with their digests,
 * artifacts, logged models and the registry versions made from them.
 */
import type { MetricGoal } from '../../shared/metricGoal';
import { metricGoal } from '../../shared/metricGoal';
import { formatDuration, formatMetricValue } from '../../shared/formatValue';
import type { RegisteredModel, RunDetails } from '../store/types';
import type { CommandSpec, ParsedArgs } from './args';
import { flag } from './args';
import type { CliContext, Command } from './context';
import { DIR_FLAG, formatFlag, withStore } from './context';
import { EXIT } from './errors';
import { goalFlag, readGoalFlags } from './goals';
import { isoTime, json, markdownMarker, markdownTable, paint, table, utcTime } from './output';
import type { StoreReads } from './runNames';
import { resolveRun } from './runNames';

const FORMATS = ['table', 'json', 'md'] as const;

const spec: CommandSpec = {
  name: 'show',
  summary: 'One run: params, metrics (last, min, max, best and its step), tags, git state, inputs, artifacts, models.',
  usage: ['runlog show RUN [--format table|json|md]'],
  positionals: { name: 'RUN', min: 1, max: 1 },
  flags: [formatFlag(FORMATS), goalFlag, DIR_FLAG],
  details: [
    'RUN is a run id, a unique id prefix (6 characters or more), a run name (the newest run with it),',
    '`latest` (the newest run), or models:/name@alias, models:/name/N (the run a model version came from).',
    'The json shape is documented in docs/CLI.md (schema runlog.show/1).',
  ],
};

export interface MetricRow {
  readonly key: string;
  readonly goal: MetricGoal;
  readonly count: number;
  readonly last: number;
  readonly lastStep: number;
  readonly min: number;
  readonly minStep: number | null;
  readonly max: number;
  readonly maxStep: number | null;
  readonly best: number;
  readonly bestStep: number | null;
}

export interface RunReport {
  readonly run: RunDetails;
  readonly metrics: readonly MetricRow[];
  readonly registered: readonly { name: string; version: number; aliases: readonly string[]; source: string | null }[];
}

export function runReport(store: StoreReads, run: RunDetails, goals: Readonly<Record<string, MetricGoal>>): RunReport {
  const steps = new Map(store.extremeSteps(run.id));
  const metrics = run.metrics.map((m): MetricRow => {
    const goal = metricGoal(m.key, goals);
    const at = steps.get(m.key) ?? { minStep: null, maxStep: null };
    return {
      key: m.key,
      goal,
      count: m.count,
      last: m.last,
      lastStep: m.lastStep,
      min: m.min,
      minStep: at.minStep,
      max: m.max,
      maxStep: at.maxStep,
      best: goal === 'min' ? m.min : m.max,
      bestStep: goal === 'min' ? at.minStep : at.maxStep,
    };
  });
  return { run, metrics, registered: registeredFrom(store.registeredModels(), run.id) };
}

function registeredFrom(models: readonly RegisteredModel[], runId: string): RunReport['registered'] {
  return models.flatMap((model) =>
    model.versions
      .filter((v) => v.runId === runId)
      .map((v) => ({ name: model.name, version: v.version, aliases: v.aliases, source: v.source })),
  );
}

function durationText(run: RunDetails): string {
  return run.endTime === null ? '' : formatDuration(Math.max(0, run.endTime - run.startTime));
}

const sorted = (record: Readonly<Record<string, string>>): [string, string][] =>
  Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export function reportJson(report: RunReport): Record<string, unknown> {
  const { run } = report;
  return {
    schema: 'runlog.show/1',
    id: run.id,
    name: run.name,
    experiment: run.experiment,
    status: run.status,
    deleted: run.deleted,
    startTime: isoTime(run.startTime),
    endTime: isoTime(run.endTime),
    durationMs: run.endTime === null ? null : Math.max(0, run.endTime - run.startTime),
    command: run.command,
    source: run.source,
    entryPoint: run.entryPoint,
    user: run.user,
    parentRunId: run.parentRunId,
    exitCode: run.exitCode,
    error: run.error,
    params: Object.fromEntries(sorted(run.params)),
    metrics: Object.fromEntries(
      report.metrics.map((m) => [
        m.key,
        {
          goal: m.goal,
          count: m.count,
          last: m.last,
          lastStep: m.lastStep,
          min: m.min,
          minStep: m.minStep,
          max: m.max,
          maxStep: m.maxStep,
          best: m.best,
          bestStep: m.bestStep,
        },
      ]),
    ),
    tags: Object.fromEntries(sorted(run.tags)),
    git: run.git
      ? {
          commit: run.git.commit,
          branch: run.git.branch,
          remote: run.git.remote,
          dirty: run.git.dirty,
          patchBytes: Buffer.byteLength(run.git.patch, 'utf8'),
          untracked: run.git.untracked.map((u) => u.path),
        }
      : null,
    inputs: run.inputs.map((i) => ({
      name: i.name,
      path: i.path,
      digest: i.digest,
      shape: i.shape ?? null,
      columns: i.columns ?? null,
    })),
    artifacts: run.artifacts.map((a) => ({ path: a.path, size: a.size, sha256: a.sha256 })),
    models: run.models.map((m) => ({
      name: m.name,
      flavor: m.flavor,
      uri: `runs:/${run.id}/${m.name}`,
      files: m.files.length,
      registered: report.registered
        .filter((r) => r.source === m.name)
        .map((r) => ({ name: r.name, version: r.version, aliases: r.aliases })),
    })),
    journalProblems: run.rejected.map((r) => ({ line: r.line, reason: r.reason })),
  };
}

const stepText = (step: number | null): string => (step === null ? '' : String(step));

interface Section {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly right?: readonly boolean[];
}

/** The report as titled tables, for both the terminal and Markdown. */
function sections(report: RunReport): Section[] {
  const { run } = report;
  const about: [string, string][] = [
    ['id', run.id],
    ['name', run.name],
    ['experiment', run.experiment],
    ['status', `${run.status.toLowerCase()}${run.deleted ? ' (in the trash)' : ''}`],
    ['start (UTC)', utcTime(run.startTime)],
    ['duration', durationText(run)],
  ];
  if (run.command) about.push(['command', run.command]);
  if (run.exitCode !== null) about.push(['exit code', String(run.exitCode)]);
  if (run.error) about.push(['error', run.error.trim().split('\n').slice(-1)[0] ?? '']);
  if (run.parentRunId) about.push(['parent run', run.parentRunId]);
  if (run.git) {
    about.push(['git commit', `${run.git.commit}${run.git.branch ? ` (${run.git.branch})` : ''}`]);
    if (run.git.remote) about.push(['git remote', run.git.remote]);
    about.push([
      'uncommitted',
      run.git.dirty || run.git.untracked.length > 0
        ? `${run.git.dirty ? `changes (${Buffer.byteLength(run.git.patch, 'utf8')} bytes of diff)` : 'no changes'}${run.git.untracked.length > 0 ? `, ${run.git.untracked.length} untracked file(s)` : ''}`
        : 'none',
    ]);
  }
  const list: Section[] = [{ title: 'Run', header: ['field', 'value'], rows: about }];
  if (Object.keys(run.params).length > 0)
    list.push({ title: 'Params', header: ['param', 'value'], rows: sorted(run.params) });
  if (report.metrics.length > 0) {
    list.push({
      title: 'Metrics',
      header: ['metric', 'last', 'step', 'best', 'step', 'min', 'max', 'points'],
      right: [false, true, true, true, true, true, true, true],
      rows: report.metrics.map((m) => [
        `${m.key} (${m.goal})`,
        formatMetricValue(m.last),
        String(m.lastStep),
        formatMetricValue(m.best),
        stepText(m.bestStep),
        formatMetricValue(m.min),
        formatMetricValue(m.max),
        String(m.count),
      ]),
    });
  }
  const tags = sorted(run.tags).filter(([k]) => !k.startsWith('runlog.'));
  if (tags.length > 0) list.push({ title: 'Tags', header: ['tag', 'value'], rows: tags });
  if (run.inputs.length > 0) {
    list.push({
      title: 'Inputs',
      header: ['name', 'path', 'digest'],
      rows: run.inputs.map((i) => [i.name, i.path, i.digest]),
    });
  }
  if (run.artifacts.length > 0) {
    list.push({
      title: 'Artifacts',
      header: ['path', 'bytes', 'sha256'],
      right: [false, true, false],
      rows: run.artifacts.map((a) => [a.path, String(a.size), a.sha256]),
    });
  }
  if (run.models.length > 0) {
    list.push({
      title: 'Models',
      header: ['model', 'flavor', 'uri', 'registered'],
      rows: run.models.map((m) => [
        m.name,
        m.flavor,
        `runs:/${run.id}/${m.name}`,
        report.registered
          .filter((r) => r.source === m.name)
          .map((r) => `${r.name} v${r.version}${r.aliases.map((a) => ` @${a}`).join('')}`)
          .join(', '),
      ]),
    });
  }
  if (run.rejected.length > 0) {
    list.push({
      title: 'Journal problems',
      header: ['line', 'reason'],
      rows: run.rejected.map((r) => [String(r.line), r.reason]),
    });
  }
  return list;
}

export function renderReport(report: RunReport, format: 'table' | 'json' | 'md', color: boolean): string {
  if (format === 'json') return json(reportJson(report));
  const parts = sections(report);
  if (format === 'md') {
    const body = parts.map((s) => `#### ${s.title}\n\n${markdownTable(s.header, s.rows, s.right ?? [])}`).join('\n');
    return `${markdownMarker('show')}\n${body}`;
  }
  return parts
    .map((s) => `${paint({ color }, 'bold', s.title)}\n${table({ color }, s.header, s.rows, s.right ?? [])}`)
    .join('\n');
}

async function run(args: ParsedArgs, context: CliContext): Promise<number> {
  const format = (flag(args, 'format') ?? 'table') as 'table' | 'json' | 'md';
  const goals = readGoalFlags(spec, args);
  return withStore(args, context, (store) => {
    const { run: record } = resolveRun(store, args.positionals[0]);
    const details = store.getRun(record.id);
    if (!details) throw new Error(`run ${record.id} vanished while it was read`);
    context.out(renderReport(runReport(store, details, goals), format, context.color));
    return EXIT.ok;
  });
}

export const showCommand: Command = { spec, run };
