import * as vscode from 'vscode';
import { inlineValueText } from '../insights/insightText';
import type { LatestMetric } from '../store/insightQueries';
import { KeyedDebounce } from '../util/debounce';
import type { InsightStores, ParsedDocuments } from './insightSources';
import { ask, insightSettings, isPythonFile } from './insightSources';

/** What one line of a document shows after its text. */
export interface InlineValue {
  /** 0-based line: the last line of the metric-logging call. */
  readonly line: number;
  readonly text: string;
}

/** Edits settle this long before the values are looked up again. */
const EDIT_DELAY_MS = 400;
/** A store that did not answer is asked again after this long, a few times, so no change is missed. */
const RETRY_MS = 1_000;
const RETRIES = 3;

/**
 * Inline values: at the end of each metric-logging line of the visible Python editors, a faded
 * ` val_loss 0.213 · bright-owl` with the metric's value in the latest run (like an inlay hint).
 * Updated when the runs change, when editors or their text change, and on `runlog.inlineValues`.
 */
export class InlineValues implements vscode.Disposable {
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    after: {
      color: new vscode.ThemeColor('editorInlayHint.foreground'),
      fontStyle: 'italic',
      margin: '0 0 0 2em',
    },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  /** What each document shows now, by URI: what `shown()` reports. */
  private readonly current = new Map<string, readonly InlineValue[]>();
  /** Per document, the number of the latest update; an older one that finishes late is dropped. */
  private readonly generation = new Map<string, number>();
  private readonly pending = new KeyedDebounce();
  /** Per document, how many times in a row the store did not answer. */
  private readonly failures = new Map<string, number>();
  private readonly updated = new vscode.EventEmitter<vscode.Uri>();
  /** Fires after a document's inline values were set (or cleared). */
  readonly onDidUpdate = this.updated.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly stores: InsightStores,
    private readonly documents: ParsedDocuments,
  ) {
    this.subscriptions = [
      this.decoration,
      this.updated,
      vscode.window.onDidChangeVisibleTextEditors(() => this.refreshAll()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0 && isPythonFile(e.document)) this.schedule(e.document, EDIT_DELAY_MS);
      }),
      vscode.workspace.onDidCloseTextDocument((document) => this.forget(document.uri)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('runlog.inlineValues') || e.affectsConfiguration('runlog.storeDir')) {
          this.refreshAll();
        }
      }),
      stores.onDidChangeRuns(() => this.refreshAll()),
    ];
    this.refreshAll();
  }

  /** The values a document shows (empty when none, or when `runlog.inlineValues` is off). */
  shown(uri: vscode.Uri): readonly InlineValue[] {
    return this.current.get(uri.toString()) ?? [];
  }

  refreshAll(): void {
    const seen = new Set<string>();
    for (const editor of vscode.window.visibleTextEditors) {
      const key = editor.document.uri.toString();
      if (seen.has(key) || !isPythonFile(editor.document)) continue;
      seen.add(key);
      this.schedule(editor.document, 0);
    }
  }

  private schedule(document: vscode.TextDocument, delay: number): void {
    this.pending.schedule(document.uri.toString(), delay, () => void this.update(document));
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    this.pending.cancel(key);
    this.current.delete(key);
    this.generation.delete(key);
    this.failures.delete(key);
  }

  private async update(document: vscode.TextDocument): Promise<void> {
    const key = document.uri.toString();
    const generation = (this.generation.get(key) ?? 0) + 1;
    this.generation.set(key, generation);
    const values = await this.compute(document);
    if (this.generation.get(key) !== generation || document.isClosed) return;
    if (values === 'no answer') {
      // Nothing else may come to refresh this document (a run's last change): ask again shortly.
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      if (failures <= RETRIES) this.schedule(document, RETRY_MS);
      return;
    }
    this.failures.delete(key);
    if (!values) return;
    this.current.set(key, values);
    const ranges = values.map((value) => {
      const end = document.lineAt(Math.min(value.line, document.lineCount - 1)).range.end;
      return {
        range: new vscode.Range(end, end),
        renderOptions: { after: { contentText: value.text } },
      } satisfies vscode.DecorationOptions;
    });
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document === document) editor.setDecorations(this.decoration, ranges);
    }
    this.updated.fire(document.uri);
  }

  /** The values to show; undefined to leave what is shown (the text moved on), or 'no answer' from the store. */
  private async compute(document: vscode.TextDocument): Promise<InlineValue[] | undefined | 'no answer'> {
    if (!insightSettings(document.uri).inlineValues) return [];
    const calls = this.documents.calls(document).filter((call) => call.keys.length > 0);
    const store = this.stores.storeFor(document.uri);
    if (calls.length === 0 || !store) return [];
    const version = document.version;
    const keys = [...new Set(calls.flatMap((call) => call.keys.map((k) => k.key)))];
    const latest = await ask(() => store.call('latestMetrics', { script: document.uri.fsPath, keys }));
    if (!latest) return 'no answer';
    // The document changed meanwhile: its lines moved, and the next update is already scheduled.
    if (document.version !== version) return undefined;
    const byKey = new Map(latest.map((value) => [value.key, value]));
    const byLine = new Map<number, LatestMetric[]>();
    for (const call of calls) {
      const line = call.range.endLine;
      const list = byLine.get(line) ?? [];
      for (const { key } of call.keys) {
        const value = byKey.get(key);
        if (value && !list.includes(value)) list.push(value);
      }
      byLine.set(line, list);
    }
    const values: InlineValue[] = [];
    for (const [line, list] of byLine) {
      const text = inlineValueText(list);
      if (text) values.push({ line, text });
    }
    return values.sort((a, b) => a.line - b.line);
  }

  dispose(): void {
    this.pending.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
  }
}
