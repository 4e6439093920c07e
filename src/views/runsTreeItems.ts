import * as vscode from 'vscode';
import type { GpuUsage } from '../../shared/systemMetrics';
import { noteMarkdown, parseNote } from '../../shared/noteMarkdown';
import type { PresentationSettings } from '../runs/runPresentation';
import { runItemModel } from '../runs/runPresentation';
import type { RunStatus } from '../store/events';
import type { LineageChange, MetricSummary, RunRecord } from '../store/types';
import type { RunOrigin } from './runsTreeProvider';

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
    /** The server it was pulled from, or those it was pushed to. */
    readonly origin?: RunOrigin | undefined;
  } = {},
): vscode.TreeItem {
  const { params = {}, lineage, note, children = 0, gpus = [], origin } = extra;
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
  const where = origin ? originText(origin) : undefined;
  const nested = children > 0 ? `${children} child run${children === 1 ? '' : 's'}` : '';
  const description = where ? `${where.short} · ${model.description}` : model.description;
  item.description = [pinned && live ? 'pinned' : '', description, nested].filter(Boolean).join(' · ');
  item.tooltip = markdownOf(model.label, where ? [...model.tooltip, ...where.lines] : model.tooltip, note);
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

function hostOf(uri: string): string {
  try {
    return new URL(uri).host || uri;
  } catch {
    return uri;
  }
}

/**
 * A pulled run's server ("↓ host") or where this run was pushed ("↑ host"), for the description;
 * the full URIs for the tooltip. A pulled run is read-only here; a pushed one stays this store's.
 */
function originText(origin: RunOrigin): { short: string; lines: string[] } | undefined {
  if (origin.pulledFrom !== undefined) {
    return {
      short: `↓ ${hostOf(origin.pulledFrom)}`,
      lines: [`pulled from ${origin.pulledFrom} (read-only here: change it on the server, then pull it again)`],
    };
  }
  if (origin.pushedTo.length === 0) return undefined;
  const hosts = [...new Set(origin.pushedTo.map((p) => hostOf(p.uri)))];
  return {
    short: `↑ ${hosts.length === 1 ? hosts[0] : `${hosts.length} servers`}`,
    lines: origin.pushedTo.map(
      (p) => `pushed to ${p.uri}${p.done ? '' : ' (not whole there yet: its end or files go with the next push)'}`,
    ),
  };
}
