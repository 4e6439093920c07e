import * as vscode from 'vscode';
import type { Launcher } from '../commands/launcher';
import { KeyedDebounce } from '../util/debounce';
import { throttled } from '../util/throttle';
import type { WorkspaceStores } from '../workspaceStores';
import { CodeInsights } from './codeInsights';
import type { InlineValues } from './inlineValues';
import { MLprojectCodeLensProvider } from './mlprojectCodeLens';
import { MLPROJECT_FILES, MLprojectDiagnostics } from './mlprojectDiagnostics';
import { MLprojectHoverProvider } from './mlprojectHover';
import { TrainingCodeLensProvider } from './trainingCodeLens';

/** How often hovers, inline values and the summary lens follow a running run, at most. */
const EDITORS_REFRESH_MS = 400;
/**
 * Once the runs fall quiet for this long, the editors refresh once more. A run's last change is
 * what the lens and hovers must show when it ends, and the integration suite saw the lens keep the
 * value from just before it now and then (on a loaded machine, cause not found yet): this refresh
 * bounds how long any missed one can last.
 */
const EDITORS_SETTLE_MS = 1_000;

/**
 * What Runlog adds to editors: in Python files the metric hovers, inline values and code lenses
 * (▶ Run, the runs' summary); in MLproject files diagnostics, entry-point lenses and parameter
 * hovers. They follow the runs live, throttled like the views (see runlogViews.ts): VS Code
 * debounces a code lens provider's changes by at least 250 ms.
 */
export class RunlogEditors implements vscode.Disposable {
  /** The inline values shown after metric-logging lines, and when they update. */
  readonly inlineValues: InlineValues;
  /** When the lenses above training scripts tell VS Code they changed. */
  readonly onDidChangeScriptLenses: vscode.Event<void>;
  private readonly subscriptions: vscode.Disposable[];

  constructor(stores: WorkspaceStores, launcher: Launcher) {
    const runsChanged = new vscode.EventEmitter<void>();
    const notify = throttled(() => runsChanged.fire(), EDITORS_REFRESH_MS);
    const settle = new KeyedDebounce();
    const insights = new CodeInsights({ storeFor: stores.storeFor, onDidChangeRuns: runsChanged.event });
    this.inlineValues = insights.inlineValues;
    const lenses = new TrainingCodeLensProvider((script) => launcher.lastLaunch(script)?.values, insights.summaryLens);
    this.onDidChangeScriptLenses = lenses.onDidChangeCodeLenses;
    const mlprojectLenses = new MLprojectCodeLensProvider((mlproject, name) =>
      launcher.lastEntryPointLaunch(mlproject, name),
    );
    this.subscriptions = [
      notify,
      settle,
      runsChanged,
      insights,
      lenses,
      mlprojectLenses,
      stores.onDidChangeRuns(() => {
        notify();
        settle.schedule('runs', EDITORS_SETTLE_MS, () => runsChanged.fire());
      }),
      stores.onDidChangeFolders(() => runsChanged.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('runlog.keyMetric') || e.affectsConfiguration('runlog.metricGoals')) {
          runsChanged.fire();
        }
      }),
      runsChanged.event(() =>
        lenses.runsChanged(new Set(vscode.window.visibleTextEditors.map((editor) => editor.document.uri.toString()))),
      ),
      launcher.onDidChangeLast(() => {
        lenses.refresh();
        mlprojectLenses.refresh();
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => mlprojectLenses.refresh()),
      vscode.languages.registerCodeLensProvider({ language: 'python', scheme: 'file' }, lenses),
      new MLprojectDiagnostics(),
      vscode.languages.registerCodeLensProvider(MLPROJECT_FILES, mlprojectLenses),
      vscode.languages.registerHoverProvider(
        MLPROJECT_FILES,
        new MLprojectHoverProvider({ storeFor: stores.storeFor }),
      ),
    ];
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
