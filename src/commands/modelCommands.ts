import * as vscode from 'vscode';
import type { RunlogCommands, VersionTarget } from '../app/commands';
import type { PythonClient } from '../registry/registryCli';
import { ModelServer, RegistryError, aliasProblem, runRegistry, versionUri } from '../registry/registryCli';
import { modelSummaryMarkdown } from '../runs/modelSummary';
import type { StoreClient } from '../store/storeClient';
import type { LoggedModelRecord } from '../store/types';
import type { ModelsTreeNode } from '../views/modelsTreeProvider';
import type { StoreFolder } from '../workspaceStores';
import type { Launcher } from './launcher';
import type { RunsTarget } from './runTargets';
import { isRunIdsArg } from './runTargets';

type VersionNode = Extract<ModelsTreeNode, { kind: 'version' }>;

/** A version a command acts on: a Models view item, or `{ name, version }` from code and tests. */
interface VersionRef {
  readonly store: StoreClient;
  readonly name: string;
  readonly version: number;
  readonly aliases: readonly string[];
  readonly runIds: readonly string[];
}

/**
 * The Models view's commands. Registry changes go through the Python client's command line (see
 * registryCli.ts); Serve Model runs `python -m runlog.serve` in a terminal the user can stop.
 */
export class ModelCommands implements vscode.Disposable {
  private readonly servers = new Set<ModelServer>();

  constructor(
    private readonly launcher: Launcher,
    private readonly extensionUri: vscode.Uri,
    private readonly folders: () => readonly StoreFolder[],
    private readonly refresh: () => void,
  ) {}

  private async client(): Promise<PythonClient | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(
        'Runlog changes the model registry and serves models with Python: trust this workspace first.',
      );
      return undefined;
    }
    const folder = vscode.workspace.workspaceFolders?.[0];
    return {
      python: folder ? await this.launcher.interpreter(folder) : 'python3',
      clientPath: vscode.Uri.joinPath(this.extensionUri, 'python').fsPath,
    };
  }

  private async storeDir(store: StoreClient): Promise<string> {
    return (await store.call('status')).dir;
  }

  /** A Models view item, or `{ name, version }` looked up in the stores. */
  private async versionOf(target: VersionTarget | undefined): Promise<VersionRef | undefined> {
    const node = target as VersionNode | undefined;
    if (node?.kind === 'version') {
      return {
        store: node.store,
        name: node.model,
        version: node.version.version,
        aliases: node.version.aliases,
        runIds: node.version.runId ? [node.version.runId] : [],
      };
    }
    const asked = target as { name?: unknown; version?: unknown } | undefined;
    if (typeof asked?.name !== 'string' || typeof asked.version !== 'number') return undefined;
    for (const { store } of this.folders()) {
      const model = (await store.call('registeredModels')).find((m) => m.name === asked.name);
      const version = model?.versions.find((v) => v.version === asked.version);
      if (version) {
        return {
          store,
          name: asked.name,
          version: version.version,
          aliases: version.aliases,
          runIds: version.runId ? [version.runId] : [],
        };
      }
    }
    return undefined;
  }

  private async registry(store: StoreClient, args: readonly string[]): Promise<unknown> {
    const client = await this.client();
    if (!client) return undefined;
    try {
      const answer = await runRegistry(client, await this.storeDir(store), args);
      await store.call('sync');
      this.refresh();
      return answer;
    } catch (error) {
      const why = error instanceof RegistryError ? error.message : String(error);
      void vscode.window.showErrorMessage(`Runlog: the registry refused: ${why}`);
      return undefined;
    }
  }

  /**
   * `Register Model…` on a run (or `{ runId, model?, name? }`, or `{ runIds }` from the palette):
   * the run's logged model as a new version.
   */
  async register(
    target: RunsTarget | { runId: string; model?: string; name?: string } | undefined,
  ): Promise<number | undefined> {
    const given = target as { runId?: unknown; model?: unknown; name?: unknown; store?: unknown } | undefined;
    const node = target as { kind?: string; store?: StoreClient; run?: { id: string } } | undefined;
    const runId =
      node?.kind === 'run'
        ? node.run?.id
        : typeof given?.runId === 'string'
          ? given.runId
          : isRunIdsArg(target)
            ? target.runIds[0]
            : undefined;
    if (!runId) return undefined;
    let store = node?.kind === 'run' ? node.store : undefined;
    let details = store ? await store.call('getRun', runId) : undefined;
    for (const folder of store ? [] : this.folders()) {
      details = await folder.store.call('getRun', runId);
      if (details) {
        store = folder.store;
        break;
      }
    }
    if (!store || !details) return undefined;
    if (details.models.length === 0) {
      void vscode.window.showInformationMessage(
        `Runlog: ${details.name} logged no model (runlog.log_model), so there is nothing to register.`,
      );
      return undefined;
    }
    let model = typeof given?.model === 'string' ? given.model : undefined;
    if (!model) {
      model =
        details.models.length === 1
          ? details.models[0]?.name
          : await vscode.window.showQuickPick(
              details.models.map((m) => m.name),
              { title: `Runlog: which model of ${details.name}?` },
            );
    }
    if (!model) return undefined;
    const existing = (await store.call('registeredModels')).map((m) => m.name);
    const name =
      typeof given?.name === 'string'
        ? given.name
        : await vscode.window.showInputBox({
            title: `Runlog: register ${details.name}'s ${model}`,
            prompt: `A registered model's name (existing: ${existing.join(', ') || 'none yet'})`,
            value: existing[0] ?? model,
            validateInput: (value) => (value.trim() === '' ? 'a name is required' : undefined),
          });
    if (!name) return undefined;
    const answer = (await this.registry(store, ['register', `runs:/${runId}/${model}`, name.trim()])) as
      { version?: number } | undefined;
    if (typeof answer?.version === 'number') {
      void vscode.window.showInformationMessage(`Runlog: registered ${name.trim()} version ${answer.version}.`);
    }
    return answer?.version;
  }

  /**
   * `Register Logged Model…` on an MLflow 3 logged model of the Models view (or `{ modelId, name? }`,
   * or from the palette, which asks which of the unregistered ones): a new version of a name.
   */
  async registerLogged(
    target: ModelsTreeNode | { modelId: string; name?: string } | undefined,
  ): Promise<number | undefined> {
    const node = target as ModelsTreeNode | undefined;
    const given = target as { modelId?: unknown; name?: unknown } | undefined;
    let found: { store: StoreClient; model: LoggedModelRecord } | undefined =
      node && 'kind' in node && node.kind === 'loggedModel' ? { store: node.store, model: node.model } : undefined;
    if (!found) {
      const all = (
        await Promise.all(
          this.folders().map(async ({ store }) =>
            (await store.call('loggedModels')).map((model) => ({ store, model })),
          ),
        )
      ).flat();
      if (typeof given?.modelId === 'string') {
        found = all.find((m) => m.model.id === given.modelId);
      } else {
        const unregistered = all.filter((m) => m.model.registrations.length === 0);
        if (unregistered.length === 0) {
          void vscode.window.showInformationMessage('Runlog: every logged model is registered already.');
          return undefined;
        }
        const picked = await vscode.window.showQuickPick(
          unregistered.map((m) => ({ label: m.model.name, description: m.model.id, found: m })),
          { title: 'Runlog: the logged model to register' },
        );
        found = picked?.found;
      }
    }
    if (!found) return undefined;
    const { store, model } = found;
    const existing = (await store.call('registeredModels')).map((m) => m.name);
    const name =
      typeof given?.name === 'string'
        ? given.name
        : await vscode.window.showInputBox({
            title: `Runlog: register logged model ${model.name}`,
            prompt: `A registered model's name (existing: ${existing.join(', ') || 'none yet'})`,
            value: existing[0] ?? model.name,
            validateInput: (value) => (value.trim() === '' ? 'a name is required' : undefined),
          });
    if (!name) return undefined;
    const answer = (await this.registry(store, ['register', `models:/${model.id}`, name.trim()])) as
      { version?: number } | undefined;
    if (typeof answer?.version === 'number') {
      void vscode.window.showInformationMessage(`Runlog: registered ${name.trim()} version ${answer.version}.`);
    }
    return answer?.version;
  }

  async setAlias(target: VersionTarget | undefined, alias?: unknown): Promise<boolean> {
    const version = await this.versionOf(target);
    if (!version) return false;
    const chosen =
      typeof alias === 'string'
        ? alias
        : await vscode.window.showInputBox({
            title: `Runlog: an alias for ${version.name} v${version.version}`,
            prompt: 'It moves here from the version that holds it, e.g. champion, production',
            value: 'champion',
            validateInput: (value) => aliasProblem(value.trim()),
          });
    if (!chosen) return false;
    const problem = aliasProblem(chosen.trim());
    if (problem) {
      void vscode.window.showErrorMessage(`Runlog: ${problem}`);
      return false;
    }
    return (
      (await this.registry(version.store, ['set-alias', version.name, chosen.trim(), String(version.version)])) !==
      undefined
    );
  }

  async removeAlias(target: VersionTarget | undefined, alias?: unknown): Promise<boolean> {
    const version = await this.versionOf(target);
    if (!version || version.aliases.length === 0) return false;
    const chosen =
      typeof alias === 'string'
        ? alias
        : version.aliases.length === 1
          ? version.aliases[0]
          : await vscode.window.showQuickPick([...version.aliases], { title: 'Runlog: remove which alias?' });
    if (!chosen) return false;
    return (await this.registry(version.store, ['delete-alias', version.name, chosen])) !== undefined;
  }

  async deleteVersion(target: VersionTarget | undefined, options: { confirm?: boolean } = {}): Promise<boolean> {
    const version = await this.versionOf(target);
    if (!version) return false;
    if (options.confirm !== false) {
      const remove = 'Delete Version';
      const aliases = version.aliases.length > 0 ? ` and its aliases (${version.aliases.join(', ')})` : '';
      const choice = await vscode.window.showWarningMessage(
        `Delete ${version.name} version ${version.version}${aliases}? Its number is never reused; the run and its model files stay.`,
        { modal: true },
        remove,
      );
      if (choice !== remove) return false;
    }
    return (
      (await this.registry(version.store, ['delete-version', version.name, String(version.version)])) !== undefined
    );
  }

  async copyUri(target: VersionTarget | undefined): Promise<string | undefined> {
    const version = await this.versionOf(target);
    if (!version) return undefined;
    const uri = version.aliases[0]
      ? `models:/${version.name}@${version.aliases[0]}`
      : versionUri(version.name, version.version);
    await vscode.env.clipboard.writeText(uri);
    return uri;
  }

  /** A run's logged model as a readable page (from the Runs view's Models section). */
  async showSummary(target: { runId: string; model: string } | undefined): Promise<vscode.TextDocument | undefined> {
    const given = target as { runId?: unknown; model?: unknown } | undefined;
    if (typeof given?.runId !== 'string' || typeof given.model !== 'string') return undefined;
    for (const { store } of this.folders()) {
      const run = await store.call('getRun', given.runId);
      const model = run?.models.find((m) => m.name === given.model);
      if (!run || !model) continue;
      const registered = (await store.call('registeredModels')).flatMap((r) =>
        r.versions
          .filter((v) => v.runId === run.id && (v.source === model.name || v.source?.endsWith(`/${model.name}`)))
          .map((v) => ({ name: r.name, version: v.version, aliases: v.aliases })),
      );
      const document = await vscode.workspace.openTextDocument({
        language: 'markdown',
        content: modelSummaryMarkdown(run, model, registered),
      });
      await vscode.window.showTextDocument(document, { preview: true });
      return document;
    }
    return undefined;
  }

  /** `Compare Versions`: the Compare panel on the runs the selected versions came from. */
  async compareVersions(
    first: VersionTarget | undefined,
    selected: readonly VersionTarget[] | undefined,
  ): Promise<unknown> {
    // A menu passes the selection second; anything else there is no selection.
    const targets: readonly (VersionTarget | undefined)[] =
      Array.isArray(selected) && selected.length > 0 ? selected : [first];
    const runIds = (await Promise.all(targets.map((t) => this.versionOf(t)))).flatMap((v) => v?.runIds ?? []);
    if (runIds.length === 0) return undefined;
    return vscode.commands.executeCommand('runlog.compareRuns', { runIds });
  }

  /**
   * `Serve Model`: a local scoring server (127.0.0.1, a free port) in a terminal; closing the
   * terminal or Ctrl+C stops it. Resolves with its URL once it listens.
   */
  async serve(target: VersionTarget | undefined): Promise<string | undefined> {
    const version = await this.versionOf(target);
    const client = version ? await this.client() : undefined;
    if (!version || !client) return undefined;
    const uri = versionUri(version.name, version.version);
    const write = new vscode.EventEmitter<string>();
    const close = new vscode.EventEmitter<number>();
    const server = new ModelServer(client, await this.storeDir(version.store), uri, (text) =>
      write.fire(text.replace(/\r?\n/g, '\r\n')),
    );
    this.servers.add(server);
    void server.exited.then((code) => {
      this.servers.delete(server);
      write.fire(`\r\nRunlog: the server stopped (exit code ${String(code)}).\r\n`);
      close.fire(code ?? 0);
    });
    const terminal = vscode.window.createTerminal({
      name: `Serve ${version.name} v${version.version}`,
      pty: {
        onDidWrite: write.event,
        onDidClose: close.event,
        open: () => write.fire(`Runlog: serving ${uri} (POST /invocations, GET /ping)\r\n\r\n`),
        close: () => server.stop(),
        handleInput: (data: string) => {
          if (data === '\x03') server.stop();
        },
      },
    });
    terminal.show(true);
    try {
      const url = await server.url;
      const copy = 'Copy URL';
      void vscode.window
        .showInformationMessage(`Runlog: ${version.name} v${version.version} is served at ${url}/invocations`, copy)
        .then((choice) => (choice === copy ? vscode.env.clipboard.writeText(`${url}/invocations`) : undefined));
      return url;
    } catch (error) {
      void vscode.window.showErrorMessage(
        `Runlog could not serve ${uri}: ${error instanceof Error ? error.message : String(error)}`,
      );
      return undefined;
    }
  }

  /** The Models view's commands, and Register Model… on a run. */
  commands(): Pick<
    RunlogCommands,
    | 'runlog.registerModel'
    | 'runlog.registerLoggedModel'
    | 'runlog.setModelAlias'
    | 'runlog.removeModelAlias'
    | 'runlog.deleteModelVersion'
    | 'runlog.copyModelUri'
    | 'runlog.compareModelVersions'
    | 'runlog.serveModel'
    | 'runlog.showModelSummary'
  > {
    return {
      'runlog.registerModel': (target) => this.register(target),
      'runlog.registerLoggedModel': (target) => this.registerLogged(target),
      'runlog.setModelAlias': (target, alias) => this.setAlias(target, alias),
      'runlog.removeModelAlias': (target, alias) => this.removeAlias(target, alias),
      'runlog.deleteModelVersion': (target, _selected, options) => this.deleteVersion(target, options),
      'runlog.copyModelUri': (target) => this.copyUri(target),
      'runlog.compareModelVersions': (first, selected) => this.compareVersions(first, selected),
      'runlog.serveModel': (target) => this.serve(target),
      'runlog.showModelSummary': (target) => this.showSummary(target),
    };
  }

  dispose(): void {
    for (const server of this.servers) server.stop();
    this.servers.clear();
  }
}
