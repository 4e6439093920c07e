// The benchmarks' one way to report: each figure beside a reference measured in the same run,
// printed as a table, optionally written as JSON ([{"name","value","unit","reference","ratio"}]).
import { writeFile } from 'node:fs/promises';

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly reference: number;
  readonly ratio: number;
}

export class Figures {
  readonly all: Figure[] = [];

  /** Higher is better for rates; for times and sizes lower is better, so the ratio flips. */
  record(name: string, value: number, unit: string, reference: number, higherIsBetter: boolean): void {
    const ratio = higherIsBetter ? value / reference : reference / value;
    this.all.push({ name, value, unit, reference, ratio });
    console.log(
      `  ${name}: ${formatFigure(value)} ${unit} (reference ${formatFigure(reference)}, ratio ${ratio.toFixed(2)})`,
    );
  }

  printTable(): void {
    const rows = this.all.map((f) => [
      f.name,
      formatFigure(f.value),
      f.unit,
      formatFigure(f.reference),
      f.ratio.toFixed(2),
    ]);
    const header = ['figure', 'value', 'unit', 'reference', 'ratio'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
    console.log('');
    console.log(line(header));
    console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
    for (const row of rows) console.log(line(row));
  }

  async writeJson(file: string | undefined): Promise<void> {
    if (file) await writeFile(file, JSON.stringify(this.all, null, 2) + '\n');
  }
}

export function formatFigure(n: number): string {
  if (n >= 1000) return Math.round(n).toLocaleString('en-US');
  return n >= 10 ? n.toFixed(1) : n.toFixed(3);
}

export function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export function option(name: string, args = process.argv.slice(2)): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
}
