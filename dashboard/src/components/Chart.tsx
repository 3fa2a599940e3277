/** ECharts (tree-shaken) in a React component: time axes, tooltips, resizes with its container. */
import { BarChart, LineChart, PieChart, ScatterChart } from "echarts/charts";
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
} from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";

echarts.use([
  BarChart,
  LineChart,
  PieChart,
  ScatterChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  TitleComponent,
  DataZoomComponent,
  CanvasRenderer,
]);

export type ChartOption = echarts.EChartsCoreOption;

export function Chart({ option, label, height = 260 }: { option: ChartOption; label: string; height?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    if (!ref.current) return;
    const instance = echarts.init(ref.current, undefined, { renderer: "canvas" });
    chart.current = instance;
    const observer = new ResizeObserver(() => instance.resize());
    observer.observe(ref.current);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption({ animation: false, ...option }, { notMerge: true });
  }, [option]);

  return <div ref={ref} className="chart" role="img" aria-label={label} data-chart={label} style={{ height }} />;
}

/** Shared look of time-axis charts. */
export const timeAxisBase = {
  grid: { left: 48, right: 48, top: 36, bottom: 48 },
  tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
  legend: { top: 0 },
  xAxis: { type: "time" },
  dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 4 }],
};

/** A point of a time series: [unix ms, value]. */
export type TimePoint = [number, number];

/** Two value axes: a left one (counts) and a right one (a second unit). */
export const twoAxes = (left: string, right: string, leftExtra: Record<string, unknown> = { minInterval: 1 }) => [
  { type: "value", name: left, ...leftExtra },
  { type: "value", name: right },
];

export const bars = (name: string, data: TimePoint[], stack?: string) => ({
  name,
  type: "bar",
  barMaxWidth: 28,
  ...(stack ? { stack } : {}),
  data,
});

/** A line on the right axis unless `axis` says 0. */
export const line = (name: string, data: TimePoint[], axis: 0 | 1 = 1, extra: Record<string, unknown> = {}) => ({
  name,
  type: "line",
  yAxisIndex: axis,
  ...extra,
  data,
});
