import * as vscode from 'vscode';
import {
  HOVER_COMMANDS,
  escapeMarkdown,
  imageHoverMarkdown,
  metricHoverMarkdown,
  paramHoverMarkdown,
} from '../insights/insightText';
import { imageKeyAt, metricKeyAt } from '../insights/metricCalls';
import { sparklineSvg, svgDataUri } from '../insights/sparkline';
import type { ParamSpec } from '../params/paramSpec';
import type { InsightStores, ParsedDocuments } from './insightSources';
import { ask, insightSettings, isPythonFile, scriptName } from './insightSources';

/** Buckets in a hover's sparkline: about one per 2.5 pixels of its width. */
const SPARK_BUCKETS = 64;
const RECENT_RUNS = 10;

const toRange = (r: { line: number; column: number; endLine: number; endColumn: number }): vscode.Range =>
  new vscode.Range(r.line, r.column, r.endLine, r.endColumn);

function trusted(markdown: string): vscode.MarkdownString {
  const md = new vscode.MarkdownString(markdown);
  // Only Runlog's run commands may be run from these links; the text in them is escaped.
  md.isTrusted = { enabledCommands: [...HOVER_COMMANDS] };
  md.supportHtml = false;
  return md;
}

/** How a parameter is written on the command line: its longest flag (`--lr`), else its name. */
function paramLabel(spec: ParamSpec): string {
  return spec.flags.reduce((a, b) => (b.length > a.length ? b : a), '') || spec.name;
}

/**
 * Hovers in Python files: over the key of a metric-logging call, the metric's latest value, best
 * across runs and a sparkline of the latest run; over the key of a `log_image` call, the runs that
 * logged images under it and a link to the Media panel; over a parameter's declaration, the values
 * it took in recent runs next to the key metric each reached.
 */
export class MetricHoverProvider implements vscode.HoverProvider {
  constructor(
    private readonly stores: InsightStores,
    private readonly documents: ParsedDocuments,
  ) {}

  async provideHover(
    document: vscode.TextDocument,
    position: vscode.Position,
    token: vscode.CancellationToken,
  ): Promise<vscode.Hover | undefined> {
    if (!isPythonFile(document)) return undefined;
    const at = metricKeyAt(this.documents.calls(document), position.line, position.character);
    if (at) return this.metricHover(document, at.key.key, toRange(at.key.range), token);
    const image = imageKeyAt(this.documents.images(document), position.line, position.character);
    if (image) return this.imageHover(document, image.key, toRange(image.range), token);
    const spec = this.documents.params(document).find((s) => toRange(s.location).contains(position));
    return spec ? this.paramHover(document, spec, token) : undefined;
  }

  private async metricHover(
    document: vscode.TextDocument,
    key: string,
    range: vscode.Range,
    token: vscode.CancellationToken,
  ): Promise<vscode.Hover | undefined> {
    const store = this.stores.storeFor(document.uri);
    if (!store) return undefined;
    const settings = insightSettings(document.uri);
    const insights = await ask(() =>
      store.call('metricInsights', {
        script: document.uri.fsPath,
        keys: [key],
        goals: settings.goals,
        recent: RECENT_RUNS,
      }),
    );
    // No answer (the store could not be opened): say nothing rather than "no run logged it".
    if (!insights || token.isCancellationRequested) return undefined;
    const [insight] = insights;
    if (!insight) return new vscode.Hover(trusted(`**${escapeMarkdown(key)}** · no run logged it yet`), range);
    const latest = insight.recent[0];
    let sparkline: string | undefined;
    if (latest) {
      const buckets = await ask(() => store.call('buckets', latest.runId, key, SPARK_BUCKETS));
      const svg = buckets && sparklineSvg(buckets);
      if (svg) sparkline = svgDataUri(svg);
    }
    if (token.isCancellationRequested) return undefined;
    const markdown = metricHoverMarkdown(insight, {
      scriptName: scriptName(document.uri),
      now: Date.now(),
      ...(sparkline ? { sparkline } : {}),
    });
    return new vscode.Hover(trusted(markdown), range);
  }

  private async imageHover(
    document: vscode.TextDocument,
    key: string,
    range: vscode.Range,
    token: vscode.CancellationToken,
  ): Promise<vscode.Hover | undefined> {
    const store = this.stores.storeFor(document.uri);
    if (!store) return undefined;
    const insight = await ask(() =>
      store.call('imageInsight', { script: document.uri.fsPath, key, recent: RECENT_RUNS }),
    );
    if (!insight || token.isCancellationRequested) return undefined;
    const markdown = imageHoverMarkdown(insight, { scriptName: scriptName(document.uri), now: Date.now() });
    return new vscode.Hover(trusted(markdown), range);
  }

  private async paramHover(
    document: vscode.TextDocument,
    spec: ParamSpec,
    token: vscode.CancellationToken,
  ): Promise<vscode.Hover | undefined> {
    const store = this.stores.storeFor(document.uri);
    if (!store) return undefined;
    const settings = insightSettings(document.uri);
    const history = await ask(() =>
      store.call('paramHistory', {
        script: document.uri.fsPath,
        param: spec.name,
        goals: settings.goals,
        limit: RECENT_RUNS,
        ...(settings.keyMetric ? { keyMetric: settings.keyMetric } : {}),
      }),
    );
    if (!history || token.isCancellationRequested) return undefined;
    const markdown = paramHoverMarkdown(history, { label: paramLabel(spec), scriptName: scriptName(document.uri) });
    return markdown ? new vscode.Hover(trusted(markdown), toRange(spec.location)) : undefined;
  }
}
