/**
 * Running the gate on a store and reporting it: which runs the names mean, their metrics, the
 * verdict, and the report in each format (table, Markdown for a pull request, json). Shared by
 * `runlog check` and `runlog promote`.
 */
import { formatMetricValue } from '../../shared/formatValue';
import { escapeMarkdown } from '../../shared/compareModel';
import type { MetricSummary, RunRecord } from '../store/types';
import type { ExitCode } from './errors';
import { CliError, EXIT } from './errors';
import type { Condition, ConditionResult, GateResult, Verdict } from './gate';
import { evaluateGate } from './gate';
import { isoTime, markdownMarker, markdownTable, paint, table } from './output';
import type { NamedRun, StoreReads } from './runNames';
import { resolveRun } from './runNames';

export interface GateRequest {
  readonly candidate: string;
  readonly baseline?: string;
  readonly conditions: readonly Condition[];
  readonly allowMissingBaseline?: boolean;
  /** For `latest`: the newest run that matches. */
  readonly filter?: string;
}

export interface GateOutcome {
  readonly request: GateRequest;
  readonly candidate: NamedRun;
  /** Undefined: no baseline asked for; null: asked for and not there (`baselineProblem` says why). */
  readonly baseline: NamedRun | null | undefined;
  readonly baselineProblem?: string;
  readonly result: GateResult;
}

export function exitCodeOf(verdict: Verdict): ExitCode {
  return verdict === 'pass' ? EXIT.ok : verdict === 'fail' ? EXIT.failed : EXIT.missing;
}

/** Reads the runs and evaluates the gate. A candidate that is not there is an error (exit 3). */
export function runGate(store: StoreReads, request: GateRequest): GateOutcome {
  const candidate = resolveRun(store, request.candidate, request.filter);
  let baseline: NamedRun | null | undefined;
  let baselineProblem: string | undefined;
  if (request.baseline !== undefined) {
    try {
      baseline = resolveRun(store, request.baseline);
    } catch (error) {
      if (!(error instanceof CliError) || error.exitCode !== EXIT.missing) throw error;
      baseline = null;
      baselineProblem = error.message;
    }
  }
  const summaries = (run: RunRecord): MetricSummary[] => store.metricSummaries([run.id]).get(run.id) ?? [];
  const own = summaries(candidate.run);
  let result: GateResult;
  if (baseline === null && request.allowMissingBaseline) {
    // The first run of a pipeline has nothing to beat: only the absolute bounds apply.
    const evaluated = evaluateGate(request.conditions, own, undefined);
    result = {
      verdict: evaluated.verdict,
      conditions: evaluated.conditions.map((c) => ({
        ...c,
        summary:
          c.verdict === 'pass' ? (c.rules.length > 0 ? `${c.summary}, no baseline yet` : 'no baseline yet') : c.summary,
        rules: [...c.rules, `no baseline (${baselineProblem ?? 'not found'}): passes by --allow-missing-baseline`],
      })),
    };
  } else {
    result = evaluateGate(
      request.conditions,
      own,
      baseline === null ? null : baseline ? summaries(baseline.run) : undefined,
    );
  }
  return { request, candidate, baseline, ...(baselineProblem ? { baselineProblem } : {}), result };
}

const VERDICT_MARK: Readonly<Record<Verdict, string>> = { pass: '✅', fail: '❌', missing: '⚠️' };

function value(n: number | null): string {
  return n === null ? '—' : formatMetricValue(n);
}

function signed(n: number | null): string {
  if (n === null) return '—';
  const text = formatMetricValue(n);
  return n > 0 ? `+${text}` : text;
}

function percent(n: number | null): string {
  if (n === null) return '—';
  const text = `${Math.abs(n) < 0.005 ? '0.00' : n.toFixed(2)}%`;
  return n > 0 && text !== '0.00%' ? `+${text}` : text;
}

function metricLabel(c: ConditionResult): string {
  return c.stat === 'last' ? c.metric : `${c.metric} (${c.stat})`;
}

function who(named: NamedRun, ref: string): string {
  const parts: string[] = [];
  if (named.model) {
    const aliases = named.model.version.aliases.map((a) => ` @${a}`).join('');
    parts.push(`version ${named.model.version.version}${aliases}`);
  }
  const id = named.run.id.slice(0, 8);
  parts.push(ref === named.run.name ? id : `run ${named.run.name} ${id}`);
  return `${ref} (${parts.join(', ')})`;
}

function headline(outcome: GateOutcome): string {
  const { request, candidate, baseline } = outcome;
  const against =
    request.baseline === undefined
      ? ''
      : baseline
        ? ` against ${who(baseline, request.baseline)}`
        : ` against ${request.baseline} (not found)`;
  return `${who(candidate, request.candidate)}${against}`;
}

function rowsOf(outcome: GateOutcome, mark: boolean): string[][] {
  return outcome.result.conditions.map((c) => [
    metricLabel(c),
    value(c.baseline),
    value(c.candidate),
    signed(c.delta),
    percent(c.deltaPercent),
    mark ? `${VERDICT_MARK[c.verdict]} ${c.summary}` : `${c.verdict}: ${c.summary}`,
  ]);
}

function ruleLines(outcome: GateOutcome): string[] {
  return outcome.result.conditions.map((c) => {
    const goal = `${c.goal === 'min' ? 'lower' : 'higher'} is better${c.goalGiven ? '' : ' (from its name)'}`;
    return `${metricLabel(c)}, ${goal}: ${c.rules.length > 0 ? c.rules.join('; ') : 'nothing to check without a value'}`;
  });
}

const HEADER = ['metric', 'baseline', 'candidate', 'Δ', 'Δ%', 'verdict'];
const RIGHT = [false, true, true, true, true, false];

export function gateTable(outcome: GateOutcome, color: boolean): string {
  const style = { color };
  const verdict = outcome.result.verdict;
  const tone = verdict === 'pass' ? 'green' : verdict === 'fail' ? 'red' : 'yellow';
  const rows = rowsOf(outcome, false).map((row, i) => {
    const c = outcome.result.conditions[i];
    return [
      ...row.slice(0, 5),
      {
        text: row[5],
        tone: c.verdict === 'pass' ? ('green' as const) : c.verdict === 'fail' ? ('red' as const) : ('yellow' as const),
      },
    ];
  });
  return [
    `check ${headline(outcome)}`,
    ...(outcome.baselineProblem ? [`baseline: ${outcome.baselineProblem}`] : []),
    table(style, HEADER, rows, RIGHT).replace(/\n$/, ''),
    ...ruleLines(outcome).map((line) => `  ${line}`),
    paint(style, tone, `result: ${verdict} (exit ${exitCodeOf(verdict)})`),
    '',
  ].join('\n');
}

export function gateMarkdown(outcome: GateOutcome): string {
  const verdict = outcome.result.verdict;
  const title =
    verdict === 'pass'
      ? 'Runlog check passed'
      : verdict === 'fail'
        ? 'Runlog check failed: a regression'
        : 'Runlog check could not compare';
  const lines = [
    markdownMarker('check'),
    `### ${VERDICT_MARK[verdict]} ${title}`,
    '',
    `Candidate ${escapeMarkdown(headline(outcome))}.${outcome.baselineProblem ? ` ${escapeMarkdown(outcome.baselineProblem)}.` : ''}`,
    '',
    markdownTable(HEADER, rowsOf(outcome, true), RIGHT).replace(/\n$/, ''),
    '',
    ...ruleLines(outcome).map((line) => `- ${escapeMarkdown(line)}`),
    '',
  ];
  return lines.join('\n');
}

function namedJson(named: NamedRun, ref: string): Record<string, unknown> {
  return {
    ref,
    id: named.run.id,
    name: named.run.name,
    startTime: isoTime(named.run.startTime),
    model: named.model
      ? { name: named.model.model.name, version: named.model.version.version, aliases: named.model.version.aliases }
      : null,
  };
}

export function gateJson(outcome: GateOutcome): Record<string, unknown> {
  const { request } = outcome;
  return {
    verdict: outcome.result.verdict,
    exitCode: exitCodeOf(outcome.result.verdict),
    candidate: namedJson(outcome.candidate, request.candidate),
    baseline:
      request.baseline === undefined
        ? null
        : outcome.baseline
          ? namedJson(outcome.baseline, request.baseline)
          : { ref: request.baseline, missing: outcome.baselineProblem ?? 'not found' },
    conditions: outcome.result.conditions.map((c, i) => {
      const condition = request.conditions[i];
      return {
        metric: c.metric,
        stat: c.stat,
        goal: c.goal,
        goalFrom: c.goalGiven ? 'flag' : 'name',
        candidate: c.candidate,
        baseline: c.baseline,
        delta: c.delta,
        deltaPercent: c.deltaPercent,
        thresholds: {
          max: condition?.max ?? null,
          min: condition?.min ?? null,
          minAbsChange: condition?.minAbsChange ?? null,
          minRelChange: condition?.minRelChange ?? null,
        },
        verdict: c.verdict,
        summary: c.summary,
        rules: c.rules,
      };
    }),
  };
}
