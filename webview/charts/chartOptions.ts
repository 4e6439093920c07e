import type uPlot from 'uplot';
import type { ChartLayout } from '../../shared/chartsProtocol';
import { formatDuration, formatValue } from './format';
import type { PlotData } from './plotData';

export interface ChartTheme {
  readonly foreground: string;
  readonly grid: string;
  readonly font: string;
}

/** uPlot's options for one chart (shared by the panel and the render benchmark). */
export function chartOptions(options: {
  readonly plot: PlotData;
  readonly layout: ChartLayout;
  readonly width: number;
  readonly height: number;
  readonly axisWidth: number;
  readonly theme: ChartTheme;
  readonly hooks: uPlot.Hooks.Arrays;
}): uPlot.Options {
  const { plot, layout, theme } = options;
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
    scales: { x: { time: layout.x === 'time' }, y: { distr: layout.yLog ? 3 : 1 } },
    axes: [
      axis(layout.x === 'relative' ? (_u, splits) => splits.map((v) => formatDuration(v)) : undefined),
      { ...axis((_u, splits) => splits.map((v) => formatValue(v))), size: options.axisWidth - 10 },
    ],
    series: plot.series,
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
