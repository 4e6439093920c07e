/**
 * The words the editor shows inside a training script: the markdown of metric and parameter
 * hovers, the text after a metric-logging line, the title of the summary lens. Plain functions of
 * what the store answered, so they are unit-tested; the editor wraps them in its own types. Run
 * names and keys come from journals anyone can write, so they are escaped, and the only links are
 * command links to the run commands below (which the hover enables by name).
 */
import type { MetricGoal } from '../../shared/metricGoal';
import { bestIndex, bestValue } from '../../shared/metricGoal';
import { formatMetricValue, formatRelativeTime } from '../../shared/formatValue';
import type { LatestMetric, MetricInsight, ParamHistory, RunSeries, ScriptSummary } from '../store/insightQueries';
import type { ImageInsight } from '../store/mediaQueries';

export const OPEN_CHARTS = 'runlog.openCharts';
export const COMPARE_RUNS = 'runlog.compareRuns';
const OPEN_MEDIA = 'runlog.openMedia';
/** The commands a hover's links may run (`MarkdownString.isTrusted.enabledCommands`). */
export const HOVER_COMMANDS: readonly string[] = [OPEN_CHARTS, COMPARE_RUNS, OPEN_MEDIA];

/** What the run commands take from a link: `{ runIds, keys? }` (src/commands/runTargets.ts). */
export interface RunIdsArg {
  readonly runIds: readonly string[];
  readonly keys?: readonly string[];
}

const MAX_CHART_RUNS = 10;
const MAX_COMPARE_RUNS = 5;

/** Backslash-escapes what markdown would read as syntax or HTML; newlines become spaces. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[\\`*_{}[\]()#+\-.!|<>~&:"']/g, (c) => `\\${c}`);
}

/** Text as inline code: shown as written, so nothing is escaped but the backticks that would end it. */
function code(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/[\r\n]+/g, ' ')}\``;
}

/** Text shown outside markdown (a decoration, a lens title): one line, no control characters. */
function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/** A `command:` link target with its arguments, as VS Code parses them (a JSON array, URI-encoded). */
export function commandUri(command: string, arg: RunIdsArg): string {
  // encodeURIComponent leaves parentheses, which would end a markdown link early.
  const query = encodeURIComponent(JSON.stringify([arg])).replace(/[()]/g, (c) => (c === '(' ? '%28' : '%29'));
  return `command:${command}?${query}`;
}

function commandLink(title: string, command: string, arg: RunIdsArg, tooltip: string): string {
  return `[${escapeMarkdown(title)}](${commandUri(command, arg)} "${escapeMarkdown(tooltip)}")`;
}

const unique = (ids: readonly (string | undefined)[]): string[] => [
  ...new Set(ids.filter((id): id is string => id !== undefined)),
];

const goalWord = (goal: MetricGoal): string => (goal === 'min' ? 'lowest' : 'highest');

const runCount = (n: number): string => `${n} run${n === 1 ? '' : 's'}`;

function scopeText(scope: 'script' | 'store', scriptName: string): string {
  return scope === 'script' ? `of ${scriptName}` : 'in this workspace';
}

export interface MetricHoverContext {
  /** The script's name as the user knows it (relative to the workspace folder). */
  readonly scriptName: string;
  /** A `data:` URI of the latest run's sparkline, when there is one. */
  readonly sparkline?: string;
  readonly now: number;
}

/** The hover over a metric key: latest value, best across runs, how many runs, sparkline, links. */
export function metricHoverMarkdown(insight: MetricInsight, context: MetricHoverContext): string {
  const key = escapeMarkdown(insight.key);
  const script = code(context.scriptName);
  const latest = insight.recent[0];
  const lines: string[] = [];
  const loggedBy = `${runCount(insight.runCount)} ${scopeText(insight.scope, script)} logged it`;
  lines.push(`**${key}** · ${loggedBy}${insight.scope === 'store' ? ` (no run of ${script} did)` : ''}`);
  if (latest) {
    const running = latest.status === 'RUNNING' ? ', running' : '';
    lines.push(
      `latest **${escapeMarkdown(formatMetricValue(latest.last))}** in *${escapeMarkdown(latest.runName)}* ` +
        `(step ${latest.lastStep}, ${escapeMarkdown(formatRelativeTime(latest.startTime, context.now))}${running})`,
    );
  }
  if (context.sparkline && latest) {
    lines.push(`![${key} in ${escapeMarkdown(latest.runName)}](${context.sparkline})`);
  }
  const { best } = insight;
  lines.push(
    best
      ? `best **${escapeMarkdown(formatMetricValue(best.value))}** (${goalWord(insight.goal)}) in *${escapeMarkdown(best.runName)}*`
      : `best: no value that is a number yet`,
  );
  const recentIds = insight.recent.map((r) => r.runId);
  const links = [
    commandLink(
      'Open Charts',
      OPEN_CHARTS,
      { runIds: unique([...recentIds.slice(0, MAX_CHART_RUNS - 1), best?.runId]), keys: [insight.key] },
      `Chart ${insight.key} of the latest runs`,
    ),
  ];
  const compare = unique([latest?.runId, best?.runId, ...recentIds]).slice(0, MAX_COMPARE_RUNS);
  if (compare.length > 1) {
    links.push(commandLink('Compare', COMPARE_RUNS, { runIds: compare }, 'Compare the latest runs and the best one'));
  }
  lines.push(links.join(' · '));
  return lines.join('\n\n');
}

/** The hover over the key of a `log_image` call: the runs that logged images under it, and the Media panel. */
export function imageHoverMarkdown(insight: ImageInsight, context: Omit<MetricHoverContext, 'sparkline'>): string {
  const key = escapeMarkdown(insight.key);
  const script = code(context.scriptName);
  const [latest] = insight.runs;
  if (!latest) return `**${key}** · images · no run logged images under this key yet`;
  const which = insight.runs.length === 1 ? 'the latest run' : `the latest ${insight.runs.length} runs`;
  const elsewhere = insight.scope === 'store' ? ` (no run of ${script} did)` : '';
  const lines = [`**${key}** · images · ${which} ${scopeText(insight.scope, script)} that logged them${elsewhere}`];
  const table = ['| run | images | steps |', '| :--- | ---: | :--- |'];
  for (const run of insight.runs) {
    const running = run.status === 'RUNNING' ? ' (running)' : '';
    const steps = run.firstStep === run.lastStep ? `${run.firstStep}` : `${run.firstStep}–${run.lastStep}`;
    table.push(
      `| ${escapeMarkdown(run.runName)}${running} · ${escapeMarkdown(formatRelativeTime(run.startTime, context.now))} | ${run.images} | ${steps} |`,
    );
  }
  lines.push(table.join('\n'));
  const ids = insight.runs.map((r) => r.runId);
  const links = [
    commandLink(
      'Open Media',
      OPEN_MEDIA,
      { runIds: ids.slice(0, MAX_CHART_RUNS), keys: [insight.key] },
      `Scrub through ${insight.key} in these runs`,
    ),
  ];
  if (ids.length > 1) {
    links.push(
      commandLink(
        'Latest run only',
        OPEN_MEDIA,
        { runIds: [latest.runId], keys: [insight.key] },
        `${insight.key} in ${latest.runName}`,
      ),
    );
  }
  lines.push(links.join(' · '));
  return lines.join('\n\n');
}

/** The value a run reached for a goal: its lowest or highest point. */
export function achieved(series: RunSeries, goal: MetricGoal): number {
  return bestValue(series, goal);
}

export interface ParamHoverContext {
  /** How the parameter is written on the command line (`--lr`), or its name. */
  readonly label: string;
  readonly scriptName: string;
}

/** The hover over a parameter definition: its values in recent runs, next to the key metric each reached. */
export function paramHoverMarkdown(history: ParamHistory, context: ParamHoverContext): string | undefined {
  if (history.runs.length === 0) return undefined;
  const label = escapeMarkdown(context.label);
  const where = scopeText(history.scope, code(context.scriptName));
  const lines: string[] = [];
  const shown = history.runs.length;
  lines.push(
    `**${label}** in ${shown === history.runCount ? `the ${runCount(shown)}` : `the latest ${shown} of ${runCount(history.runCount)}`} ${where} that recorded it`,
  );
  const { keyMetric, goal } = history;
  const values = history.runs.map((run) => (run.metric && goal ? achieved(run.metric, goal) : Number.NaN));
  const bestRow = goal ? bestIndex(values, goal) : -1;
  const header = keyMetric && goal ? `${escapeMarkdown(keyMetric)} (${goalWord(goal)})` : 'metric';
  const table = [`| ${escapeMarkdown(history.param)} | ${header} | run |`, '| ---: | ---: | :--- |'];
  history.runs.forEach((run, i) => {
    const metric = run.metric && goal ? escapeMarkdown(formatMetricValue(values[i])) : '—';
    table.push(
      `| ${escapeMarkdown(run.value)} | ${i === bestRow ? `**${metric}**` : metric} | ${escapeMarkdown(run.runName)} |`,
    );
  });
  lines.push(table.join('\n'));
  const ids = history.runs.map((r) => r.runId);
  const links: string[] = [];
  if (ids.length > 1) {
    links.push(commandLink('Compare', COMPARE_RUNS, { runIds: ids.slice(0, MAX_COMPARE_RUNS) }, 'Compare these runs'));
  }
  if (keyMetric) {
    links.push(
      commandLink('Open Charts', OPEN_CHARTS, { runIds: ids, keys: [keyMetric] }, `Chart ${keyMetric} of these runs`),
    );
  }
  if (links.length > 0) lines.push(links.join(' · '));
  return lines.join('\n\n');
}

/**
 * The faded text after a metric-logging line: each key's latest value and the run it is from,
 * ` val_loss 0.213 · bright-owl`; keys from the same run share its name.
 */
export function inlineValueText(values: readonly LatestMetric[]): string | undefined {
  if (values.length === 0) return undefined;
  const groups: { run: string; parts: string[] }[] = [];
  for (const value of values) {
    const part = `${plain(value.key)} ${formatMetricValue(value.run.last)}`;
    const group = groups.find((g) => g.run === value.run.runId);
    if (group) group.parts.push(part);
    else groups.push({ run: value.run.runId, parts: [part] });
  }
  return groups
    .map((g) => {
      const name = values.find((v) => v.run.runId === g.run)?.run.runName ?? g.run;
      return `${g.parts.join(' · ')} · ${plain(name)}`;
    })
    .join('   ');
}

export interface SummaryLens {
  readonly title: string;
  readonly tooltip: string;
  readonly command: string;
  readonly arg: RunIdsArg;
}

/** The lens above a script with runs: `12 runs · best val_loss 0.213 (bright-owl)`, and what clicking it opens. */
export function summaryLens(summary: ScriptSummary): SummaryLens | undefined {
  if (summary.runCount === 0) return undefined;
  const { metric } = summary;
  const runs = runCount(summary.runCount);
  let title = runs;
  let tooltip = `${runs} of this script`;
  if (metric) {
    const key = plain(metric.key);
    if (metric.best) {
      title += ` · best ${key} ${formatMetricValue(metric.best.value)} (${plain(metric.best.runName)})`;
    } else if (metric.recent[0]) {
      title += ` · ${key} ${formatMetricValue(metric.recent[0].last)}`;
    }
    const latest = metric.recent[0];
    if (latest) tooltip += `; latest ${key} ${formatMetricValue(latest.last)} in ${plain(latest.runName)}`;
  }
  const ids = summary.recentRunIds;
  if (ids.length > 1) {
    return {
      title,
      tooltip: `${tooltip}. Click to compare the latest ${Math.min(ids.length, MAX_COMPARE_RUNS)}.`,
      command: COMPARE_RUNS,
      arg: { runIds: unique([...ids.slice(0, MAX_COMPARE_RUNS - 1), metric?.best?.runId]) },
    };
  }
  return {
    title,
    tooltip: `${tooltip}. Click to chart it.`,
    command: OPEN_CHARTS,
    arg: { runIds: ids, ...(metric ? { keys: [metric.key] } : {}) },
  };
}
