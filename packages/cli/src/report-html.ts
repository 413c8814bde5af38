/**
 * The interactive memory report: one self-contained HTML file (inline CSS and script, the timelines embedded
 * as JSON, nothing fetched) with a panel per gradient method. See `report-client.ts` for what the page does.
 */
import { labelRank, type MethodTimeline } from './memory-timeline.js';
import { REPORT_CLIENT_JS } from './report-client.js';

/** Colours of the memory labels, shared by the HTML report and the PNG figure (Okabe–Ito, greys for the constant ones). */
export const LABEL_COLORS: Readonly<Record<string, string>> = {
  internal: '#5f5f5f',
  parameters: '#8c8c8c',
  unlabeled: '#c8c8c8',
  checkpoints: '#0072B2',
  stages: '#E69F00',
  network: '#009E73',
  adjoint: '#CC79A7',
  gradients: '#D55E00',
  optimizer: '#56B4E9',
};
const EXTRA_COLORS = ['#F0E442', '#000000', '#882255', '#44AA99'];

/** The colour of `label`; labels outside `LABEL_COLORS` take the `i`-th spare colour. */
export function labelColor(label: string, i: number): string {
  return LABEL_COLORS[label] ?? EXTRA_COLORS[i % EXTRA_COLORS.length]!;
}

/** What the report shows besides the timelines. */
export interface ReportInfo {
  title: string;
  /** One line under the title: device, problem, solver. */
  subtitle: string;
  /** Per method, a short line next to its name (peak, steps, time). */
  summaries: Record<string, string>;
}

const CSS = `
*{box-sizing:border-box}
body{margin:0;padding:16px 20px;font:13px/1.4 system-ui,'DejaVu Sans',sans-serif;color:#111;background:#fff}
h1{font-size:19px;margin:0 0 4px}
.sub{margin:0 0 8px;color:#444}
.controls{display:flex;gap:16px;align-items:center;flex-wrap:wrap;margin-bottom:6px}
.help{color:#666}
#legend{display:flex;gap:14px;flex-wrap:wrap;margin:6px 0 12px}
.key i{display:inline-block;width:14px;height:10px;margin-right:5px;vertical-align:baseline;border:1px solid #0003}
#panels{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:14px}
.panel{border:1px solid #ddd;border-radius:6px;padding:8px 8px 2px}
.panel h2{font-size:15px;margin:0 0 4px;display:flex;gap:10px;align-items:baseline}
.panel h2 .peak{font-weight:normal;color:#444;font-size:12.5px;flex:1}
.dropped{margin:0;color:#a33;font-size:12px}
svg.chart{display:block;width:100%;user-select:none;cursor:crosshair}
.grid{stroke:#e8e8e8}
.frame{fill:none;stroke:#333}
.tick{font-size:11px;fill:#333}
.axis-label{font-size:12px;fill:#111}
.phase{stroke:#fff;stroke-width:.5}
.phase-name{font-size:9.5px;fill:#222;pointer-events:none}
.cursor{stroke:#000;stroke-width:1;stroke-dasharray:3 3;pointer-events:none}
.brush{fill:#0072B2;fill-opacity:.15;stroke:#0072B2;pointer-events:none}
button{font:inherit;font-size:12px;padding:1px 8px}
#tooltip{position:fixed;z-index:10;pointer-events:none;background:#fffffff0;border:1px solid #999;border-radius:4px;padding:5px 8px;font-size:12px;box-shadow:0 2px 6px #0002;max-width:460px}
#tooltip .head{font-weight:bold;font-family:ui-monospace,'DejaVu Sans Mono',monospace}
`;

/** Escapes text for HTML character data. */
function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JSON that is safe inside a `<script>` element: no `</script>`, `<!--` or line separators can close or break it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The embedded form of a timeline: each event carries only its own label's bytes (the page rebuilds the rest). */
function compact(tl: MethodTimeline, summary: string) {
  return {
    method: tl.method, labels: tl.labels, start: tl.start, summary,
    t: tl.t.map((v) => Math.round(v * 1e4) / 1e4),
    labelLive: tl.label.map((k, i) => tl.live[k]![i]!),
    alloc: tl.alloc, bytes: tl.bytes, label: tl.label, op: tl.op, shape: tl.shape, phase: tl.phase, strings: tl.strings,
    phases: tl.phases.map((p) => ({ ...p, t0: Math.round(p.t0 * 1e4) / 1e4, t1: Math.round(p.t1 * 1e4) / 1e4 })),
    peakBytes: tl.peakBytes, baseBytes: tl.baseBytes, dropped: tl.dropped,
  };
}

/**
 * The report as one HTML document: live bytes stacked by label, one panel per method (in the given order),
 * phase slices above each timeline, zoom by wheel or drag on the time axis (double-click or Reset: full view),
 * hover for the event's op, shape, bytes, label and phase, and an optional common byte scale.
 */
export function memoryReportHtml(timelines: readonly MethodTimeline[], info: ReportInfo): string {
  const labels = [...new Set(timelines.flatMap((t) => t.labels))];
  labels.sort((a, b) => labelRank(a) - labelRank(b));
  const colors = Object.fromEntries(labels.map((l, i) => [l, labelColor(l, i)]));
  const data = {
    labels, colors,
    maxPeak: Math.max(1, ...timelines.map((t) => t.peakBytes)),
    timelines: timelines.map((t) => compact(t, info.summaries[t.method] ?? '')),
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(info.title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(info.title)}</h1>
<p class="sub">${escapeHtml(info.subtitle)}</p>
<div class="controls">
<label><input type="checkbox" id="shared-y"> same byte scale in every panel</label>
<button id="reset-all">Reset all</button>
<span class="help">wheel: zoom the time axis · drag: zoom to a range · double-click: full view · hover: the event (op, shape, bytes, label, phase) or phase slice</span>
</div>
<div id="legend"></div>
</header>
<main id="panels"></main>
<div id="tooltip" hidden></div>
<script type="application/json" id="sympode-data">${scriptJson(data)}</script>
<script>${REPORT_CLIENT_JS}</script>
</body>
</html>
`;
}
