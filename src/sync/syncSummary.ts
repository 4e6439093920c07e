/** What a push or a pull did, in one sentence for a terminal or a notification, and its progress line. */
import type { PullSummary } from './pull';
import type { PushProgress, PushSummary } from './push';

function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** "Pushed 2 runs to <server> (2,505 points, 5.6 kB); 3 unchanged, 1 skipped, 1 failed". */
export function pushSummaryText(summary: PushSummary): string {
  const head = `${summary.cancelled ? 'Cancelled after pushing' : 'Pushed'} ${count(summary.pushed.length, 'run')} to ${summary.server} (${count(summary.points, 'point')}, ${formatBytes(summary.bytes)})`;
  const rest = [
    summary.unchanged.length > 0 ? `${summary.unchanged.length} unchanged` : undefined,
    summary.skipped.length > 0 ? `${summary.skipped.length} skipped` : undefined,
    summary.failed.length > 0 ? `${summary.failed.length} failed` : undefined,
    summary.versions.length > 0 ? `registered ${count(summary.versions.length, 'model version')}` : undefined,
  ].filter((p) => p !== undefined);
  return rest.length > 0 ? `${head}; ${rest.join(', ')}` : head;
}

/** "Pulled 2 runs from <server> (2,505 points, 5.6 kB); 3 unchanged, 1 failed". */
export function pullSummaryText(summary: PullSummary): string {
  const updated = summary.pulled.filter((p) => p.updated).length;
  const head = `${summary.cancelled ? 'Cancelled after pulling' : 'Pulled'} ${count(summary.pulled.length, 'run')} from ${summary.server}${updated > 0 ? ` (${updated} updated)` : ''} (${count(summary.points, 'point')}, ${formatBytes(summary.bytes)})`;
  const rest = [
    summary.unchanged.length > 0 ? `${summary.unchanged.length} unchanged` : undefined,
    summary.skipped.length > 0 ? `${summary.skipped.length} skipped (pushed from this store)` : undefined,
    summary.failed.length > 0 ? `${summary.failed.length} failed` : undefined,
  ].filter((p) => p !== undefined);
  return rest.length > 0 ? `${head}; ${rest.join(', ')}` : head;
}

/** "3/10 runs · 120,000 points · 4.2 MB". */
export function progressText(progress: Pick<PushProgress, 'runsDone' | 'runsTotal' | 'points' | 'bytes'>): string {
  return `${progress.runsDone}/${count(progress.runsTotal, 'run')} · ${count(progress.points, 'point')} · ${formatBytes(progress.bytes)}`;
}
