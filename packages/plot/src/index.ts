/**
 * @sympode/plot: dependency-light plotting for the CLI and the benchmarks: line charts and small multiples of
 * stacked areas as standalone SVG, rasterised to PNG (2× by default) with resvg.
 */
export { lineChart, type AxisFormat, type LineChartOptions, type Series } from './chart.js';
export { stackedPanels, type StackedPanelsOptions, type StackLayer, type StackPanel } from './stacked.js';
export { BYTE_UNITS, byteUnit, formatBytes, formatTick } from './format.js';
export { bytesScale, linearScale, logBytesScale, logScale, type Scale, type Tick } from './scale.js';
export { OKABE_ITO, seriesColor } from './palette.js';
export { DEFAULT_PNG_SCALE, svgToPng } from './png.js';
export { escapeXml } from './svg.js';
export { writeChart } from './write.js';
export { panelsChart, viridis, encodeRgbPng, PanelsChartError, type PanelsChartOptions, type HeatPanel, type PointsPanel } from './panels.js';
