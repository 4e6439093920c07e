import type { ExportSummary } from './mlrunsExport';
import type { ImportSummary } from './mlrunsImport';

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function problems(list: readonly string[], what: string): string | undefined {
  if (list.length === 0) return undefined;
  return `${list.length} ${what}: ${list[0]}${list.length > 1 ? ` (and ${list.length - 1} more in the log)` : ''}`;
}

/** "Imported 12 runs from 3 experiments, skipped 4 already present, 1 unreadable: <why>". */
export function importSummaryText(summary: ImportSummary): string {
  const parts = [
    `${summary.cancelled ? 'Cancelled after importing' : 'Imported'} ${count(summary.imported, 'run')} from ${count(summary.experiments, 'experiment')}`,
    summary.skipped > 0 ? `skipped ${summary.skipped} already present` : undefined,
    problems(summary.unreadable, 'unreadable'),
    summary.warnings.length > 0 ? `${count(summary.warnings.length, 'item')} left out (see the log)` : undefined,
  ];
  return parts.filter((p) => p !== undefined).join(', ');
}

/** "Exported 5 runs into 2 experiments in <folder>, skipped 1 already there, 1 failed: <why>". */
export function exportSummaryText(summary: ExportSummary, folder: string): string {
  const parts = [
    `${summary.cancelled ? 'Cancelled after exporting' : 'Exported'} ${count(summary.exported, 'run')} into ${count(summary.experiments, 'experiment')} in ${folder}`,
    summary.skipped > 0 ? `skipped ${summary.skipped} already there` : undefined,
    problems(summary.failed, 'failed'),
    summary.warnings.length > 0 ? `${count(summary.warnings.length, 'item')} left out (see the log)` : undefined,
  ];
  return parts.filter((p) => p !== undefined).join(', ');
}

/**
 * Text for a notification, which renders `[label](target)` as a link (command links too): folder
 * and key names from an mlruns/ folder are anyone's, so no `](` survives to make one.
 */
export function notificationText(text: string): string {
  return text.replace(/\]\s*\(/g, '] (');
}
