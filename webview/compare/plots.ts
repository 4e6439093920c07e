import type { Axis, ParallelPlot, ScatterPlot } from '../../shared/comparePlot';
import { rampColor, ticks } from '../../shared/comparePlot';
import type { MetricGoal } from '../../shared/metricGoal';

const SVG_NS = 'http://www.w3.org/2000/svg';
const HEIGHT = 280;

/** An SVG element; text only through `textContent`. */
function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number> = {},
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function canvas(width: number, label: string): SVGSVGElement {
  const root = svg('svg', { width, height: HEIGHT, viewBox: `0 0 ${width} ${HEIGHT}`, role: 'img', class: 'plot' });
  root.setAttribute('aria-label', label);
  return root;
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function lineColor(shade: number | null, goal: MetricGoal): string {
  return shade === null ? 'var(--vscode-disabledForeground)' : rampColor(shade, goal);
}

/** A vertical axis at `x` from `top` to `bottom`, its ticks labelled on the side given. */
function verticalAxis(axis: Axis, x: number, top: number, bottom: number, side: 'left' | 'right'): SVGGElement {
  const group = svg('g', { class: 'axis' });
  group.append(svg('line', { x1: x, x2: x, y1: top, y2: bottom }));
  for (const tick of ticks(axis)) {
    const y = bottom - tick.at * (bottom - top);
    const dx = side === 'left' ? -6 : 6;
    group.append(svg('line', { x1: x, x2: x + dx / 2, y1: y, y2: y }));
    const anchor = side === 'left' ? 'end' : 'start';
    group.append(
      svg('text', { x: x + dx, y, 'text-anchor': anchor, 'dominant-baseline': 'middle' }, shorten(tick.label, 14)),
    );
  }
  return group;
}

/** One vertical axis per differing param, the metric last; a polyline per run colored by the metric. */
export function drawParallel(plot: ParallelPlot, width: number): SVGSVGElement {
  const root = canvas(width, 'Parallel coordinates of the compared runs');
  const top = 36;
  const bottom = HEIGHT - 16;
  const left = 70;
  const right = width - 90;
  const n = plot.axes.length;
  const xOf = (i: number): number => (n === 1 ? (left + right) / 2 : left + (i * (right - left)) / (n - 1));
  plot.axes.forEach((axis, i) => {
    const x = xOf(i);
    root.append(verticalAxis(axis, x, top, bottom, i === n - 1 ? 'right' : 'left'));
    const title = svg(
      'text',
      { x, y: top - 14, 'text-anchor': 'middle', class: 'axis-title' },
      shorten(axis.label, 22),
    );
    title.append(svg('title', {}, axis.label));
    root.append(title);
  });
  for (const line of plot.lines) {
    // A run without a value on some axis skips it: its line joins the axes it has, with a dot on
    // each, so a run missing one param still shows.
    const color = lineColor(line.shade, plot.goal);
    const group = svg('g', { class: 'run' });
    group.append(svg('title', {}, line.name));
    const points = line.points.flatMap((p, i) => (p === null ? [] : [[xOf(i), bottom - p * (bottom - top)]]));
    const d = points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
    group.append(svg('path', { d, class: 'run-line', stroke: color }));
    for (const [x, y] of points) group.append(svg('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 3, fill: color }));
    root.append(group);
  }
  return root;
}

/** Param across, metric up, a dot per run colored like the parallel plot. */
export function drawScatter(plot: ScatterPlot, goal: MetricGoal, width: number): SVGSVGElement {
  const root = canvas(width, 'Scatter plot of a param against a metric');
  // The axes sit a little outside the points' range, so dots at the extremes are not cut in half.
  const top = 34;
  const bottom = HEIGHT - 44;
  const left = 86;
  const right = width - 24;
  const pad = 8;
  root.append(verticalAxis(plot.y, left - pad, top, bottom, 'left'));
  const xAxis = svg('g', { class: 'axis' });
  xAxis.append(svg('line', { x1: left - pad, x2: right, y1: bottom + pad, y2: bottom + pad }));
  for (const tick of ticks(plot.x)) {
    const x = left + tick.at * (right - left);
    xAxis.append(svg('line', { x1: x, x2: x, y1: bottom + pad, y2: bottom + pad + 4 }));
    xAxis.append(svg('text', { x, y: bottom + pad + 16, 'text-anchor': 'middle' }, shorten(tick.label, 14)));
  }
  root.append(xAxis);
  root.append(
    svg(
      'text',
      { x: (left + right) / 2, y: HEIGHT - 4, 'text-anchor': 'middle', class: 'axis-title' },
      shorten(plot.x.label, 40),
    ),
  );
  root.append(svg('text', { x: 12, y: 14, class: 'axis-title' }, shorten(plot.y.label, 40)));
  for (const point of plot.points) {
    const dot = svg('circle', {
      cx: (left + point.x * (right - left)).toFixed(1),
      cy: (bottom - point.y * (bottom - top)).toFixed(1),
      r: 5,
      class: 'run-dot',
      fill: lineColor(point.y, goal),
    });
    dot.append(svg('title', {}, point.name));
    root.append(dot);
  }
  return root;
}
