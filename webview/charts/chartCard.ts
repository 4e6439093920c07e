import uPlot from 'uplot';
import type {
  ChartData,
  ChartsState,
  ChartsViewMessage,
  ChartsViewReplies,
  DrawnLine,
} from '../../shared/chartsProtocol';
import { isChartData } from '../../shared/chartsProtocol';
import type { Requester } from '../../shared/messaging';
import { SYSTEM_PREFIX, isSystemMetric } from '../../shared/systemMetrics';
import { el } from '../common/host';
import { chartOptions } from './chartOptions';
import { drawRuns } from './drawRuns';
import { X_LABELS, formatValue, formatX } from './format';
import type { PlotData } from './plotData';
import { lineAt, plotData, valueAt, yRange } from './plotData';

const HEIGHT = 240;
/** The y axis and padding take this much of a card's width; the rest is the plot, one bucket per pixel. */
const AXIS_WIDTH = 64;
const CLICK_SLOP_PX = 8;

export interface CardContext {
  state(): ChartsState;
  /** Asks the host; the reply is what `ChartsViewReplies` declares (chart data is checked again on receipt). */
  request: Requester<ChartsViewMessage, ChartsViewReplies>;
  send(message: ChartsViewMessage): void;
  /** The card moved, was pinned or hidden. */
  act(key: string, action: 'pin' | 'hide' | 'earlier' | 'later'): void;
  /** A card finished drawing (its canvas is painted): how many lines and raw points it shows, and how. */
  drew(key: string, series: number, points: number, lines: readonly DrawnLine[]): void;
  error(message: string): void;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/**
 * One chart: a metric key over every shown run. Data comes from the host sized to the plot's pixel
 * width; dragging zooms and asks for the zoomed range at full fidelity; double-click zooms out.
 * Live updates replace the changed runs' columns and redraw without rebuilding the chart.
 */
export class ChartCard {
  readonly element: HTMLElement;
  private readonly plot: HTMLElement;
  private readonly note: HTMLElement;
  private readonly tooltip: HTMLElement;
  private readonly pinButton: HTMLButtonElement;
  private chart: uPlot | undefined;
  private current: { data: ChartData; plot: PlotData; shape: string } | undefined;
  /** What to report once uPlot has painted the data just set (it paints in a microtask). */
  private unreported: { lines: number; points: number } | undefined;
  private zoom: { from: number; to: number } | undefined;
  private zoomTimer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;

  constructor(
    readonly key: string,
    private readonly context: CardContext,
  ) {
    this.note = el('span', { className: 'note' });
    this.pinButton = this.button('Pin', 'Pin this chart to the top', () => context.act(key, 'pin'));
    const header = el(
      'div',
      { className: 'chart-header' },
      // In the System section its prefix goes without saying: `gpu_0_memory_usage_megabytes`.
      el('span', {
        className: 'chart-title',
        text: isSystemMetric(key) ? key.slice(SYSTEM_PREFIX.length) : key,
        title: key,
      }),
      this.note,
      el(
        'span',
        { className: 'chart-actions' },
        this.button('◀', 'Move earlier', () => context.act(key, 'earlier')),
        this.button('▶', 'Move later', () => context.act(key, 'later')),
        this.pinButton,
        this.button('Hide', 'Hide this chart (the toolbar shows it again)', () => context.act(key, 'hide')),
        this.button('PNG', 'Save this chart as a PNG image', () => void this.savePng()),
        this.button('CSV', 'Save every point of this metric as CSV', () => void this.saveCsv()),
      ),
    );
    this.plot = el('div', { className: 'chart-plot' });
    this.tooltip = el('div', { className: 'chart-tooltip' });
    this.tooltip.hidden = true;
    this.element = el('section', { className: 'chart' }, header, this.plot, this.tooltip);
    this.element.dataset['key'] = key;
  }

  private button(text: string, title: string, onClick: () => void): HTMLButtonElement {
    const button = el('button', { className: 'chart-button', text, title });
    button.type = 'button';
    button.addEventListener('click', onClick);
    return button;
  }

  setPinned(pinned: boolean): void {
    this.pinButton.textContent = pinned ? 'Unpin' : 'Pin';
    this.element.classList.toggle('pinned', pinned);
  }

  private width(): number {
    return Math.max(200, Math.floor(this.element.clientWidth || 480) - 16);
  }

  private buckets(): number {
    return Math.max(16, this.width() - AXIS_WIDTH);
  }

  /** Fetches the whole chart (or the zoomed range) and draws it. */
  async load(): Promise<void> {
    const generation = ++this.generation;
    const { layout } = this.context.state();
    const reply = await this.context.request({
      type: 'chartData',
      key: this.key,
      buckets: this.buckets(),
      x: layout.x,
      smoothing: layout.smoothing,
      ...(this.zoom ? { range: this.zoom } : {}),
    });
    if (generation !== this.generation) return;
    if (!isChartData(reply)) throw new Error(`the host sent malformed data for ${this.key}`);
    this.draw(reply);
  }

  /** New points of these runs: fetch just them on the current grid, or everything when they outgrow it. */
  async refreshRuns(runIds: readonly string[]): Promise<void> {
    const current = this.current;
    if (!current) return this.load();
    const wanted = runIds.filter((id) => current.data.runs.some((r) => r.runId === id));
    if (wanted.length === 0) return this.load();
    const generation = this.generation;
    const { layout } = this.context.state();
    const reply = await this.context.request({
      type: 'chartData',
      key: this.key,
      buckets: current.data.buckets,
      x: layout.x,
      smoothing: layout.smoothing,
      range: { from: current.data.lo, to: current.data.hi },
      runIds: wanted,
    });
    // A reload asked after this refresh draws newer points than these.
    if (generation !== this.generation) return;
    // Something asked before this refresh drew meanwhile, perhaps older points: ask again on its grid.
    if (this.current !== current) return this.refreshRuns(runIds);
    if (!isChartData(reply)) throw new Error(`the host sent malformed data for ${this.key}`);
    if (!this.zoom && reply.extent && reply.extent.hi > current.data.hi) return this.load();
    const replaced = new Map(reply.runs.map((r) => [r.runId, r]));
    const merged: ChartData = {
      ...current.data,
      extent: reply.extent,
      runs: current.data.runs.map((r) => replaced.get(r.runId) ?? r),
    };
    this.draw(merged);
  }

  /** What the uPlot instance itself depends on; anything else is new data for the same instance. */
  private shape(): string {
    const { layout } = this.context.state();
    return JSON.stringify([layout.x, layout.yLog, document.body.className]);
  }

  private draw(data: ChartData): void {
    const state = this.context.state();
    const plot = plotData(data, state.runs, state.layout.yLog);
    const shape = this.shape();
    let points = 0;
    for (const r of data.runs) points += r.points;
    this.note.textContent =
      data.runs.length === 0
        ? 'no points'
        : plot.hiddenByLog > 0
          ? `${plot.hiddenByLog} values ≤ 0 not shown on the log scale`
          : '';
    if (this.chart && this.current?.shape === shape) {
      this.current = { data, plot, shape };
      this.chart.setData(plot.data, true);
    } else {
      this.chart?.destroy();
      this.current = { data, plot, shape };
      this.chart = new uPlot(this.options(), plot.data, this.plot);
    }
    this.unreported = { lines: plot.lines, points };
    this.showRange();
  }

  private painted(u: uPlot): void {
    const drawn = this.current ? drawRuns(u, this.current.plot) : [];
    const report = this.unreported;
    this.unreported = undefined;
    if (report) {
      const lines = drawn.map((line) => ({ key: this.key, ...line }));
      this.context.drew(this.key, report.lines, report.points, lines);
    }
  }

  /** Not zoomed: the data's extent (the grid may reach further, for a running run's next points). */
  private showRange(): void {
    const chart = this.chart;
    const data = this.current?.data;
    if (!chart || !data) return;
    const range = this.zoom ?? (data.extent ? { from: data.extent.lo, to: data.extent.hi } : undefined);
    if (!range) return;
    // A single x (one point, or points all at one step) in the middle of the plot.
    if (range.to > range.from) chart.setScale('x', { min: range.from, max: range.to });
    else chart.setScale('x', { min: range.from - 1, max: range.from + 1 });
  }

  private options(): uPlot.Options {
    return chartOptions({
      layout: this.context.state().layout,
      width: this.width(),
      height: HEIGHT,
      axisWidth: AXIS_WIDTH,
      theme: {
        foreground: cssVar('--vscode-foreground', '#888'),
        grid: cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)'),
        font: `11px ${cssVar('--vscode-font-family', 'sans-serif')}`,
      },
      yRange: () => yRange(this.current?.plot),
      hooks: {
        draw: [(u) => this.painted(u)],
        setSelect: [(u) => this.selected(u)],
        setCursor: [(u) => this.showTooltip(u)],
        ready: [(u) => this.bindPointer(u)],
      },
    });
  }

  /**
   * A drag across the plot: zoom to it and ask for that range at full fidelity. uPlot's own
   * drag-to-zoom is off: its scale hooks fire later than the card's own scale changes, so they
   * cannot tell a user's zoom from the card's.
   */
  private selected(u: uPlot): void {
    const { left, width } = u.select;
    if (width < 2) return;
    const from = u.posToVal(left, 'x');
    const to = u.posToVal(left + width, 'x');
    u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
    if (!(to > from)) return;
    this.zoom = { from, to };
    u.setScale('x', { min: from, max: to });
    clearTimeout(this.zoomTimer);
    this.zoomTimer = setTimeout(() => void this.load().catch((e: unknown) => this.context.error(String(e))), 50);
  }

  /** Zoomed ranges mean nothing on another x axis. */
  resetZoom(): void {
    this.zoom = undefined;
  }

  get zoomedTo(): { from: number; to: number } | undefined {
    return this.zoom;
  }

  private bindPointer(u: uPlot): void {
    u.over.addEventListener('dblclick', () => {
      if (!this.zoom) return;
      this.zoom = undefined;
      void this.load().catch((e: unknown) => this.context.error(String(e)));
    });
    let down: { x: number; y: number } | undefined;
    u.over.addEventListener('mousedown', (e) => (down = { x: e.clientX, y: e.clientY }));
    u.over.addEventListener('mouseup', (e) => {
      if (down && Math.abs(e.clientX - down.x) < 3 && Math.abs(e.clientY - down.y) < 3) this.clicked(u);
      down = undefined;
    });
    u.over.addEventListener('mouseleave', () => (this.tooltip.hidden = true));
  }

  /** A click near a line reveals its run in the Runs view. */
  private clicked(u: uPlot): void {
    const idx = u.cursor.idx;
    const top = u.cursor.top;
    if (idx === null || idx === undefined || top === undefined || !this.current) return;
    let best: { runId: string; distance: number } | undefined;
    const { plot } = this.current;
    for (const entry of plot.runs) {
      const value = lineAt(plot, entry, idx);
      if (value === null) continue;
      const distance = Math.abs(u.valToPos(value, 'y') - top);
      if (distance <= CLICK_SLOP_PX && (!best || distance < best.distance)) best = { runId: entry.runId, distance };
    }
    if (best) this.context.send({ type: 'revealRun', runId: best.runId });
  }

  /** The crosshair's values: every run at the cursor, best first for the eye (sorted by value). */
  private showTooltip(u: uPlot): void {
    const idx = u.cursor.idx;
    const current = this.current;
    if (idx === null || idx === undefined || !current || u.cursor.left === undefined || u.cursor.left < 0) {
      this.tooltip.hidden = true;
      return;
    }
    const state = this.context.state();
    const runs = new Map(state.runs.map((r) => [r.id, r]));
    const rows = current.plot.runs
      .map((entry) => ({ entry, run: runs.get(entry.runId), value: valueAt(current.plot, entry, idx) }))
      .filter((row) => row.run && row.value !== null)
      .sort((a, b) => (b.value ?? 0) - (a.value ?? 0));
    const x = (u.data[0] as number[])[idx];
    this.tooltip.replaceChildren(
      el('div', { className: 'tooltip-x', text: `${X_LABELS[state.layout.x]} ${formatX(state.layout.x, x)}` }),
    );
    const shown = rows.slice(0, 30);
    for (const { run, value } of shown) {
      const swatch = el('span', { className: 'swatch' });
      swatch.style.backgroundColor = run?.color ?? '';
      this.tooltip.append(
        el(
          'div',
          { className: 'tooltip-row' },
          swatch,
          el('span', { className: 'tooltip-name', text: run?.name ?? '' }),
          el('span', { className: 'tooltip-value', text: formatValue(value) }),
        ),
      );
    }
    if (rows.length > shown.length)
      this.tooltip.append(el('div', { className: 'tooltip-more', text: `+${rows.length - shown.length} more` }));
    this.tooltip.hidden = rows.length === 0;
    const left = u.cursor.left + AXIS_WIDTH;
    this.tooltip.style.left = `${Math.min(left + 16, this.element.clientWidth - 220)}px`;
  }

  /** The chart as a PNG data: URL: a title line, the plot, and the runs' colors. */
  png(): string | null {
    const chart = this.chart;
    if (!chart) return null;
    const source = chart.ctx.canvas;
    const runs = this.context.state().runs.slice(0, 12);
    const ratio = source.width / Math.max(1, chart.width);
    const titleHeight = Math.round(24 * ratio);
    const legendHeight = Math.round(18 * ratio * Math.ceil(runs.length / 3));
    const canvas = document.createElement('canvas');
    canvas.width = source.width;
    canvas.height = source.height + titleHeight + legendHeight;
    const ctx = canvas.getContext('2d');
    if (!ctx) return null;
    ctx.fillStyle = cssVar('--vscode-editor-background', '#ffffff');
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = cssVar('--vscode-foreground', '#333333');
    ctx.font = `${Math.round(13 * ratio)}px sans-serif`;
    ctx.fillText(this.key, 8 * ratio, 17 * ratio);
    ctx.drawImage(source, 0, titleHeight);
    ctx.font = `${Math.round(11 * ratio)}px sans-serif`;
    runs.forEach((run, i) => {
      const x = (8 + (i % 3) * (chart.width / 3)) * ratio;
      const y = source.height + titleHeight + (Math.floor(i / 3) * 18 + 13) * ratio;
      ctx.fillStyle = run.color;
      ctx.fillRect(x, y - 9 * ratio, 10 * ratio, 10 * ratio);
      ctx.fillStyle = cssVar('--vscode-foreground', '#333333');
      ctx.fillText(run.name.slice(0, 40), x + 14 * ratio, y);
    });
    return canvas.toDataURL('image/png');
  }

  private async savePng(): Promise<void> {
    const dataUrl = this.png();
    if (dataUrl) await this.context.request({ type: 'exportPng', key: this.key, dataUrl });
  }

  private async saveCsv(): Promise<void> {
    await this.context.request({ type: 'exportCsv', key: this.key });
  }

  /** The card's width changed: resize, and fetch again when the bucket count is far off. */
  resize(): void {
    if (!this.chart || !this.current) return;
    this.chart.setSize({ width: this.width(), height: HEIGHT });
    const wanted = this.buckets();
    if (Math.abs(wanted - this.current.data.buckets) > wanted * 0.2) {
      void this.load().catch((e: unknown) => this.context.error(String(e)));
    }
  }

  destroy(): void {
    this.generation++;
    clearTimeout(this.zoomTimer);
    this.chart?.destroy();
    this.chart = undefined;
    this.element.remove();
  }
}
