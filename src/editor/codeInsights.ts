import * as vscode from 'vscode';
import { summaryLens } from '../insights/insightText';
import type { InsightStores } from './insightSources';
import { ParsedDocuments, insightSettings } from './insightSources';
import { InlineValues } from './inlineValues';
import { MetricHoverProvider } from './metricHover';
import type { ScriptSummaryLens } from './trainingCodeLens';

/**
 * Metrics inside the code: hovers on metric keys and parameter declarations, inline values after
 * metric-logging lines, and the summary lens's content (the lens itself is TrainingCodeLensProvider's).
 */
export class CodeInsights implements vscode.Disposable {
  readonly inlineValues: InlineValues;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly stores: InsightStores) {
    const documents = new ParsedDocuments();
    this.inlineValues = new InlineValues(stores, documents);
    this.subscriptions = [
      this.inlineValues,
      vscode.languages.registerHoverProvider(
        { language: 'python', scheme: 'file' },
        new MetricHoverProvider(stores, documents),
      ),
    ];
  }

  /** The summary lens of a script: how many runs, the best of the key metric, what a click opens. */
  readonly summaryLens: ScriptSummaryLens = async (script) => {
    const store = this.stores.storeFor(script);
    if (!store) return undefined;
    const settings = insightSettings(script);
    const summary = await store.call('scriptSummary', {
      script: script.fsPath,
      goals: settings.goals,
      ...(settings.keyMetric ? { keyMetric: settings.keyMetric } : {}),
    });
    return summaryLens(summary);
  };

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
