/**
 * `runlog check RUN --metric KEY …`: the gate a CI job runs after training. Exit 0 when every
 * condition holds, 1 when one does not (a regression), 2 for a wrong command line, 3 when the run,
 * the baseline or a metric is not there.
 */
import type { MetricGoal } from '../../shared/metricGoal';
import type { CommandSpec, FlagSpec, ParsedArgs } from './args';
import { flag, has, numberFlag, usageError } from './args';
import type { CliContext, Command } from './context';
import { DIR_FLAG, formatFlag, withStore } from './context';
import type { Condition, Stat } from './gate';
import { STATS } from './gate';
import type { GateOutcome } from './gateReport';
import { exitCodeOf, gateJson, gateMarkdown, gateTable, runGate } from './gateReport';
import { json } from './output';
import { appendStepSummary } from './stepSummary';

const FORMATS = ['table', 'md', 'json'] as const;
export type GateFormat = (typeof FORMATS)[number];

/** Flags that belong to the `--metric` before them (or, given before any, to the first). */
export const CONDITION_FLAGS: readonly FlagSpec[] = [
  { name: 'max', value: 'X', repeat: true, help: "the metric's value must be at most X" },
  { name: 'min', value: 'X', repeat: true, help: "the metric's value must be at least X" },
  {
    name: 'min-abs-change',
    value: 'A',
    repeat: true,
    help: "with --better-than: better than the baseline by at least A (MLflow's min_absolute_change)",
  },
  {
    name: 'min-rel-change',
    value: 'R',
    repeat: true,
    help: "with --better-than: better by at least R × the baseline, 0 < R ≤ 1 (MLflow's min_relative_change)",
  },
  {
    name: 'goal',
    value: 'min|max',
    repeat: true,
    choices: ['min', 'max'],
    help: "whether lower or higher is better (default: from the metric's name, as the editor decides)",
  },
  {
    name: 'stat',
    value: 'STAT',
    repeat: true,
    choices: STATS,
    help: 'which value of the series: its last (default), best, min or max',
  },
];

export const BASELINE_FLAGS: readonly FlagSpec[] = [
  {
    name: 'metric',
    value: 'KEY',
    repeat: true,
    help: 'a metric to check; the condition flags after it are its own',
  },
  ...CONDITION_FLAGS,
  {
    name: 'allow-missing-baseline',
    help: 'when the baseline (say models:/name@champion) does not exist yet, only --max/--min apply and the gate passes',
  },
];

const spec: CommandSpec = {
  name: 'check',
  summary:
    "A gate for CI: compare a run's metrics with bounds or with a baseline run or model; exit 1 on a regression.",
  usage: [
    'runlog check RUN --metric KEY (--max X | --min X | --better-than RUN_OR_MODEL_URI [--min-abs-change A] [--min-rel-change R])',
    '             [--goal min|max] [--metric KEY …] [--format table|md|json]',
  ],
  positionals: { name: 'RUN', min: 1, max: 1 },
  flags: [
    ...BASELINE_FLAGS.slice(0, 1),
    {
      name: 'better-than',
      value: 'RUN_OR_MODEL_URI',
      help: 'the baseline: a run, or models:/name@alias, models:/name/N (the run that version came from)',
    },
    ...BASELINE_FLAGS.slice(1),
    { name: 'filter', value: 'EXPR', help: 'for RUN = latest: the newest run that matches this filter' },
    formatFlag(FORMATS, 'report format'),
    DIR_FLAG,
  ],
  details: [
    'Exit codes: 0 the gate holds; 1 it does not (a regression); 2 a usage error; 3 the run, the baseline or a',
    'metric is missing; 4 anything else (an unreadable store).',
    '',
    'Each --metric is a condition; --max, --min, --min-abs-change, --min-rel-change, --goal and --stat after it',
    'are its own. With --better-than every condition also compares with the baseline: without a change',
    "threshold the candidate must be at least as good (a tie passes); thresholds mean what MLflow's",
    'MetricThreshold means, computed exactly on the values as logged. Example:',
    '  runlog check latest --metric rmse --better-than models:/house-prices@champion --min-rel-change 0.01',
    '',
    'The md report (metric, baseline, candidate, Δ, Δ%, verdict) starts with the hidden marker',
    '<!-- runlog:check -->; when GITHUB_STEP_SUMMARY is set it is appended there too. json: docs/CLI.md',
    '(schema runlog.check/1).',
  ],
};

interface Draft {
  metric?: string;
  stat?: Stat;
  goal?: MetricGoal;
  max?: number;
  min?: number;
  minAbsChange?: number;
  minRelChange?: number;
}

type NumberField = 'max' | 'min' | 'minAbsChange' | 'minRelChange';
const FIELD: Readonly<Record<string, NumberField | 'goal' | 'stat'>> = {
  max: 'max',
  min: 'min',
  'min-abs-change': 'minAbsChange',
  'min-rel-change': 'minRelChange',
  goal: 'goal',
  stat: 'stat',
};

/**
 * The conditions of a gate from the flags in order: each `--metric` opens one, and the condition
 * flags after it fill it; those before every `--metric` go to the first. Checks that each
 * condition has something to check and that thresholds are in range (usage errors otherwise).
 */
export function readConditions(command: CommandSpec, args: ParsedArgs, withBaseline: boolean): Condition[] {
  const drafts: Draft[] = [];
  const early: Draft = {};
  for (const entry of args.sequence) {
    if (entry.name === 'metric') {
      if (entry.value.trim() === '') throw usageError(command, '--metric needs a metric key');
      drafts.push({ metric: entry.value });
      continue;
    }
    const field = FIELD[entry.name];
    if (!field) continue;
    const target = drafts.at(-1) ?? early;
    if (target[field] !== undefined) {
      throw usageError(
        command,
        `--${entry.name} is given twice for ${target.metric ? `--metric ${target.metric}` : 'the first --metric'}`,
      );
    }
    if (field === 'goal') target.goal = entry.value as MetricGoal;
    else if (field === 'stat') target.stat = entry.value as Stat;
    else target[field] = numberFlag(command, entry.name, entry.value);
  }
  if (drafts.length === 0) throw usageError(command, '--metric KEY is required');
  for (const [field, value] of Object.entries(early) as [keyof Draft, never][]) {
    if (drafts[0][field] !== undefined) {
      throw usageError(
        command,
        `--${Object.keys(FIELD).find((k) => FIELD[k] === field) ?? field} is given twice for --metric ${drafts[0].metric ?? ''}`,
      );
    }
    drafts[0][field] = value;
  }
  return drafts.map((d) => {
    const metric = d.metric ?? '';
    if (d.minAbsChange !== undefined && !(d.minAbsChange > 0)) {
      throw usageError(
        command,
        `--min-abs-change is a positive number (MLflow's min_absolute_change), not ${d.minAbsChange}`,
      );
    }
    if (d.minRelChange !== undefined && !(d.minRelChange > 0 && d.minRelChange <= 1)) {
      throw usageError(
        command,
        `--min-rel-change is a number above 0 and at most 1 (MLflow's min_relative_change), not ${d.minRelChange}`,
      );
    }
    if (!withBaseline && (d.minAbsChange !== undefined || d.minRelChange !== undefined)) {
      throw usageError(
        command,
        `--min-abs-change and --min-rel-change compare with a baseline: add --better-than for --metric ${metric}`,
      );
    }
    if (!withBaseline && d.max === undefined && d.min === undefined) {
      throw usageError(
        command,
        `--metric ${metric} has nothing to check: add --max X, --min X or --better-than RUN_OR_MODEL_URI`,
      );
    }
    if (d.max !== undefined && d.min !== undefined && d.min > d.max) {
      throw usageError(command, `--metric ${metric}: --min ${d.min} is above --max ${d.max}; no value can pass`);
    }
    return {
      metric,
      stat: d.stat ?? 'last',
      ...(d.goal ? { goal: d.goal } : {}),
      ...(d.max !== undefined ? { max: d.max } : {}),
      ...(d.min !== undefined ? { min: d.min } : {}),
      ...(d.minAbsChange !== undefined ? { minAbsChange: d.minAbsChange } : {}),
      ...(d.minRelChange !== undefined ? { minRelChange: d.minRelChange } : {}),
    };
  });
}

export function renderGate(outcome: GateOutcome, format: GateFormat, color: boolean): string {
  if (format === 'json') return json({ schema: 'runlog.check/1', ...gateJson(outcome) });
  if (format === 'md') return gateMarkdown(outcome);
  return gateTable(outcome, color);
}

async function run(args: ParsedArgs, context: CliContext): Promise<number> {
  const baseline = flag(args, 'better-than');
  const conditions = readConditions(spec, args, baseline !== undefined);
  const format = (flag(args, 'format') ?? 'table') as GateFormat;
  const filter = flag(args, 'filter')?.trim() || undefined;
  const outcome = await withStore(args, context, (store) =>
    runGate(store, {
      candidate: args.positionals[0],
      ...(baseline !== undefined ? { baseline } : {}),
      conditions,
      allowMissingBaseline: has(args, 'allow-missing-baseline'),
      ...(filter ? { filter } : {}),
    }),
  );
  context.out(renderGate(outcome, format, context.color));
  if (outcome.candidate.run.status === 'RUNNING' || outcome.candidate.run.status === 'QUEUED') {
    context.err(
      `runlog: the candidate run ${outcome.candidate.run.name} is still ${outcome.candidate.run.status.toLowerCase()}: its metrics may change\n`,
    );
  }
  if (outcome.baselineProblem && !has(args, 'allow-missing-baseline')) {
    context.err(`runlog: the baseline is missing: ${outcome.baselineProblem}\n`);
  }
  for (const c of outcome.result.conditions) {
    if (c.verdict === 'missing' && !outcome.baselineProblem) context.err(`runlog: ${c.metric}: ${c.summary}\n`);
  }
  await appendStepSummary(context, gateMarkdown(outcome));
  return exitCodeOf(outcome.result.verdict);
}

export const checkCommand: Command = { spec, run };
