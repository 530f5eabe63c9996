// Counterpart: the page of flamegraph.pl and trace-cmd's reports: one self-contained HTML
// file (styles and scripts inline, nothing fetched when it is viewed) showing a ReportData.
import {
  flameTotal,
  packLane,
  type Bucket,
  type DurationStats,
  type Histogram,
  type Lane,
  type ReportData,
} from './model.js';

/** The browser bundles the page inlines: d3's UMD build and d3-flame-graph's. */
export interface PageAssets {
  d3: string;
  flamegraph: string;
}

export interface PageOptions {
  /** The page's heading (default: the trace's file name). */
  title?: string;
}

/** Text for HTML content and attribute values: every string that came from a trace goes through it. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON for a `<script type="application/json">`: no `<`, so nothing in it can close the element. */
export function jsonForScript(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}

/** A script's source for an inline `<script>`: `</script` in it (in a string, say) would end the element. */
function inlineScript(src: string): string {
  return src.replace(/<\/script/gi, '<\\/script');
}

/** Colours for events, in order of first hit (Tableau 10, which reads apart in print and for most colour-blind readers). */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];

/** A time as people read it: `1.23 ms` for nanoseconds, the bare number with its unit otherwise. */
export function formatTime(v: number, unit: string): string {
  if (unit !== 'ns') return `${trim(v)} ${unit === 'count' ? (v === 1 ? 'count' : 'counts') : unit}`;
  const a = Math.abs(v);
  if (a < 1e3) return `${trim(v)} ns`;
  if (a < 1e6) return `${trim(v / 1e3)} µs`;
  if (a < 1e9) return `${trim(v / 1e6)} ms`;
  return `${trim(v / 1e9)} s`;
}

/** At most three significant digits, no trailing zeros. */
function trim(v: number): string {
  return String(Number(v.toPrecision(3)));
}

/** The page for `data`. */
export function renderReport(data: ReportData, assets: PageAssets, opts: PageOptions = {}): string {
  const colors = new Map<string, string>();
  for (const r of data.rows)
    if (!colors.has(r.event)) colors.set(r.event, PALETTE[colors.size % PALETTE.length] ?? '');
  const color = (event: string) => colors.get(event) ?? PALETTE[0] ?? '#888';
  const title = opts.title ?? `kprobe-emu report: ${data.path.split('/').pop() ?? data.path}`;
  const flameData = {
    unit: data.unit,
    time: data.flame.time,
    hits: data.flame.hits,
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
${meta(data)}
<nav><a href="#events">Events</a><a href="#arguments">Arguments</a><a href="#durations">Durations</a><a href="#flame-graph">Flame graph</a><a href="#timeline">Timeline</a></nav>
</header>
<main>
${eventsSection(data)}
${argsSection(data, color)}
${durationsSection(data, color)}
${flameSection(data)}
${timelineSection(data, color)}
</main>
<footer>Made by <code>kprobe-emu report</code>. The Chrome trace of the same run opens in Perfetto (ui.perfetto.dev) for a closer look.</footer>
<script type="application/json" id="flame-data">${jsonForScript(flameData)}</script>
<script>${inlineScript(assets.d3)}</script>
<script>/* d3-flame-graph, Apache License 2.0, https://github.com/spiermar/d3-flame-graph */
${inlineScript(assets.flamegraph)}</script>
<script>${FLAME_SCRIPT}</script>
</body>
</html>
`;
}

function meta(d: ReportData): string {
  const items = [
    ['trace', d.path],
    ['format', d.format === 'json' ? 'JSON lines' : 'Chrome Trace Event Format'],
    ['clock', d.clock ?? (d.span ? 'not in the trace' : 'none (no times)')],
    ['events', String(d.events)],
    ['tasks', String(d.tasks)],
  ];
  if (d.span) items.push(['span', formatTime(d.span[1] - d.span[0], d.unit)]);
  if (d.skipped > 0) items.push(['skipped', `${d.skipped} events of other kinds`]);
  return `<dl class="meta">${items
    .map(([k, v]) => `<div><dt>${escapeHtml(k ?? '')}</dt><dd>${escapeHtml(v ?? '')}</dd></div>`)
    .join('')}</dl>`;
}

function eventsSection(d: ReportData): string {
  const dropped = d.rows.some((r) => r.dropped > 0);
  const head = [
    'Event',
    'Group',
    'Type',
    'Probed at',
    'Hits',
    'Missed',
    ...(d.profile ? ['Hits (profile)'] : []),
    ...(dropped ? ['Dropped'] : []),
  ];
  const na = d.profile
    ? '<span class="na" title="the profile does not name this event">n/a</span>'
    : '<span class="na" title="missed hits are known from a --profile file">n/a</span>';
  const rows = d.rows.map((r) => {
    const places = r.places.slice(0, 3).join(', ') + (r.places.length > 3 ? `, … (${r.places.length})` : '');
    const cells = [
      `<td class="event">${escapeHtml(r.event)}</td>`,
      `<td>${escapeHtml(r.group)}</td>`,
      `<td>${escapeHtml(r.kind ?? '')}</td>`,
      `<td class="mono">${escapeHtml(places)}</td>`,
      `<td class="num">${r.hits}</td>`,
      `<td class="num${r.missed ? ' warn' : ''}">${r.missed === undefined ? na : r.missed}</td>`,
      ...(d.profile ? [`<td class="num">${r.profileHits === undefined ? na : r.profileHits}</td>`] : []),
      ...(dropped ? [`<td class="num">${r.dropped}</td>`] : []),
    ];
    return `<tr>${cells.join('')}</tr>`;
  });
  const note = d.profile
    ? 'Missed: hits the probe could not handle (a return probe: calls missed for want of a free instance, and missed hits of its entry), from the profile.'
    : 'Missed counts come from <code>kprobe-emu run --profile</code>: pass its output with <code>--profile FILE</code>.';
  return `<section id="events">
<h2>Events</h2>
<table class="events"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
<p class="note">${note}</p>
</section>`;
}

function scaleText(h: Histogram): string {
  const parts = [
    h.scale === 'log2'
      ? 'log2 buckets'
      : h.scale === 'linear'
        ? 'linear buckets'
        : `${h.otherValues > 0 ? `top ${h.buckets.length - 1}` : 'all'} values`,
    `${h.total} ${h.total === 1 ? 'value' : 'values'}`,
  ];
  if (h.faults > 0) parts.push(`${h.faults} faulted`);
  return parts.join(' · ');
}

function argsSection(d: ReportData, color: (e: string) => string): string {
  if (d.args.length === 0)
    return `<section id="arguments"><h2>Arguments</h2><p class="note">No event fetched arguments.</p></section>`;
  const byEvent = new Map<string, string[]>();
  for (const a of d.args) {
    const cards = byEvent.get(a.event) ?? [];
    cards.push(
      card(
        `<span class="mono">${escapeHtml(a.arg)}</span>`,
        scaleText(a.hist),
        barChart(a.hist.buckets, color(a.event)),
      ),
    );
    byEvent.set(a.event, cards);
  }
  const groups = [...byEvent].map(
    ([event, cards]) =>
      `<div class="arg-group"><h3><span class="swatch" style="background:${color(event)}"></span>${escapeHtml(event)}</h3><div class="cards">${cards.join('')}</div></div>`,
  );
  return `<section id="arguments">
<h2>Arguments</h2>
<p class="note">Numbers in log2 buckets when they span a wide range (as bpftrace's <code>hist()</code>), else in equal-width buckets; other values (strings, symbols, arrays) by how often they occur.</p>
<div class="arg-groups">${groups.join('\n')}</div>
</section>`;
}

function statsText(s: DurationStats, unit: string): string {
  const t = (v: number) => formatTime(v, unit);
  return `min ${t(s.min)} · median ${t(s.median)} · p99 ${t(s.p99)} · max ${t(s.max)}`;
}

function durationsSection(d: ReportData, color: (e: string) => string): string {
  if (d.durations.length === 0) {
    const why = d.rows.some((r) => r.kind === 'kretprobe')
      ? 'The trace has no call durations (it was recorded without times).'
      : 'The trace has no return probes.';
    return `<section id="durations"><h2>Call durations</h2><p class="note">${why}</p></section>`;
  }
  const cards = d.durations.map((x) =>
    card(
      `<span class="swatch" style="background:${color(x.event)}"></span>${escapeHtml(x.event)}`,
      `${x.hist.total} calls · ${escapeHtml(statsText(x.stats, d.unit))}`,
      barChart(x.hist.buckets, color(x.event)),
    ),
  );
  return `<section id="durations">
<h2>Call durations</h2>
<p class="note">Time from each call's entry to its return, in log2 buckets of ${escapeHtml(unitName(d.unit))}.</p>
<div class="cards">${cards.join('')}</div>
</section>`;
}

function unitName(unit: string): string {
  return unit === 'ns' ? 'nanoseconds' : unit === 'count' ? 'clock counts' : unit;
}

function card(title: string, caption: string, body: string): string {
  return `<figure class="card"><figcaption><div class="card-title">${title}</div><div class="caption">${caption}</div></figcaption>${body}</figure>`;
}

const ROW = 18;
const BAR = 240;
/** About the width of a character of 11px monospace. */
const CHAR = 6.7;
const LABEL_CHARS = 28;

/** A horizontal bar chart, a bar a bucket, in SVG (labels from the trace escaped). */
export function barChart(buckets: readonly Bucket[], fill: string): string {
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const total = buckets.reduce((s, b) => s + b.count, 0);
  const short = (l: string) => (l.length > LABEL_CHARS ? `${l.slice(0, LABEL_CHARS - 1)}…` : l);
  const labelW = Math.ceil(Math.max(3, ...buckets.map((b) => short(b.label).length)) * CHAR) + 10;
  const countW = Math.ceil(Math.max(1, ...buckets.map((b) => String(b.count).length)) * CHAR) + 12;
  const width = labelW + BAR + countW;
  const height = buckets.length * ROW + 4;
  const rows = buckets.map((b, i) => {
    const y = i * ROW + 2;
    const w = b.count === 0 ? 0 : Math.max(1, (b.count / max) * BAR);
    const pct = total > 0 ? ((100 * b.count) / total).toFixed(1) : '0';
    return (
      `<g><title>${escapeHtml(`${b.label}: ${b.count} (${pct}%)`)}</title>` +
      `<text class="label" x="${labelW - 6}" y="${y + ROW / 2}">${escapeHtml(short(b.label))}</text>` +
      `<rect class="bar" x="${labelW}" y="${y + 2}" width="${w.toFixed(1)}" height="${ROW - 5}" fill="${fill}"></rect>` +
      `<text class="count" x="${(labelW + w + 4).toFixed(1)}" y="${y + ROW / 2}">${b.count}</text></g>`
    );
  });
  return `<svg class="hist" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${rows.join('')}</svg>`;
}

function flameSection(d: ReportData): string {
  const total = flameTotal(d.flame.hits);
  const notes: string[] = [];
  if (!d.flame.nested)
    notes.push(
      'The trace has no times, so calls cannot be nested: each hit is a frame of its own. Record the trace with times to see the nesting.',
    );
  else if (d.flame.stacks)
    notes.push('Events that recorded a stack stand on it; the others on the probed calls that enclose them.');
  else
    notes.push(
      "Stacks are made of the probed calls of each task: a return probe's call holds the calls and hits that happened inside it. Unprobed functions between them do not appear.",
    );
  notes.push(
    d.flame.time
      ? 'Width is self time (a call less the probed calls inside it) or, with <em>Hits</em>, the number of hits; blue frames are kprobe hits.'
      : 'Width is the number of hits; blue frames are kprobe hits.',
  );
  const modes = d.flame.time
    ? `<div class="seg" role="group" aria-label="weight"><button type="button" data-mode="time" class="on">Self time</button><button type="button" data-mode="hits">Hits</button></div>`
    : '';
  return `<section id="flame-graph">
<h2>Flame graph</h2>
<p class="note">${notes.join(' ')}</p>
<div class="controls">${modes}<input id="flame-search" type="search" placeholder="Search frames" aria-label="search frames"><button type="button" id="flame-reset">Reset zoom</button><span class="hint">Click a frame to zoom in.</span></div>
<div id="flame" data-hits="${total}"></div>
<div id="flame-details" class="details">&nbsp;</div>
</section>`;
}

/** viewBox units of the timeline: lane labels, then the plot. */
const TL_LABEL = 170;
const TL_PLOT = 1010;
const TL_WIDTH = TL_LABEL + TL_PLOT + 20;
const TL_AXIS = 26;
const TL_TICKS = 12;
const TL_ROW = 15;
const TL_GAP = 12;
/** Rows of nested calls drawn per lane. */
export const TL_MAX_DEPTH = 32;

function niceStep(span: number): number {
  const raw = span / 8;
  const p = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].map((m) => m * p).find((c) => c >= raw) ?? 10 * p) || 1;
}

function argsText(args: Record<string, string>): string {
  return Object.entries(args)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function timelineSection(d: ReportData, color: (e: string) => string): string {
  if (!d.span || d.lanes.length === 0)
    return `<section id="timeline"><h2>Timeline</h2><p class="note">The trace has no times: nothing to place on a timeline.</p></section>`;
  const [t0, t1raw] = d.span;
  // A trace whose every hit has one time still gets a plot one unit wide.
  const t1 = t1raw > t0 ? t1raw : t0 + 1;
  const x = (t: number) => TL_LABEL + ((t - t0) / (t1 - t0)) * TL_PLOT;
  const parts: string[] = [];
  let y = TL_AXIS;
  let hidden = 0;
  d.lanes.forEach((lane, i) => {
    const rows = Math.min(lane.depth, TL_MAX_DEPTH);
    const h = TL_TICKS + rows * TL_ROW + TL_GAP;
    parts.push(laneSvg(lane, i, y, h, rows, t0, t1, color));
    hidden += packLane(lane, t0, t1, TL_PLOT, TL_MAX_DEPTH).hidden;
    y += h;
  });
  const step = niceStep(t1 - t0);
  const axis: string[] = [];
  for (let v = 0; v <= t1 - t0 + step / 1e6; v += step) {
    const xv = x(t0 + v).toFixed(1);
    axis.push(
      `<line class="grid" x1="${xv}" x2="${xv}" y1="${TL_AXIS - 6}" y2="${y}"></line>` +
        `<text class="axis" x="${xv}" y="${TL_AXIS - 10}">${escapeHtml(v === 0 ? '0' : `+${formatTime(v, d.unit)}`)}</text>`,
    );
  }
  const legend = d.rows
    .filter((r) => r.hits > 0 || r.dropped > 0)
    .map(
      (r) =>
        `<span class="legend-item"><span class="swatch" style="background:${color(r.event)}"></span>${escapeHtml(r.event)}<span class="kind">${r.kind === 'kprobe' ? 'ticks' : 'slices'}</span></span>`,
    )
    .join('');
  const note = hidden > 0 ? ` ${hidden} calls nested deeper than ${TL_MAX_DEPTH} are not drawn.` : '';
  return `<section id="timeline">
<h2>Timeline</h2>
<p class="note">A lane per task: return-probe calls as slices (nested calls below their caller), kprobe hits as ticks above them. Times from the first event (${escapeHtml(formatTime(t0, d.unit))} on the trace clock).${note}</p>
<div class="legend">${legend}</div>
<svg id="timeline-svg" class="timeline" role="img" viewBox="0 0 ${TL_WIDTH} ${y + 4}" preserveAspectRatio="xMinYMin meet">
${axis.join('')}
${parts.join('\n')}
</svg>
</section>`;
}

function laneSvg(
  lane: Lane,
  i: number,
  y: number,
  h: number,
  rows: number,
  t0: number,
  t1: number,
  color: (e: string) => string,
): string {
  const packed = packLane(lane, t0, t1, TL_PLOT, TL_MAX_DEPTH);
  const out: string[] = [];
  out.push(
    `<rect class="lane${i % 2 ? ' odd' : ''}" x="0" y="${y}" width="${TL_WIDTH}" height="${h}"></rect>`,
    `<text class="lane-label" x="8" y="${y + TL_TICKS + Math.min(rows, 1) * TL_ROW * 0.5 + 4}"><title>${escapeHtml(lane.label)}</title>${escapeHtml(clip(lane.label, 24))}</text>`,
  );
  for (const t of packed.ticks) {
    const xv = (TL_LABEL + t.x).toFixed(2);
    const what = `${t.tick.event} at ${t.tick.at} ${argsText(t.tick.args)}`.trim();
    const tip = t.count > 1 ? `${what} and ${t.count - 1} more hits` : what;
    out.push(
      `<line class="tick" x1="${xv}" x2="${xv}" y1="${y + 2}" y2="${y + TL_TICKS - 2}" stroke="${color(t.tick.event)}"><title>${escapeHtml(tip)}</title></line>`,
    );
  }
  for (const s of packed.slices) {
    const x0 = TL_LABEL + s.x0;
    const w = Math.max(s.x1 - s.x0, 0.6);
    const sy = y + TL_TICKS + s.depth * TL_ROW;
    const c = s.slice;
    const what =
      s.count > 1
        ? `${s.count} calls from ${c.name} (${c.event})`
        : `${c.name} (${c.event}) ${formatTime(c.end - c.start, '')}`.trim();
    const tip =
      s.count > 1 ? what : `${what} ${argsText(c.args)}${c.dropped ? ` dropped: ${c.dropped}` : ''}`;
    out.push(
      `<g class="slice${c.dropped ? ' dropped' : ''}"><title>${escapeHtml(tip)}</title><rect x="${x0.toFixed(2)}" y="${sy}" width="${w.toFixed(2)}" height="${TL_ROW - 2}" fill="${color(c.event)}"></rect>` +
        (w > 36
          ? `<text x="${(x0 + 3).toFixed(2)}" y="${sy + TL_ROW - 5}">${escapeHtml(clip(c.name, Math.floor((w - 6) / 6)))}</text>`
          : '') +
        '</g>',
    );
  }
  return out.join('');
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, Math.max(1, n - 1))}…` : s;
}

const CSS = `
:root { --ink: #1f2430; --muted: #5b6473; --line: #dde1e7; --bg: #f5f6f8; --card: #fff; --accent: #4e79a7; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 1240px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 22px; }
h1 { font-size: 22px; margin: 0 0 10px; word-break: break-all; }
h2 { font-size: 18px; margin: 0 0 6px; }
h3 { font-size: 15px; margin: 14px 0 8px; display: flex; align-items: center; gap: 8px; }
code, .mono, svg text { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
code { background: #eef0f3; padding: 0 4px; border-radius: 3px; font-size: 12.5px; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 22px; margin: 0 0 12px; }
.meta div { display: flex; gap: 6px; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; font-weight: 600; word-break: break-all; }
nav { display: flex; gap: 4px; flex-wrap: wrap; border-bottom: 1px solid var(--line); padding-bottom: 10px; }
nav a { color: var(--accent); text-decoration: none; padding: 3px 10px; border-radius: 14px; background: #e8eef6; font-size: 13px; }
nav a:hover { background: #d6e2f1; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 18px 0; }
.note { color: var(--muted); margin: 0 0 12px; max-width: 900px; }
table.events { border-collapse: collapse; width: 100%; }
table.events th, table.events td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); }
table.events th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
table.events td.num, table.events th:nth-child(n+5) { text-align: right; font-variant-numeric: tabular-nums; }
td.event { font-weight: 600; }
td.warn { color: #c0392b; font-weight: 600; }
.na { color: #9aa1ad; }
.arg-groups { display: flex; flex-wrap: wrap; gap: 0 28px; }
.cards { display: flex; flex-wrap: wrap; gap: 14px; }
.card { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; background: #fcfcfd; }
.card-title { font-weight: 600; display: flex; align-items: center; gap: 6px; }
.caption { color: var(--muted); font-size: 12px; margin-bottom: 6px; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; flex: none; }
svg.hist text { font-size: 11px; dominant-baseline: middle; fill: var(--ink); }
svg.hist text.label { text-anchor: end; fill: var(--muted); }
svg.hist rect.bar { opacity: .9; }
svg.hist g:hover rect.bar { opacity: 1; stroke: #333; stroke-width: .5; }
.controls { display: flex; align-items: center; gap: 10px; margin-bottom: 8px; flex-wrap: wrap; }
.controls button, .controls input { font: inherit; font-size: 13px; padding: 4px 10px; border: 1px solid var(--line); border-radius: 5px; background: #fff; color: var(--ink); }
.controls button { cursor: pointer; }
.controls button:hover { background: #f0f2f5; }
.seg { display: inline-flex; }
.seg button { border-radius: 0; }
.seg button:first-child { border-radius: 5px 0 0 5px; }
.seg button:last-child { border-radius: 0 5px 5px 0; border-left: none; }
.seg button.on { background: var(--accent); border-color: var(--accent); color: #fff; }
.hint { color: var(--muted); font-size: 12px; }
#flame { min-height: 40px; }
#flame .d3-flame-graph-label { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 11.5px; color: #1f2430; }
#flame .d3-flame-graph rect { stroke: #fff; }
.details { color: var(--muted); font-size: 12.5px; min-height: 1.4em; margin-top: 4px; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
.legend { display: flex; gap: 16px; flex-wrap: wrap; margin: 0 0 8px; }
.legend-item { display: inline-flex; align-items: center; gap: 6px; font-weight: 600; }
.legend .kind { color: var(--muted); font-weight: 400; font-size: 12px; }
svg.timeline { width: 100%; height: auto; display: block; }
svg.timeline rect.lane { fill: #fafbfc; }
svg.timeline rect.lane.odd { fill: #f1f3f6; }
svg.timeline .grid { stroke: #d5d9e0; stroke-width: .6; }
svg.timeline text.axis { font-size: 10px; fill: var(--muted); text-anchor: middle; }
svg.timeline text.lane-label { font-size: 11px; font-weight: 600; fill: var(--ink); }
svg.timeline .tick { stroke-width: 1.2; }
svg.timeline .slice rect { stroke: #fff; stroke-width: .4; }
svg.timeline .slice.dropped rect { stroke: #c0392b; stroke-dasharray: 2 1; stroke-width: 1; }
svg.timeline .slice:hover rect { stroke: #222; stroke-width: .8; }
svg.timeline .slice text { font-size: 9.5px; fill: #fff; pointer-events: none; }
footer { color: var(--muted); font-size: 12px; padding-bottom: 30px; }
`;

/**
 * The flame graph, drawn by d3-flame-graph from the data in #flame-data: self values (the
 * model's), frames named and valued in the trace's unit, kprobe hits in blue, a substring
 * search (its own regular expressions would throw on a stray bracket).
 */
const FLAME_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('flame-data').textContent);
  var el = document.getElementById('flame');
  var details = document.getElementById('flame-details');
  var mode = data.time ? 'time' : 'hits';
  var chart = null;
  function sig(v) { return String(Number(v.toPrecision(3))); }
  function fmt(v) {
    if (mode === 'hits') return v + (v === 1 ? ' hit' : ' hits');
    if (data.unit !== 'ns') return sig(v) + ' ' + data.unit;
    var a = Math.abs(v);
    if (a < 1e3) return sig(v) + ' ns';
    if (a < 1e6) return sig(v / 1e3) + ' \\u00b5s';
    if (a < 1e9) return sig(v / 1e6) + ' ms';
    return sig(v / 1e9) + ' s';
  }
  var KINDS = { call: 'call', instant: 'kprobe hit', frame: 'frame', task: 'task', root: 'all' };
  function label(d) {
    var pct = (100 * (d.x1 - d.x0)).toFixed(2);
    return d.data.name + ' (' + (KINDS[d.data.kind] || '') + '): ' + fmt(d.value) + ', ' + pct + '%';
  }
  function hue(name, lo, span) {
    var h = 0;
    for (var i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
    return lo + (h % 1000) / 1000 * span;
  }
  function draw() {
    el.textContent = '';
    details.textContent = '\\u00a0';
    chart = flamegraph.default()
      .width(Math.max(320, el.clientWidth))
      .cellHeight(18)
      .selfValue(true)
      .sort(true)
      .minFrameSize(1)
      .transitionDuration(300)
      .setDetailsElement(details)
      .setLabelHandler(label)
      .setSearchHandler(function (results, sum, total) {
        details.textContent = 'search: ' + fmt(sum) + ' of ' + fmt(total) + ' (' + (100 * sum / (total || 1)).toFixed(2) + '%)';
      })
      .setSearchMatch(function (d, term) {
        return !!term && d.data.name.toLowerCase().indexOf(term.toLowerCase()) >= 0;
      })
      .setColorMapper(function (d, original) {
        if (d.highlight) return original;
        if (d.data.kind === 'instant') return 'hsl(' + hue(d.data.name, 195, 30) + ', 65%, 62%)';
        if (d.data.kind === 'task' || d.data.kind === 'root') return '#b8bec8';
        return original;
      });
    d3.select(el).datum(data[mode]).call(chart);
  }
  draw();
  document.querySelectorAll('#flame-graph .seg button').forEach(function (b) {
    b.addEventListener('click', function () {
      if (b.dataset.mode === mode) return;
      mode = b.dataset.mode;
      document.querySelectorAll('#flame-graph .seg button').forEach(function (o) {
        o.classList.toggle('on', o === b);
      });
      draw();
    });
  });
  document.getElementById('flame-reset').addEventListener('click', function () { chart.resetZoom(); });
  document.getElementById('flame-search').addEventListener('input', function (e) {
    var term = e.target.value;
    if (term) chart.search(term); else chart.clear();
  });
  // Redrawn to a new width once a resize settles: a screenshot tool's passing resizes
  // (to 1x1 and back) leave it alone.
  var width = el.clientWidth;
  var timer = 0;
  window.addEventListener('resize', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var w = el.clientWidth;
      if (w > 0 && Math.abs(w - width) > 40) { width = w; draw(); }
    }, 250);
  });
})();
`;
