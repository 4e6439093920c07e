// What the runs table's host says in VS Code's terms: the titles of the commands its More… offers,
// and a column's sort as the store's sort key.
import type { MetricGoal } from '../../shared/metricGoal';
import { metricGoal } from '../../shared/metricGoal';
import type { TableLayout, TableSort } from '../../shared/runsTable';
import { columnKey, columnKind, statOf } from '../../shared/runsTable';
import type { TableCommand } from '../../shared/runsTableProtocol';
import type { RunSort, SortKey } from '../store/types';

export const COMMAND_TITLES: Readonly<Record<TableCommand, string>> = {
  'runlog.openCharts': 'Open Charts',
  'runlog.compareRuns': 'Compare',
  'runlog.rerunRun': 'Rerun',
  'runlog.reproduceRun': 'Reproduce',
  'runlog.stopRun': 'Stop',
  'runlog.tagRuns': 'Tag…',
  'runlog.editNote': 'Edit Note…',
  'runlog.pinRun': 'Pin',
  'runlog.unpinRun': 'Unpin',
  'runlog.renameRun': 'Rename…',
  'runlog.deleteRun': 'Delete',
  'runlog.restoreRun': 'Restore',
  'runlog.deleteRunPermanently': 'Delete Permanently…',
  'runlog.registerModel': 'Register Model…',
  'runlog.exportRunsToMlflow': 'Export to MLflow…',
  'runlog.diffRunCode': 'Diff Code',
  'runlog.copyRunId': 'Copy Run ID',
  'runlog.revealRunInTree': 'Reveal in Runs View',
};

/** The sort key of a column, in the store's terms; columns without an order (tags, notes, sparklines) have none. */
export function sortOf(
  sort: TableSort,
  layout: TableLayout,
  goals: Readonly<Record<string, MetricGoal>>,
): RunSort | undefined {
  const attribute: Partial<Record<string, SortKey>> = {
    'run.status': 'status',
    'run.name': 'name',
    'run.experiment': 'experiment',
    'run.start': 'start_time',
    'run.duration': 'duration',
    'git.commit': 'git_commit',
    'git.branch': 'git_branch',
    'git.dirty': 'git_dirty',
  };
  const kind = columnKind(sort.column);
  const key = columnKey(sort.column);
  if (kind === 'attribute') {
    const found = attribute[sort.column];
    return found ? { key: found, descending: sort.descending } : undefined;
  }
  if (kind === 'param') return { key: `params.${key}`, descending: sort.descending };
  if (kind === 'tag') return { key: `tags.${key}`, descending: sort.descending };
  if (kind !== 'metric') return undefined;
  const stat = statOf(sort.column, layout);
  const value = stat === 'best' ? metricGoal(key, goals) : stat;
  return { key: `metrics.${key}`, descending: sort.descending, value };
}
