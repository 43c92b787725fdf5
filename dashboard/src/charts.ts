// Small SVG charts for the history panel, built with createElementNS and textContent only (the
// page runs under a strict CSP; nothing is parsed as markup). Plain SVG rather than a chart
// library: three chart shapes (lines over time, bars over time, event marks on a time axis) are a
// few hundred lines, need no dependency in the page bundle, and style with the page's CSS.
import { nearest, niceTicks, segments, timeTicks } from "./chart-scales";

const NS = "http://www.w3.org/2000/svg";

export interface Box { width: number; height: number; left: number; right: number; top: number; bottom: number }
export const BOX: Box = { width: 340, height: 140, left: 34, right: 6, top: 14, bottom: 18 };

export interface Series { name: string; points: Array<[number, number]> }
/** An event drawn across a chart: a failover, failback, offline... (`kind` is its CSS class). */
export interface Mark { t: number; kind: string; text: string }

/** Hours and minutes, local time. */
export function clock(t: number): string {
  const d = new Date(t);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function frame(b: Box, label: string): SVGSVGElement {
  const svg = el("svg", { viewBox: `0 0 ${b.width} ${b.height}`, width: b.width, height: b.height, role: "img", class: "chart" });
  svg.appendChild(el("title", {}, label));
  return svg;
}

function timeLabel(t: number, spanMs: number): string {
  const d = new Date(t);
  const hm = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  return spanMs > 2 * 86400e3 && d.getHours() === 0 && d.getMinutes() === 0 ? `${d.getMonth() + 1}/${d.getDate()}` : spanMs > 2 * 86400e3 ? `${d.getDate()} ${hm}` : hm;
}

function axes(svg: SVGSVGElement, b: Box, from: number, to: number, yTicks: number[], x: (t: number) => number, y: (v: number) => number, unit: string): void {
  const g = el("g", { class: "axes" });
  // The unit once, above the value axis; the time axis is local time (hh:mm, or day and time over a week).
  g.appendChild(el("text", { x: 2, y: 9, class: "unit" }, unit.trim()));
  for (const v of yTicks) {
    g.appendChild(el("line", { x1: b.left, x2: b.width - b.right, y1: y(v), y2: y(v), class: "grid" }));
    g.appendChild(el("text", { x: b.left - 3, y: y(v) + 3, "text-anchor": "end" }, String(v)));
  }
  for (const t of timeTicks(from, to)) {
    g.appendChild(el("line", { x1: x(t), x2: x(t), y1: b.top, y2: b.height - b.bottom, class: "grid" }));
    g.appendChild(el("text", { x: x(t), y: b.height - 5, "text-anchor": "middle" }, timeLabel(t, to - from)));
  }
  svg.appendChild(g);
}

/** Events as vertical lines across the plot, each with its text as a tooltip. */
function markLines(svg: SVGSVGElement, b: Box, marks: readonly Mark[], from: number, to: number, x: (t: number) => number): void {
  const g = el("g", { class: "marks" });
  for (const m of marks) {
    if (m.t < from || m.t > to) continue;
    const line = el("line", { x1: x(m.t).toFixed(1), x2: x(m.t).toFixed(1), y1: b.top, y2: b.height - b.bottom, class: `mark-line ${m.kind}`, "data-type": m.kind });
    line.appendChild(el("title", {}, m.text));
    g.appendChild(line);
  }
  svg.appendChild(g);
}

/**
 * Values on hover (pointer or touch): a cursor at the nearest time and a box with each series'
 * value there. The text is also left in `data-hover` (tests, and screen readers through the title).
 */
function hover(svg: SVGSVGElement, b: Box, series: readonly Series[], from: number, to: number, unit: string, maxGap: number): void {
  const g = el("g", { class: "hover", visibility: "hidden" });
  const cursor = el("line", { y1: b.top, y2: b.height - b.bottom, class: "cursor" });
  const box = el("rect", { class: "hover-box", rx: 2 });
  const label = el("text", { class: "hover-text" });
  g.append(cursor, box, label);
  const plot = el("rect", { x: b.left, y: b.top, width: b.width - b.left - b.right, height: b.height - b.top - b.bottom, class: "hover-area" });
  svg.append(plot, g);
  const show = (ev: PointerEvent) => {
    const r = svg.getBoundingClientRect();
    const px = ((ev.clientX - r.left) / r.width) * b.width;
    const t = from + ((px - b.left) / (b.width - b.left - b.right)) * (to - from);
    const lines = [clock(t)];
    let at = t;
    series.forEach((s) => {
      const p = nearest(s.points, t, maxGap);
      if (p) { lines.push(`${s.name} ${p[1]}${unit}`); at = p[0]; }
    });
    if (lines.length === 1) lines.push("no data");
    else lines[0] = clock(at);
    const cx = b.left + ((at - from) / (to - from)) * (b.width - b.left - b.right);
    cursor.setAttribute("x1", cx.toFixed(1));
    cursor.setAttribute("x2", cx.toFixed(1));
    const w = 10 + 5.2 * Math.max(...lines.map((l) => l.length));
    const bx = cx + 6 + w > b.width ? cx - 6 - w : cx + 6;
    box.setAttribute("x", bx.toFixed(1));
    box.setAttribute("y", String(b.top));
    box.setAttribute("width", w.toFixed(1));
    box.setAttribute("height", String(4 + 11 * lines.length));
    label.replaceChildren(...lines.map((l, i) => el("tspan", { x: (bx + 5).toFixed(1), y: b.top + 11 * (i + 1) }, l)));
    svg.dataset.hover = lines.join(" | ");
    g.setAttribute("visibility", "visible");
  };
  svg.addEventListener("pointermove", show);
  svg.addEventListener("pointerdown", show);
  svg.addEventListener("pointerleave", () => g.setAttribute("visibility", "hidden"));
}

/** One line per series over [from, to]; `maxGap` ms without a point breaks the line; `marks` cross it; values on hover. */
export function lineChart(series: readonly Series[], from: number, to: number, opts: { label: string; unit: string; maxGap: number; minMax?: number; marks?: readonly Mark[] }, b: Box = BOX): SVGSVGElement {
  const svg = frame(b, opts.label);
  let max = opts.minMax ?? 0;
  for (const s of series) for (const [, v] of s.points) if (v > max) max = v;
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1];
  const x = (t: number) => b.left + ((t - from) / (to - from)) * (b.width - b.left - b.right);
  const y = (v: number) => b.height - b.bottom - (v / top) * (b.height - b.top - b.bottom);
  axes(svg, b, from, to, ticks, x, y, opts.unit);
  series.forEach((s, i) => {
    const g = el("g", { class: `series s${i % 6}`, "data-link": s.name });
    for (const seg of segments(s.points, opts.maxGap)) {
      const d = seg.map(([t, v], j) => `${j ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join("");
      // A lone point (a link seen for one bucket) is a round dot, not an invisible 1-px line.
      g.appendChild(el("path", { d: seg.length === 1 ? d + `h0.1` : d, "data-link": s.name, "data-points": seg.length, ...(seg.length === 1 ? { class: "dot" } : {}) }));
    }
    svg.appendChild(g);
  });
  markLines(svg, b, opts.marks ?? [], from, to, x);
  hover(svg, b, series, from, to, opts.unit, opts.maxGap);
  return svg;
}

/** Bars over [from, to], each `bucketMs` wide; a bar's <title> says its value. */
export function barChart(points: ReadonlyArray<{ t: number; value: number; note: string }>, from: number, to: number, bucketMs: number, opts: { label: string; unit: string }, b: Box = BOX): SVGSVGElement {
  const svg = frame(b, opts.label);
  const ticks = niceTicks(Math.max(1, ...points.map((p) => p.value)));
  const top = ticks[ticks.length - 1];
  const x = (t: number) => b.left + ((t - from) / (to - from)) * (b.width - b.left - b.right);
  const y = (v: number) => b.height - b.bottom - (v / top) * (b.height - b.top - b.bottom);
  axes(svg, b, from, to, ticks, x, y, opts.unit);
  const g = el("g", { class: "bars" });
  for (const p of points) {
    const x0 = Math.max(b.left, x(p.t));
    const w = Math.max(1, x(p.t + bucketMs) - x0 - 1);
    const r = el("rect", { x: x0.toFixed(1), y: y(p.value).toFixed(1), width: w.toFixed(1), height: Math.max(0, y(0) - y(p.value)).toFixed(1), "data-count": p.value });
    r.appendChild(el("title", {}, p.note));
    g.appendChild(r);
  }
  svg.appendChild(g);
  return svg;
}

/** Marks on a time axis, one per event, coloured by `kind` (a CSS class); <title> holds the text. */
export function eventStrip(events: ReadonlyArray<{ t: number; kind: string; text: string }>, from: number, to: number, label: string, b: Box = { ...BOX, height: 40 }): SVGSVGElement {
  const svg = frame(b, label);
  const x = (t: number) => b.left + ((t - from) / (to - from)) * (b.width - b.left - b.right);
  const mid = b.top + (b.height - b.top - b.bottom) / 2;
  svg.appendChild(el("line", { x1: b.left, x2: b.width - b.right, y1: mid, y2: mid, class: "grid" }));
  const g = el("g", { class: "axes" });
  for (const t of timeTicks(from, to)) g.appendChild(el("text", { x: x(t), y: b.height - 5, "text-anchor": "middle" }, timeLabel(t, to - from)));
  svg.appendChild(g);
  for (const e of events) {
    const m = el("rect", { x: (x(e.t) - 1.5).toFixed(1), y: b.top, width: 3, height: (b.height - b.top - b.bottom), class: `mark ${e.kind}`, "data-type": e.kind });
    m.appendChild(el("title", {}, e.text));
    svg.appendChild(m);
  }
  return svg;
}
