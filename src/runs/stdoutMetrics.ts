/**
 * Zero instrumentation: metrics read from a script's printed lines, so a script that logs nothing
 * through a client still gets charts. `epoch 3 loss=0.25 acc=0.91` and `step: 100, loss: 0.3` both
 * work: `key=value` / `key: value` pairs are metrics, and a pair or word named epoch, step, iter or
 * iteration gives the step. Extra patterns (setting `runlog.stdoutMetricPatterns`) are regular
 * expressions with named groups `key` and `value` (and optionally `step`).
 */

export interface StdoutPoint {
  readonly key: string;
  readonly value: number;
  /** Undefined when the line named no step: the caller continues that key's own count. */
  readonly step: number | undefined;
}

const STEP_KEYS = new Set(['epoch', 'step', 'iter', 'iteration', 'global_step']);
const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|NaN|inf|-inf`;
const PAIR = new RegExp(String.raw`(?<![\w./:-])([A-Za-z_][\w./-]{0,63})\s*[=:]\s*(${NUMBER})(?![\w./:])`, 'g');
const STEP_WORD = /\b(epoch|step|iter|iteration)\s+(\d+)\b/i;

function toNumber(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

export class StdoutMetricParser {
  private readonly extra: RegExp[];

  /** Bad user patterns are reported once through `onBadPattern` and skipped. */
  constructor(patterns: readonly string[] = [], onBadPattern?: (pattern: string, reason: string) => void) {
    this.extra = [];
    for (const pattern of patterns) {
      try {
        const regex = new RegExp(pattern, 'g');
        if (!/\(\?<key>/.test(pattern) || !/\(\?<value>/.test(pattern)) {
          onBadPattern?.(pattern, 'it needs named groups (?<key>…) and (?<value>…)');
          continue;
        }
        this.extra.push(regex);
      } catch (error) {
        onBadPattern?.(pattern, (error as Error).message);
      }
    }
  }

  /** The metrics on one printed line (without its newline). */
  parse(line: string): StdoutPoint[] {
    if (line.length > 4096) return [];
    const pairs: { key: string; value: number }[] = [];
    let step: number | undefined;
    for (const match of line.matchAll(PAIR)) {
      const key = match[1];
      const value = toNumber(match[2]);
      if (STEP_KEYS.has(key.toLowerCase())) {
        if (Number.isSafeInteger(value)) step = value;
        continue;
      }
      pairs.push({ key, value });
    }
    if (step === undefined) {
      const word = STEP_WORD.exec(line);
      if (word) step = Number(word[2]);
    }
    for (const regex of this.extra) {
      regex.lastIndex = 0;
      for (const match of line.matchAll(regex)) {
        const groups = match.groups ?? {};
        const value = Number(groups['value']);
        if (groups['key'] && !Number.isNaN(value)) pairs.push({ key: groups['key'], value });
        if (groups['step'] !== undefined && Number.isSafeInteger(Number(groups['step']))) step = Number(groups['step']);
      }
    }
    return pairs.map((p) => ({ ...p, step }));
  }
}

/** Whether a script logs through a tracking client itself (then stdout is not parsed, to avoid double counting). */
export function usesTrackingClient(source: string): boolean {
  return /^\s*(?:import|from)\s+(?:runlog|mlflow)\b/m.test(source);
}
