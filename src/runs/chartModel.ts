import { csvField } from '../../shared/csv';
import type { PointColumns } from '../store/chunkCodec';

/**
 * Run colors that stay apart on light, dark and high-contrast backgrounds (Tableau 10, then its
 * lighter half); runs past 20 reuse them, and the legend's names tell them apart.
 */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
  '#a0cbe8',
  '#ffbe7d',
  '#ff9d9a',
  '#86bcb6',
  '#8cd17d',
  '#f1ce63',
  '#d4a6c8',
  '#fabfd2',
  '#d7b5a6',
  '#79706e',
];

export function runColor(index: number): string {
  return PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

const MAX_LABEL = 120;

/**
 * Per run, the params whose values differ between the runs, as `lr=0.1 depth=4` (a missing param
 * differs from any value). Params every run shares say nothing in a legend and are left out.
 */
export function differingParams(params: readonly Readonly<Record<string, string>>[]): string[] {
  const keys = new Set(params.flatMap((p) => Object.keys(p)));
  const differing = [...keys]
    .filter((key) => params.some((p) => p[key] !== params[0][key]))
    .sort((a, b) => a.localeCompare(b));
  return params.map((p) => {
    const text = differing
      .filter((key) => p[key] !== undefined)
      .map((key) => `${key}=${p[key]}`)
      .join(' ');
    return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
  });
}

function csvNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return String(value);
}

/** Every point of one metric for several runs: `run_id,run_name,key,step,timestamp_ms,value`. */
export function chartsCsv(
  key: string,
  runs: readonly { readonly runId: string; readonly name: string; readonly points: PointColumns }[],
): string {
  const lines = ['run_id,run_name,key,step,timestamp_ms,value'];
  for (const { runId, name, points } of runs) {
    const prefix = `${csvField(runId)},${csvField(name)},${csvField(key)},`;
    for (let i = 0; i < points.values.length; i++) {
      lines.push(`${prefix}${points.steps[i]},${points.times[i]},${csvNumber(points.values[i])}`);
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
