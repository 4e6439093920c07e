import * as vscode from 'vscode';
import type { RenderReport } from '../../shared/compareProtocol';
import { isComparePanelState } from '../../shared/compareProtocol';
import type { CompareContext } from './comparePanel';
import { COMPARE_VIEW_TYPE, ComparePanel } from './comparePanel';
import { webviewOptions } from './webviewHtml';

/**
 * Every open Compare panel. `Compare Runs` reuses the panel used last (like the Markdown preview);
 * panels restored after a reload come back through the serializer with the runs they showed.
 */
export class ComparePanels implements vscode.WebviewPanelSerializer, vscode.Disposable {
  private readonly panels = new Set<ComparePanel>();
  private last: ComparePanel | undefined;
  private lastReport: RenderReport | undefined;

  constructor(private readonly context: Omit<CompareContext, 'rendered'>) {}

  /** Shows these runs in the last-used panel, or a new one. */
  open(runIds: readonly string[]): ComparePanel {
    if (this.last) {
      this.last.show(runIds);
      return this.last;
    }
    const panel = vscode.window.createWebviewPanel(
      COMPARE_VIEW_TYPE,
      'Compare Runs',
      vscode.ViewColumn.Active,
      webviewOptions(this.context.extensionUri),
    );
    return this.adopt(panel, runIds);
  }

  deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    this.adopt(panel, isComparePanelState(state) ? state.runIds : []);
    return Promise.resolve();
  }

  /** A store says these runs changed. */
  storeChanged(runIds: readonly string[]): void {
    for (const panel of this.panels) panel.changed(runIds);
  }

  /** The metric goals setting changed: best marks and colors may move. */
  refreshAll(): void {
    for (const panel of this.panels) void panel.refresh();
  }

  /** The panel `Compare Runs` would reuse. */
  get current(): ComparePanel | undefined {
    return this.last;
  }

  /** What a webview last reported drawing (the integration tests read it). */
  get lastRendered(): RenderReport | undefined {
    return this.lastReport;
  }

  dispose(): void {
    for (const panel of [...this.panels]) panel.panel.dispose();
  }

  private adopt(webviewPanel: vscode.WebviewPanel, runIds: readonly string[]): ComparePanel {
    const panel = new ComparePanel(
      webviewPanel,
      runIds,
      {
        ...this.context,
        rendered: (report) => {
          this.lastReport = report;
        },
      },
      () => {
        this.panels.delete(panel);
        if (this.last === panel) this.last = [...this.panels].pop();
      },
    );
    webviewPanel.onDidChangeViewState(({ webviewPanel: changed }) => {
      if (changed.active) this.last = panel;
    });
    this.panels.add(panel);
    this.last = panel;
    return panel;
  }
}
