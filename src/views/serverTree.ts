import * as vscode from 'vscode';
import { formatMetricValue, formatRelativeTime } from '../../shared/formatValue';
import type { ServerEntry, TrackingServers } from '../commands/trackingServers';
import type { RemoteExperiment, RemoteRun } from '../sync/mlflowClient';
import { MlflowClient, tagOf } from '../sync/mlflowClient';
import { REMOTE_TAG } from '../sync/syncTags';
import { REMOTE_EXPERIMENT_ITEM, REMOTE_RUN_ITEM, SERVER_ITEM } from './contextValues';
import { statusIcon } from './runsTreeItems';

// The Runs view's roots for the team's tracking servers (`runlog.servers`): each lists the server's
// experiments and, under each, its runs newest first, a page at a time, searched on the server with
// the filter typed in the view (MLflow's search syntax, which the view's language shares for
// comparisons joined by AND; a filter the server refuses shows its answer in the tree). Nothing
// is asked before a root is expanded; expanded roots are asked again every 30 s while the view shows.

/** Runs per page of a remote experiment. */
export const REMOTE_PAGE = 100;
export const REMOTE_REFRESH_MS = 30_000;

export type ServerTreeNode =
  | { readonly kind: 'server'; readonly server: ServerEntry }
  | { readonly kind: 'remoteExperiment'; readonly server: ServerEntry; readonly experiment: RemoteExperiment }
  | {
      readonly kind: 'remoteRun';
      readonly server: ServerEntry;
      readonly experiment: RemoteExperiment;
      readonly run: RemoteRun;
    }
  | {
      readonly kind: 'remoteMore';
      readonly server: ServerEntry;
      readonly experiment: RemoteExperiment;
      readonly pageToken: string;
    }
  | { readonly kind: 'remoteProblem'; readonly server: ServerEntry; readonly message: string }
  /** An experiment with no runs (or none the view's filter matches), said in a row of its own. */
  | { readonly kind: 'remoteEmpty'; readonly server: ServerEntry; readonly message: string };

const STATUSES = new Set(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);

function localStatus(status: string | undefined): Parameters<typeof statusIcon>[0] {
  if (status === 'SCHEDULED') return 'QUEUED';
  return status && STATUSES.has(status) ? (status as Parameters<typeof statusIcon>[0]) : 'INTERRUPTED';
}

/** As a local run's: its key metric (else its status), its user, how long ago it started. */
function description(run: RemoteRun, keyMetric: string): string {
  const metrics = run.data?.metrics ?? [];
  const key = metrics.find((m) => m.key === keyMetric) ?? metrics[0];
  const start = Number(run.info.start_time);
  return [
    key ? `${key.key} ${formatMetricValue(Number(key.value))}` : (run.info.status ?? '').toLowerCase(),
    ...(run.info.user_id ? [run.info.user_id] : []),
    ...(Number.isFinite(start) && start > 0 ? [formatRelativeTime(start, Date.now())] : []),
  ]
    .filter((part) => part !== '')
    .join(' · ');
}

export class ServerTree {
  /** The root node of each server, kept so a refresh can name it. */
  private readonly rootNodes = new Map<string, Extract<ServerTreeNode, { kind: 'server' }>>();

  constructor(private readonly servers: TrackingServers) {}

  roots(): ServerTreeNode[] {
    const list = this.servers.list();
    return list.map((server) => {
      const known = this.rootNodes.get(server.name);
      if (known && known.server.uri === server.uri) return known;
      const node = { kind: 'server' as const, server };
      this.rootNodes.set(server.name, node);
      return node;
    });
  }

  /** The roots to ask again (the periodic refresh). */
  shownRoots(): ServerTreeNode[] {
    const names = new Set(this.servers.list().map((s) => s.name));
    return [...this.rootNodes.values()].filter((n) => names.has(n.server.name));
  }

  async children(node: ServerTreeNode, filter: string | undefined): Promise<ServerTreeNode[]> {
    const { server } = node;
    try {
      return await this.ask(server, async (client) => {
        switch (node.kind) {
          case 'server':
            return (await client.searchExperiments()).map((experiment) => ({
              kind: 'remoteExperiment' as const,
              server,
              experiment,
            }));
          case 'remoteExperiment':
            return this.page(client, server, node.experiment, filter, undefined);
          case 'remoteMore':
            return this.page(client, server, node.experiment, filter, node.pageToken);
          default:
            return [];
        }
      });
    } catch (error) {
      return [{ kind: 'remoteProblem', server, message: (error as Error).message }];
    }
  }

  private async ask<T>(server: ServerEntry, work: (client: MlflowClient) => Promise<T>): Promise<T> {
    const http = await this.servers.connect(server);
    try {
      return await work(new MlflowClient(http));
    } finally {
      http.close();
    }
  }

  private async page(
    client: MlflowClient,
    server: ServerEntry,
    experiment: RemoteExperiment,
    filter: string | undefined,
    pageToken: string | undefined,
  ): Promise<ServerTreeNode[]> {
    const page = await client.searchRuns({
      experimentIds: [experiment.experiment_id],
      maxResults: REMOTE_PAGE,
      orderBy: ['attributes.start_time DESC'],
      ...(filter ? { filter } : {}),
      ...(pageToken ? { pageToken } : {}),
    });
    if (pageToken === undefined && page.runs.length === 0) {
      const message = filter ? 'no runs match the filter' : 'no runs';
      return [{ kind: 'remoteEmpty', server, message }];
    }
    const nodes: ServerTreeNode[] = page.runs.map((run) => ({ kind: 'remoteRun', server, experiment, run }));
    // A token that does not move on would list the same page for ever (MLflow #23916).
    const next = page.next_page_token;
    if (next && next !== pageToken && page.runs.length > 0) {
      nodes.push({ kind: 'remoteMore', server, experiment, pageToken: next });
    }
    return nodes;
  }

  item(node: ServerTreeNode): vscode.TreeItem {
    switch (node.kind) {
      case 'server': {
        const item = new vscode.TreeItem(node.server.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `server:${node.server.name}`;
        item.iconPath = new vscode.ThemeIcon('cloud');
        item.description = node.server.uri;
        item.tooltip = `MLflow tracking server ${node.server.uri}`;
        item.contextValue = SERVER_ITEM;
        return item;
      }
      case 'remoteExperiment': {
        const item = new vscode.TreeItem(node.experiment.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `server:${node.server.name}:experiment:${node.experiment.experiment_id}`;
        item.iconPath = new vscode.ThemeIcon('beaker');
        item.contextValue = REMOTE_EXPERIMENT_ITEM;
        return item;
      }
      case 'remoteRun': {
        const { info } = node.run;
        const item = new vscode.TreeItem(info.run_name || info.run_id, vscode.TreeItemCollapsibleState.None);
        item.id = `server:${node.server.name}:run:${info.run_id}`;
        item.iconPath = statusIcon(localStatus(info.status));
        item.description = description(node.run, vscode.workspace.getConfiguration('runlog').get('keyMetric', ''));
        const tooltip = new vscode.MarkdownString();
        tooltip.appendText(`${info.run_name ?? info.run_id} on ${node.server.name}`).appendMarkdown('  \n');
        tooltip.appendText(`status ${info.status ?? '?'} · run ${info.run_id}`).appendMarkdown('  \n');
        const origin = tagOf(node.run, REMOTE_TAG);
        if (origin) tooltip.appendText(`pulled there from ${origin}`).appendMarkdown('  \n');
        for (const m of (node.run.data?.metrics ?? []).slice(0, 10)) {
          tooltip.appendText(`${m.key} ${String(m.value)}`).appendMarkdown('  \n');
        }
        item.tooltip = tooltip;
        item.contextValue = REMOTE_RUN_ITEM;
        item.command = {
          command: 'runlog.openRemoteRun',
          title: 'Open in Charts',
          arguments: [{ server: node.server.name, runId: info.run_id }],
        };
        return item;
      }
      case 'remoteMore': {
        const item = new vscode.TreeItem('Load more runs…', vscode.TreeItemCollapsibleState.Collapsed);
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        return item;
      }
      case 'remoteProblem': {
        const item = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('warning');
        item.tooltip = node.message;
        return item;
      }
      case 'remoteEmpty': {
        const item = new vscode.TreeItem(node.message, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon('info');
        return item;
      }
    }
  }
}
