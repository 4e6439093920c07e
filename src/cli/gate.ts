/**
 * The gate of `runlog check` and `runlog promote`: conditions on a candidate run's metrics,
 * absolute (`--max`, `--min`) or against a baseline run, the change thresholds meaning what MLflow's
 * `MetricThreshold` means:
 * - `min_absolute_change` A: greater is better → candidate ≥ baseline + A; else ≤ baseline − A;
 * - `min_relative_change` R: greater is better → candidate ≥ baseline × (1 + R); else
 *   ≤ baseline × (1 − R); a baseline of 0 falls back to "strictly better", as MLflow does;
 * - with neither, the candidate must be at least as good as the baseline: a tie is no regression.
 * "Better" is the metric's goal (`shared/metricGoal.ts`, the editor's rule), or `--goal`.
 * Comparisons are exact on the values as written (decimal.ts). Pure: no store, no I/O.
 */
import type { MetricGoal } from '../../shared/metricGoal';
import { metricGoal } from '../../shared/metricGoal';
import type { MetricSummary } from '../store/types';
import type { Decimal } from './decimal';
import { add, compare, multiply, subtract, toDecimal, toNumber } from './decimal';

export const STATS = ['last', 'best', 'min', 'max'] as const;
export type Stat = (typeof STATS)[number];

export interface Condition {
  readonly metric: string;
  readonly stat: Stat;
  /** `--goal`; undefined: the editor's rule from the metric's name. */
  readonly goal?: MetricGoal;
  readonly max?: number;
  readonly min?: number;
  readonly minAbsChange?: number;
  readonly minRelChange?: number;
}

export type Verdict = 'pass' | 'fail' | 'missing';

export interface ConditionResult {
  readonly metric: string;
  readonly stat: Stat;
  readonly goal: MetricGoal;
  /** Whether the goal was given (`--goal`) rather than read from the metric's name. */
  readonly goalGiven: boolean;
  readonly candidate: number | null;
  readonly baseline: number | null;
  readonly delta: number | null;
  readonly deltaPercent: number | null;
  readonly verdict: Verdict;
  /** A few words for the verdict column: "better", "worse by less than 500", "missing in the baseline". */
  readonly summary: string;
  /** Each rule that was applied, as a sentence with its numbers. */
  readonly rules: readonly string[];
}

export interface GateResult {
  readonly verdict: Verdict;
  readonly conditions: readonly ConditionResult[];
}

/** A statistic of a series: `best` is its min or max by the goal; NaN when it has none. */
export function statValue(summary: MetricSummary, stat: Stat, goal: MetricGoal): number {
  if (stat === 'best') return goal === 'min' ? summary.min : summary.max;
  return summary[stat];
}

/** Numbers in rule sentences: as written, without exponent noise. */
function show(value: number): string {
  return Number.isFinite(value) ? String(value) : Number.isNaN(value) ? 'NaN' : value > 0 ? '∞' : '-∞';
}

/** `a op b` for possibly infinite doubles; exact decimals when both are finite. */
function holds(candidate: number, op: '>=' | '<=' | '>' | '<', bound: Decimal | number): boolean {
  if (typeof bound === 'number' || !Number.isFinite(candidate)) {
    const b = typeof bound === 'number' ? bound : toNumber(bound);
    return op === '>=' ? candidate >= b : op === '<=' ? candidate <= b : op === '>' ? candidate > b : candidate < b;
  }
  const c = compare(toDecimal(candidate), bound);
  return op === '>=' ? c >= 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c < 0;
}

function finiteDecimal(value: number): Decimal | number {
  return Number.isFinite(value) ? toDecimal(value) : value;
}

function deltaOf(candidate: number, baseline: number): { delta: number; percent: number | null } {
  if (!Number.isFinite(candidate) || !Number.isFinite(baseline)) {
    const delta = candidate - baseline;
    return { delta, percent: null };
  }
  const difference = subtract(toDecimal(candidate), toDecimal(baseline));
  const delta = toNumber(difference);
  const percent = baseline === 0 ? null : (delta / Math.abs(baseline)) * 100;
  return { delta, percent: percent === null ? null : Number(percent.toPrecision(12)) };
}

interface Check {
  readonly ok: boolean;
  readonly rule: string;
  readonly failure: string;
}

function baselineChecks(condition: Condition, goal: MetricGoal, candidate: number, baseline: number): Check[] {
  const better = goal === 'max' ? '>=' : '<=';
  const sign = goal === 'max' ? 1 : -1;
  const checks: Check[] = [];
  if (Number.isNaN(baseline)) {
    return [{ ok: true, rule: 'the baseline is NaN: any value beats it', failure: '' }];
  }
  if (condition.minAbsChange !== undefined) {
    const change = condition.minAbsChange;
    const bound = Number.isFinite(baseline)
      ? (goal === 'max' ? add : subtract)(toDecimal(baseline), toDecimal(change))
      : baseline;
    checks.push({
      ok: holds(candidate, better, bound),
      rule: `${goal === 'max' ? 'at least' : 'at most'} the baseline ${goal === 'max' ? '+' : '−'} ${show(change)} = ${show(typeof bound === 'number' ? bound : toNumber(bound))} (min-abs-change)`,
      failure: `${goal === 'max' ? 'up' : 'down'} by less than ${show(change)}`,
    });
  }
  if (condition.minRelChange !== undefined) {
    const change = condition.minRelChange;
    if (baseline === 0) {
      checks.push({
        ok: holds(candidate, goal === 'max' ? '>' : '<', 0),
        rule: `the baseline is 0, so no relative change: strictly ${goal === 'max' ? 'above' : 'below'} it (MLflow's fallback)`,
        failure: 'not better than 0',
      });
    } else {
      const factor = add(toDecimal(1), multiply(toDecimal(sign), toDecimal(change)));
      const bound = Number.isFinite(baseline) ? multiply(toDecimal(baseline), factor) : baseline;
      checks.push({
        ok: holds(candidate, better, bound),
        rule: `${goal === 'max' ? 'at least' : 'at most'} the baseline × ${show(toNumber(factor))} = ${show(typeof bound === 'number' ? bound : toNumber(bound))} (min-rel-change ${show(change)})`,
        failure: `${goal === 'max' ? 'up' : 'down'} by less than ${show(change * 100)}%`,
      });
    }
  }
  if (checks.length === 0) {
    checks.push({
      ok: holds(candidate, better, finiteDecimal(baseline)),
      rule: `no worse than the baseline ${show(baseline)} (a tie passes)`,
      failure: 'worse',
    });
  }
  return checks;
}

/**
 * Evaluates each condition on the candidate's metrics and, when there is a baseline, on its.
 * `baseline` undefined: no baseline was asked for; null: one was asked for and is not there (its
 * conditions are then "missing" unless `allowMissingBaseline`).
 */
export function evaluateGate(
  conditions: readonly Condition[],
  candidate: readonly MetricSummary[],
  baseline: readonly MetricSummary[] | null | undefined,
  goals: Readonly<Record<string, MetricGoal>> = {},
): GateResult {
  const results = conditions.map((condition): ConditionResult => {
    const goal = condition.goal ?? metricGoal(condition.metric, goals);
    const goalGiven = condition.goal !== undefined || goals[condition.metric] !== undefined;
    const base = { metric: condition.metric, stat: condition.stat, goal, goalGiven };
    const own = candidate.find((m) => m.key === condition.metric);
    const theirs = baseline?.find((m) => m.key === condition.metric);
    const candidateValue = own ? statValue(own, condition.stat, goal) : null;
    const baselineValue = theirs ? statValue(theirs, condition.stat, goal) : null;
    const empty = { candidate: candidateValue, baseline: baselineValue, delta: null, deltaPercent: null };
    if (candidateValue === null) {
      return { ...base, ...empty, verdict: 'missing', summary: 'missing in the candidate', rules: [] };
    }
    const wantsBaseline = baseline !== undefined;
    if (wantsBaseline && baselineValue === null) {
      return {
        ...base,
        ...empty,
        verdict: 'missing',
        summary: baseline === null ? 'no baseline' : 'missing in the baseline',
        rules: [],
      };
    }
    const checks: Check[] = [];
    if (Number.isNaN(candidateValue)) {
      checks.push({ ok: false, rule: 'the candidate is NaN', failure: 'NaN' });
    } else {
      if (condition.max !== undefined) {
        checks.push({
          ok: holds(candidateValue, '<=', finiteDecimal(condition.max)),
          rule: `at most ${show(condition.max)} (--max)`,
          failure: `above ${show(condition.max)}`,
        });
      }
      if (condition.min !== undefined) {
        checks.push({
          ok: holds(candidateValue, '>=', finiteDecimal(condition.min)),
          rule: `at least ${show(condition.min)} (--min)`,
          failure: `below ${show(condition.min)}`,
        });
      }
      if (baselineValue !== null) checks.push(...baselineChecks(condition, goal, candidateValue, baselineValue));
    }
    const failed = checks.filter((c) => !c.ok);
    const change = baselineValue === null ? null : deltaOf(candidateValue, baselineValue);
    let summary: string;
    if (failed.length > 0) summary = failed.map((c) => c.failure).join(', ');
    else if (baselineValue === null || change === null) summary = 'within bounds';
    else if (change.delta === 0) summary = 'equal';
    else summary = (goal === 'max') === change.delta > 0 ? 'better' : 'worse';
    return {
      ...base,
      candidate: candidateValue,
      baseline: baselineValue,
      delta: change?.delta ?? null,
      deltaPercent: change?.percent ?? null,
      verdict: failed.length > 0 ? 'fail' : 'pass',
      summary,
      rules: checks.map((c) => c.rule),
    };
  });
  const verdict: Verdict = results.some((r) => r.verdict === 'missing')
    ? 'missing'
    : results.some((r) => r.verdict === 'fail')
      ? 'fail'
      : 'pass';
  return { verdict, conditions: results };
}
