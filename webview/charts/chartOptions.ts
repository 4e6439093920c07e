import type uPlot from 'uplot';
import type { ChartLayout } from '../../shared/chartsProtocol';
import { formatDuration } from '../../shared/formatValue';
import { formatValue } from './format';

export interface ChartTheme {
  readonly foreground: string;
  readonly grid: string;
  readonly font: string;
}

/** Tick steps of a relative-time axis (ms): whole seconds, minutes and hours, so ticks read "15 min", not "16 min 40 s". */
const DURATION_STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 108e5,
  216e5, 432e5, 864e5, 1728e5, 6048e5, 12096e5, 24192e5,
];

/**
 * uPlot's options for one chart. uPlot lays out the axes, owns the scales and the cursor; the runs
 * are no uPlot series: the `draw` hook among `hooks` draws them (`drawRuns`), and `yRange` gives the
 * y scale their extent.
 */
export function chartOptions(options: {
  readonly layout: ChartLayout;
  readonly width: number;
  readonly height: number;
  readonly axisWidth: number;
  readonly theme: ChartTheme;
  readonly hooks: uPlot.Hooks.Arrays;
  readonly yRange: (u: uPlot) => uPlot.Range.MinMax;
}): uPlot.Options {
  const { layout, theme } = options;
  const axis = (values?: uPlot.Axis['values']): uPlot.Axis => ({
    stroke: theme.foreground,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1 },
    font: theme.font,
    ...(values ? { values } : {}),
  });
  return {
    width: options.width,
    height: options.height,
    ms: 1,
    legend: { show: false },
    scales: {
      x: { time: layout.x === 'time' },
      y: { distr: layout.yLog ? 3 : 1, range: (u) => options.yRange(u) },
    },
    axes: [
      layout.x === 'relative'
        ? { ...axis((_u, splits) => splits.map((v) => formatDuration(v))), incrs: DURATION_STEPS }
        : axis(),
      // On a log scale uPlot passes null for the ticks it leaves unlabelled.
      {
        ...axis((_u, splits) => splits.map((v: number | null) => (v === null ? '' : formatValue(v)))),
        size: options.axisWidth - 10,
      },
    ],
    series: [{}],
    cursor: {
      points: { show: false },
      // The card turns a drag selection into a zoom itself (see ChartCard.selected).
      drag: { x: true, y: false, setScale: false },
      // Double-click zooms out to the whole extent (uPlot's own reset would zoom to the grid).
      bind: { dblclick: () => null },
    },
    hooks: options.hooks,
  };
}
