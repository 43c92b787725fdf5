// Small SVG charts for the history panel, built with createElementNS and textContent only (the
// page runs under a strict CSP; nothing is parsed as markup). Plain SVG rather than a chart
// library: three chart shapes (lines over time, bars over time, event marks on a time axis) are a
// few hundred lines, need no dependency in the page bundle, and style with the page's CSS.
import { niceTicks, segments, timeTicks } from "./chart-scales";

const NS = "http://www.w3.org/2000/svg";

export interface Box { width: number; height: number; left: number; right: number; top: number; bottom: number }
export const BOX: Box = { width: 340, height: 130, left: 34, right: 6, top: 8, bottom: 18 };

export interface Series { name: string; points: Array<[number, number]> }

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
  for (const v of yTicks) {
    g.appendChild(el("line", { x1: b.left, x2: b.width - b.right, y1: y(v), y2: y(v), class: "grid" }));
    g.appendChild(el("text", { x: b.left - 3, y: y(v) + 3, "text-anchor": "end" }, `${v}${v === yTicks[yTicks.length - 1] ? unit : ""}`));
  }
  for (const t of timeTicks(from, to)) {
    g.appendChild(el("line", { x1: x(t), x2: x(t), y1: b.top, y2: b.height - b.bottom, class: "grid" }));
    g.appendChild(el("text", { x: x(t), y: b.height - 5, "text-anchor": "middle" }, timeLabel(t, to - from)));
  }
  svg.appendChild(g);
}

/** One line per series over [from, to]; `maxGap` ms without a point breaks the line. */
export function lineChart(series: readonly Series[], from: number, to: number, opts: { label: string; unit: string; maxGap: number; minMax?: number }, b: Box = BOX): SVGSVGElement {
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
      g.appendChild(el("path", { d: seg.length === 1 ? d + `h1` : d, "data-link": s.name, "data-points": seg.length }));
    }
    svg.appendChild(g);
  });
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
