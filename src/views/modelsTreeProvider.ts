import { join } from 'node:path';
import * as vscode from 'vscode';
import { bestValue, metricGoal } from '../../shared/metricGoal';
import { formatMetricValue, formatRelativeTime } from '../../shared/formatValue';
import { formatSize } from '../runs/artifactPreview';
import { keyMetricOf } from '../runs/runPresentation';
import type { LoggedModelRecord, ModelVersion, RegisteredModel, RunDetails } from '../store/types';
import type { StoreClient } from '../store/storeClient';
import { MODELS_DIR } from '../store/storeLocation';
import type { StoreFolder } from '../workspaceStores';
import { LOGGED_MODEL_ITEM, MODEL_ITEM, UNREGISTERED_ITEM, modelVersionItem } from './contextValues';

export type ModelsTreeNode =
  | { readonly kind: 'model'; readonly store: StoreClient; readonly model: RegisteredModel }
  /** MLflow 3's logged models no version names yet, under one group per store. */
  | { readonly kind: 'unregistered'; readonly store: StoreClient; readonly models: readonly LoggedModelRecord[] }
  | {
      readonly kind: 'loggedModel';
      readonly store: StoreClient;
      readonly model: LoggedModelRecord;
      readonly run: RunDetails | undefined;
    }
  /** A file of a logged model: opens on a click (its journal path stays inside the model's folder). */
  | { readonly kind: 'modelFile'; readonly dir: string; readonly model: string; readonly file: ModelFile }
  | {
      readonly kind: 'version';
      readonly store: StoreClient;
      readonly model: string;
      readonly version: ModelVersion;
      readonly run: RunDetails | undefined;
    };

type ModelFile = LoggedModelRecord['files'][number];

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>&]/g, '\\$&');
}

/**
 * The Models view: registered models → their versions, newest first, each with its aliases, the
 * source run's key metric and the commit it ran; then MLflow 3's logged models that are not
 * registered yet, each with its source run, params, metrics and files. Read from the store's
 * registry and logged-model tables (their journals), refreshed with the Runs view.
 */
export class ModelsTreeProvider implements vscode.TreeDataProvider<ModelsTreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelsTreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly folders: () => readonly StoreFolder[],
    private readonly onError: (message: string) => void,
  ) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(node?: ModelsTreeNode): Promise<ModelsTreeNode[]> {
    try {
      if (!node) {
        const all = await Promise.all(
          this.folders().map(async ({ store }) => {
            const registered = (await store.call('registeredModels')).map((model): ModelsTreeNode => ({
              kind: 'model',
              store,
              model,
            }));
            const unregistered = (await store.call('loggedModels')).filter((m) => m.registrations.length === 0);
            return unregistered.length > 0
              ? [...registered, { kind: 'unregistered' as const, store, models: unregistered }]
              : registered;
          }),
        );
        return all.flat();
      }
      if (node.kind === 'unregistered') {
        return Promise.all(
          node.models.map(async (model): Promise<ModelsTreeNode> => ({
            kind: 'loggedModel',
            store: node.store,
            model,
            run: model.sourceRunId ? await node.store.call('getRun', model.sourceRunId) : undefined,
          })),
        );
      }
      if (node.kind === 'loggedModel') {
        const { dir } = await node.store.call('status');
        return node.model.files.map((file) => ({ kind: 'modelFile' as const, dir, model: node.model.id, file }));
      }
      if (node.kind !== 'model') return [];
      return Promise.all(
        node.model.versions.map(async (version): Promise<ModelsTreeNode> => ({
          kind: 'version',
          store: node.store,
          model: node.model.name,
          version,
          run: version.runId ? await node.store.call('getRun', version.runId) : undefined,
        })),
      );
    } catch (error) {
      this.onError(error instanceof Error ? error.message : String(error));
      return [];
    }
  }

  getTreeItem(node: ModelsTreeNode): vscode.TreeItem {
    if (node.kind === 'unregistered') {
      // No fixed id: each store of a multi-root workspace has a group of its own.
      const item = new vscode.TreeItem('Not registered', vscode.TreeItemCollapsibleState.Expanded);
      item.iconPath = new vscode.ThemeIcon('inbox');
      item.description = `${node.models.length} logged model${node.models.length === 1 ? '' : 's'}`;
      item.tooltip = "MLflow 3's logged models no registered version names yet: Register Logged Model… makes one";
      item.contextValue = UNREGISTERED_ITEM;
      return item;
    }
    if (node.kind === 'loggedModel') return loggedModelItem(node.model, node.run);
    if (node.kind === 'modelFile') return modelFileItem(node.dir, node.model, node.file);
    if (node.kind === 'model') {
      const { model } = node;
      const item = new vscode.TreeItem(model.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `model:${model.name}`;
      item.iconPath = new vscode.ThemeIcon('package');
      const aliases = model.versions.flatMap((v) => v.aliases.map((a) => `@${a}`));
      item.description = [`${model.versions.length} version${model.versions.length === 1 ? '' : 's'}`, ...aliases].join(
        ' · ',
      );
      item.contextValue = MODEL_ITEM;
      if (model.description) item.tooltip = model.description;
      return item;
    }
    const { version, run } = node;
    const settings = vscode.workspace.getConfiguration('runlog');
    const key = run ? keyMetricOf(run.metrics, settings.get<string>('keyMetric', '')) : undefined;
    const item = new vscode.TreeItem(`v${version.version}`, vscode.TreeItemCollapsibleState.None);
    item.id = `model:${node.model}:v${version.version}`;
    item.iconPath = new vscode.ThemeIcon(version.aliases.length > 0 ? 'verified-filled' : 'versions');
    item.description = [
      ...version.aliases.map((a) => `@${a}`),
      // MLflow's deprecated stage, shown as long as the version has one.
      version.stage !== 'None' ? version.stage : undefined,
      run?.name,
      key ? `${key.key} ${formatMetricValue(key.last)}` : undefined,
      run?.git ? run.git.commit.slice(0, 7) : undefined,
    ]
      .filter((part): part is string => part !== undefined)
      .join(' · ');
    item.contextValue = modelVersionItem(version.aliases.length > 0);
    const tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown(`**${escape(node.model)}** version ${version.version}`);
    if (version.aliases.length > 0)
      tooltip.appendMarkdown(` · ${version.aliases.map((a) => `@${escape(a)}`).join(' ')}`);
    tooltip.appendMarkdown(`\n\nregistered ${formatRelativeTime(version.created, Date.now())}`);
    if (version.stage !== 'None') tooltip.appendMarkdown(`\n\nstage: ${version.stage}`);
    if (version.description) tooltip.appendMarkdown(`\n\n${escape(version.description)}`);
    const tags = Object.entries(version.tags);
    if (tags.length > 0) {
      tooltip.appendMarkdown(`\n\ntags: ${tags.map(([k, v]) => `${escape(k)}=${escape(v)}`).join(', ')}`);
    }
    if (run) {
      tooltip.appendMarkdown(`\n\nfrom run **${escape(run.name)}** (${run.status.toLowerCase()})`);
      const goals = settings.get<Record<string, 'min' | 'max'>>('metricGoals', {});
      for (const metric of run.metrics.slice(0, 10)) {
        const best = bestValue(metric, metricGoal(metric.key, goals));
        tooltip.appendMarkdown(
          `\n- ${escape(metric.key)}: ${formatMetricValue(metric.last)} (best ${formatMetricValue(best)})`,
        );
      }
      if (run.git) {
        tooltip.appendMarkdown(
          `\n\ngit ${run.git.commit.slice(0, 12)}${run.git.branch ? ` on ${escape(run.git.branch)}` : ''}${run.git.dirty ? ' with uncommitted changes' : ''}`,
        );
      }
    } else if (version.source) {
      tooltip.appendMarkdown(`\n\nfrom ${escape(version.source)}`);
    }
    item.tooltip = tooltip;
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** A logged model not registered yet: its source run, status and type; params, metrics, files in the tooltip. */
function loggedModelItem(model: LoggedModelRecord, run: RunDetails | undefined): vscode.TreeItem {
  const item = new vscode.TreeItem(
    model.name,
    model.files.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
  );
  item.id = `logged-model:${model.id}`;
  item.iconPath = new vscode.ThemeIcon(model.status === 'FAILED' ? 'warning' : 'package');
  item.description = [run?.name, model.modelType, model.status.toLowerCase()]
    .filter((part): part is string => typeof part === 'string' && part !== '')
    .join(' · ');
  item.contextValue = LOGGED_MODEL_ITEM;
  const tooltip = new vscode.MarkdownString();
  tooltip.appendMarkdown(`**${escape(model.name)}** \`models:/${escape(model.id)}\``);
  tooltip.appendMarkdown(`\n\nlogged ${formatRelativeTime(model.created, Date.now())}`);
  if (run) tooltip.appendMarkdown(` by run **${escape(run.name)}** (${run.status.toLowerCase()})`);
  const params = Object.entries(model.params);
  if (params.length > 0) {
    tooltip.appendMarkdown('\n\nparams:');
    for (const [key, value] of params.slice(0, 10)) tooltip.appendMarkdown(`\n- ${escape(key)}: ${escape(value)}`);
  }
  const latest = new Map<string, number>();
  for (const m of model.metrics) latest.set(m.key, m.value);
  if (latest.size > 0) {
    tooltip.appendMarkdown('\n\nmetrics:');
    for (const [key, value] of [...latest].slice(0, 10)) {
      tooltip.appendMarkdown(`\n- ${escape(key)}: ${formatMetricValue(value)}`);
    }
  }
  tooltip.appendMarkdown(`\n\n${model.files.length} file${model.files.length === 1 ? '' : 's'}`);
  item.tooltip = tooltip;
  return item;
}

/** A logged model's file: its size, its digest in the tooltip; a click opens it, unless its path would leave the model's folder. */
function modelFileItem(dir: string, modelId: string, file: ModelFile): vscode.TreeItem {
  const item = new vscode.TreeItem(file.path, vscode.TreeItemCollapsibleState.None);
  item.description = formatSize(file.size);
  item.tooltip = `${file.path}\nsha256 ${file.sha256}`;
  const parts = file.path.split(/[\\/]/);
  if (file.path.startsWith('/') || parts.some((p) => p === '..' || p === '' || p === '.')) return item;
  item.iconPath = new vscode.ThemeIcon('file');
  item.resourceUri = vscode.Uri.file(join(dir, MODELS_DIR, modelId, 'artifacts', ...parts));
  item.command = { command: 'vscode.open', title: 'Open File', arguments: [item.resourceUri] };
  return item;
}
