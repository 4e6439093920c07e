import * as vscode from 'vscode';
import type { GpuUsage } from '../../shared/systemMetrics';
import { noteMarkdown, parseNote } from '../../shared/noteMarkdown';
import type { PresentationSettings } from '../runs/runPresentation';
import { runItemModel } from '../runs/runPresentation';
import type { RunStatus } from '../store/events';
import type { LineageChange, MetricSummary, RunRecord } from '../store/types';

const STATUS_ICONS: Record<RunStatus, [string, string?]> = {
  RUNNING: ['sync~spin'],
  QUEUED: ['clock'],
  FINISHED: ['pass', 'testing.iconPassed'],
  FAILED: ['error', 'testing.iconFailed'],
  KILLED: ['circle-slash'],
  INTERRUPTED: ['debug-disconnect'],
};

export function statusIcon(status: RunStatus): vscode.ThemeIcon {
  const [id, color] = STATUS_ICONS[status];
  return new vscode.ThemeIcon(id, color ? new vscode.ThemeColor(color) : undefined);
}

/**
 * A run's tree item. A pinned run that is not running shows a pin in its outcome's colour, so a
 * glance still tells a failed pinned run from a finished one; running and queued runs keep their
 * spinner and clock.
 */
export function runTreeItem(
  run: RunRecord,
  metrics: readonly MetricSummary[],
  settings: PresentationSettings,
  extra: {
    readonly params?: Readonly<Record<string, string>>;
    readonly lineage?: LineageChange | undefined;
    /** The run's Markdown note: user text, rendered from a tree that holds no HTML and no command link. */
    readonly note?: string | undefined;
    /** Child runs the view shows under it. */
    readonly children?: number;
    /** What it used of its GPUs (its system metrics), for the tooltip. */
    readonly gpus?: readonly GpuUsage[];
  } = {},
): vscode.TreeItem {
  const { params = {}, lineage, note, children = 0, gpus = [] } = extra;
  const model = runItemModel(run, metrics, settings, Date.now(), {}, params, lineage, gpus);
  const item = new vscode.TreeItem(model.label, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = model.id;
  const [, color] = STATUS_ICONS[run.status];
  const live = run.status === 'RUNNING' || run.status === 'QUEUED';
  const pinned = run.pinned && !run.deleted;
  item.iconPath =
    pinned && !live
      ? new vscode.ThemeIcon('pinned', color ? new vscode.ThemeColor(color) : undefined)
      : statusIcon(run.status);
  const nested = children > 0 ? `${children} child run${children === 1 ? '' : 's'}` : '';
  item.description = [pinned && live ? 'pinned' : '', model.description, nested].filter(Boolean).join(' · ');
  item.tooltip = markdownOf(model.label, model.tooltip, note);
  item.contextValue = model.contextValue;
  return item;
}

/**
 * Run names, params and metric keys come from user scripts: appended as text, never as markdown.
 * The note is Markdown, re-written from noteMarkdown.ts's tree (user text escaped, links only to the
 * web); the string stays untrusted with HTML off, so even a slip there runs no command.
 */
function markdownOf(title: string, lines: readonly string[], note?: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  md.isTrusted = false;
  md.supportHtml = false;
  md.appendMarkdown('**');
  md.appendText(title);
  md.appendMarkdown('**  \n');
  for (const line of lines) {
    md.appendText(line);
    md.appendMarkdown('  \n');
  }
  if (note !== undefined && note.trim() !== '') {
    md.appendMarkdown('\n---\n\n');
    md.appendMarkdown(noteMarkdown(parseNote(note)));
  }
  return md;
}
