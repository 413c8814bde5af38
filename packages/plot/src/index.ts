/**
 * @sympode/plot: dependency-light plotting for the CLI and the benchmarks: line charts as standalone SVG,
 * rasterised to PNG with resvg.
 */
export { lineChart, type LineChartOptions, type Series } from './chart.js';
export { formatTick } from './format.js';
export { OKABE_ITO, seriesColor } from './palette.js';
export { svgToPng } from './png.js';
export { escapeXml } from './svg.js';
export { writeChart } from './write.js';
export { panelsChart, viridis, encodeRgbPng, PanelsChartError, type PanelsChartOptions, type HeatPanel, type PointsPanel } from './panels.js';
