import * as vscode from 'vscode';
import { HOVER_COMMANDS, paramHoverMarkdown } from '../insights/insightText';
import { mlprojectParamAt, mlprojectParamMarkdown } from '../insights/mlprojectHoverText';
import { parseMLproject } from '../params/mlproject';
import type { InsightStores } from './insightSources';
import { ask, insightSettings, scriptName } from './insightSources';
import { isMLprojectDocument, toRange } from './mlprojectDiagnostics';

const RECENT_RUNS = 10;

/**
 * The hover over a parameter name in an MLproject file: its type and default, and the values it
 * took in the project's recent runs (runs launched from an entry point record the MLproject file as
 * their source) next to the key metric each reached.
 */
export class MLprojectHoverProvider implements vscode.HoverProvider {
  constructor(private readonly stores: Pick<InsightStores, 'storeFor'>) {}

  async provideHover(
    document: vscode.TextDocument,
    position: vscode.Position,
    token: vscode.CancellationToken,
  ): Promise<vscode.Hover | undefined> {
    if (!isMLprojectDocument(document)) return undefined;
    const param = mlprojectParamAt(parseMLproject(document.getText()), position.line, position.character);
    if (!param) return undefined;
    const parts = [mlprojectParamMarkdown(param)];
    const store = this.stores.storeFor(document.uri);
    const settings = insightSettings(document.uri);
    // No store or no answer: the type and default are still worth showing.
    const history =
      store &&
      (await ask(() =>
        store.call('paramHistory', {
          script: document.uri.fsPath,
          param: param.spec.name,
          goals: settings.goals,
          limit: RECENT_RUNS,
          ...(settings.keyMetric ? { keyMetric: settings.keyMetric } : {}),
        }),
      ));
    if (token.isCancellationRequested) return undefined;
    const runs =
      history && paramHoverMarkdown(history, { label: param.spec.name, scriptName: scriptName(document.uri) });
    if (runs) parts.push(runs);
    const markdown = new vscode.MarkdownString(parts.join('\n\n'));
    // Only Runlog's run commands may be run from these links; the text in them is escaped.
    markdown.isTrusted = { enabledCommands: [...HOVER_COMMANDS] };
    markdown.supportHtml = false;
    return new vscode.Hover(markdown, toRange(param.spec.location));
  }
}
