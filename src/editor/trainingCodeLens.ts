import * as vscode from 'vscode';
import type { SummaryLens } from '../insights/insightText';
import { isTrainingScript } from '../runs/trainingScripts';
import { throttled } from '../util/throttle';

const MAX_SUMMARY = 60;
/** How long the lenses wait for the run summary before showing without it (it follows when it comes). */
const SUMMARY_WAIT_MS = 1_000;
/**
 * How often, at most, the summary lens tells VS Code it changed while runs log. VS Code waits a
 * while after each change event before it asks for the lenses again (≥ 250 ms, longer when the
 * provider has been slow) and starts waiting over at every new event, so events closer together
 * than that keep the drawn lens where it was until the run falls quiet.
 */
const LENS_CHANGE_MS = 1_000;

/** What the summary lens shows: when this is the same, VS Code need not ask again. */
const lensText = (lens: SummaryLens | undefined): string => (lens ? `${lens.title}\n${lens.tooltip}` : '');

/** The summary lens of a script, from its runs in the store; undefined when it has none. */
export type ScriptSummaryLens = (script: vscode.Uri) => Promise<SummaryLens | undefined>;

/**
 * Code lenses above a Python training script: ▶ Run, ▶ Run with parameters…, ↻ Rerun last with the
 * values of the last launch, and once the script has runs, their summary
 * (`12 runs · best val_loss 0.213 (bright-owl)`), which opens them. Shown on files with a
 * `__main__` block or tracking calls.
 */
export class TrainingCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  /** Summaries asked for, by script URI; asked again when the runs change. */
  private readonly summaries = new Map<string, Promise<SummaryLens | undefined>>();
  /** The summary lens last given to VS Code, by script URI (`lensText`). */
  private readonly shown = new Map<string, string>();
  private readonly lensChanged = throttled(() => this.changed.fire(), LENS_CHANGE_MS);

  constructor(
    private readonly lastValues: (script: vscode.Uri) => Readonly<Record<string, string>> | undefined,
    private readonly summary?: ScriptSummaryLens,
  ) {}

  refresh(): void {
    this.changed.fire();
  }

  /**
   * The runs changed: the summaries of the scripts in view are asked for again now, and VS Code is
   * told only when one reads differently (then it asks, and gets the answer at once). Scripts out of
   * view are asked when they are shown again.
   */
  runsChanged(visible: ReadonlySet<string>): void {
    const scripts = [...this.summaries.keys()].filter((key) => visible.has(key));
    this.summaries.clear();
    for (const key of [...this.shown.keys()]) if (!visible.has(key)) this.shown.delete(key);
    if (!this.summary) return;
    for (const key of scripts) {
      const pending = this.summary(vscode.Uri.parse(key)).catch(() => undefined);
      this.summaries.set(key, pending);
      void pending.then((lens) => {
        if (this.summaries.get(key) === pending && lensText(lens) !== this.shown.get(key)) this.lensChanged();
      });
    }
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!isTrainingScript(document.getText())) return [];
    const range = new vscode.Range(0, 0, 0, 0);
    const lenses = [
      new vscode.CodeLens(range, {
        title: '▶ Run',
        command: 'runlog.runScript',
        arguments: [document.uri],
        tooltip: 'Run this script with its default parameters, tracked by Runlog',
      }),
      new vscode.CodeLens(range, {
        title: '▶ Run with parameters…',
        command: 'runlog.runWithParameters',
        arguments: [document.uri],
        tooltip: 'Choose parameter values (or sweeps) and launch',
      }),
    ];
    const last = this.lastValues(document.uri);
    if (last) {
      const summary = Object.entries(last)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ');
      lenses.push(
        new vscode.CodeLens(range, {
          title: `↻ Rerun last${summary ? ` (${summary.length > MAX_SUMMARY ? `${summary.slice(0, MAX_SUMMARY)}…` : summary})` : ''}`,
          command: 'runlog.rerunLast',
          arguments: [document.uri],
          tooltip: summary,
        }),
      );
    }
    const runs = await this.summaryOf(document.uri);
    this.shown.set(document.uri.toString(), lensText(runs));
    if (runs) {
      lenses.push(
        new vscode.CodeLens(range, {
          title: runs.title,
          command: runs.command,
          arguments: [runs.arg],
          tooltip: runs.tooltip,
        }),
      );
    }
    return lenses;
  }

  /**
   * The script's summary if it comes within SUMMARY_WAIT_MS (a store that is still opening must not
   * hold up ▶ Run); a later answer is kept and the lenses are asked for again.
   */
  private async summaryOf(script: vscode.Uri): Promise<SummaryLens | undefined> {
    if (!this.summary) return undefined;
    const key = script.toString();
    let pending = this.summaries.get(key);
    if (!pending) {
      pending = this.summary(script).catch(() => undefined);
      this.summaries.set(key, pending);
    }
    let timer: NodeJS.Timeout | undefined;
    const late = Symbol('late');
    const result = await Promise.race([
      pending,
      new Promise<typeof late>((resolve) => {
        timer = setTimeout(() => resolve(late), SUMMARY_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (result !== late) return result;
    const waited = pending;
    void waited.then(() => {
      if (this.summaries.get(key) === waited) this.changed.fire();
    });
    return undefined;
  }

  dispose(): void {
    this.lensChanged.dispose();
    this.changed.dispose();
  }
}
