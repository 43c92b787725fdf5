// The history panel: what the fleet history API (fleet/api/history-api.ts, same origin) has
// stored, so a page opened after the fact still shows what happened. For the selected router: what
// it last reported, RTT and loss per link and its failover timeline over the last hour, day or
// week; for the fleet: failovers per hour and the routers that switched most. The selection lives
// in the URL (#router=<id>&range=<hour|day|week>), so a reload shows the same history at once. Live updates stay
// on MQTT (app.ts); this panel re-reads the API every 30 s. DOM by createElement/textContent only.
import { barChart, clock, eventStrip, lineChart, type Mark, type Series } from "./charts";
import { fitRange } from "./chart-scales";

type Range = "hour" | "day" | "week";
const REFRESH_MS = 30000;
const ROUTER_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

interface TimelineEvent { at: number; type: string; epoch: number | null; link: string | null; from: string | null; to: string | null; reason: string | null; detail: string | null }
interface LinkPoint { t: number; rttMs: number; lossPct: number; samples: number; up?: number; degraded: number; down: number; active: number }
interface FleetEvent extends TimelineEvent { router: string }
interface Summary { online: boolean | null; active: string | null; epoch: number | null; firmware: string | null; configVersion: number | null; lastHeartbeatAt: number | null }

function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: { class?: string; id?: string; text?: string } = {}, ...kids: Node[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.class) e.className = props.class;
  if (props.id) e.id = props.id;
  if (props.text !== undefined) e.textContent = props.text;
  for (const k of kids) e.appendChild(k);
  return e;
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: "application/json" } });
  if (!res.ok) {
    let why = `HTTP ${res.status}`;
    try { why = ((await res.json()) as { error?: string }).error ?? why; } catch { why = "no history service on this server (it comes with the fleet collector)"; }
    throw Object.assign(new Error(why), { status: res.status });
  }
  return (await res.json()) as T;
}

/** What an event says, in the words of the live timeline (fleet-state.ts). */
export function describeEvent(e: TimelineEvent): string {
  switch (e.type) {
    case "initial": case "failover": case "failback": return `${e.type} ${e.from ?? "-"} → ${e.to ?? "-"}${e.reason ? ` (${e.reason})` : ""}`;
    case "link-state": return `${e.link} ${e.from} → ${e.to}${e.reason ? ` (${e.reason})` : ""}`;
    case "online": return `online (${e.detail ?? ""})`;
    case "offline": return "offline (the broker delivered its will)";
    case "rejected": return `rejected input (${e.reason}): ${e.detail ?? ""}`;
    case "watchdog": return `watchdog ${e.reason}: ${e.detail ?? ""}`;
    case "no-uplink": return "no working uplink";
    default: return [e.type, e.link, e.detail, e.reason].filter(Boolean).join(" ");
  }
}

const SWITCHES = new Set(["failover", "failback", "initial"]);

export class HistoryPanel {
  #router: string | null = null;
  #range: Range = "day";
  /** Whether the operator picked the range (the list, or the URL); if not, a router with under an hour of data is shown by the hour. */
  #rangeChosen = false;
  #seq = 0;
  readonly el: HTMLElement;
  readonly #title = h("span", { id: "history-router", text: "select a router" });
  readonly #status = h("p", { class: "history-status", id: "history-status" });
  readonly #summary = h("p", { class: "history-summary", id: "history-summary" });
  readonly #rtt = h("div", { class: "chart-box", id: "chart-rtt" });
  readonly #loss = h("div", { class: "chart-box", id: "chart-loss" });
  readonly #strip = h("div", { class: "chart-box", id: "chart-switches" });
  readonly #legend = h("p", { class: "legend", id: "history-legend" });
  readonly #avail = h("table", { class: "availability", id: "history-availability" });
  readonly #fleetStrip = h("div", { class: "chart-box", id: "chart-fleet-timeline" });
  readonly #fleetEvents = h("ol", { class: "timeline", id: "fleet-timeline" });
  readonly #timeline = h("ol", { class: "timeline", id: "history-timeline" });
  readonly #fleetEl: HTMLElement;
  readonly #fleetChart = h("div", { class: "chart-box", id: "chart-fleet" });
  readonly #fleetStatus = h("p", { class: "history-status" });
  readonly #top = h("ol", { id: "top-switchers" });
  readonly #rangeSelect: HTMLSelectElement;
  /** When the last load finished (for the bench and tests). */
  loadedAt = 0;
  lastLoadMs = 0;

  constructor() {
    const select = h("select", { id: "history-range" });
    for (const r of ["hour", "day", "week"] as Range[]) {
      const o = h("option", { text: `last ${r}` });
      o.value = r;
      select.appendChild(o);
    }
    select.value = this.#range;
    select.addEventListener("change", () => { this.#range = select.value as Range; this.#rangeChosen = true; this.#remember(); void this.load(); });
    this.#rangeSelect = select;
    this.el = h("section", { id: "history-box" },
      h("h2", {}, document.createTextNode("History: "), this.#title), select, this.#status, this.#summary,
      h("h3", { text: "RTT per link (ms)" }), this.#rtt, h("h3", { text: "Loss per link (%)" }), this.#loss, this.#legend,
      h("h3", { text: "Availability per link" }), this.#avail,
      h("h3", { text: "Switches" }), this.#strip, markKey(), this.#timeline);
    this.#fleetEl = h("section", { id: "fleet-history-box" },
      h("h2", { text: "Fleet timeline (last day)" }), this.#fleetStrip, markKey(), this.#fleetEvents,
      h("h3", { text: "Fleet failovers per hour (last day)" }), this.#fleetStatus, this.#fleetChart,
      h("h3", { text: "Switched most this week" }), this.#top);
    for (const list of [this.#top, this.#fleetEvents]) list.addEventListener("click", (ev) => {
      const id = (ev.target as HTMLElement).closest<HTMLElement>("li")?.dataset.id;
      if (id) this.select(id);
    });
  }

  get fleetEl(): HTMLElement { return this.#fleetEl; }
  get router(): string | null { return this.#router; }

  select(id: string, range?: Range): void {
    if (!ROUTER_ID.test(id)) return;
    this.#router = id;
    if (range) {
      this.#range = range;
      this.#rangeChosen = true;
      this.#rangeSelect.value = range;
    } else if (!this.#rangeChosen) {
      this.#range = "day";
      this.#rangeSelect.value = "day";
    }
    this.#remember();
    void this.load();
  }

  /** The selection in the URL: a reload (or a shared link) opens the same history. */
  #remember(): void {
    if (this.#router) history.replaceState(null, "", `#router=${encodeURIComponent(this.#router)}${this.#rangeChosen ? `&range=${this.#range}` : ""}`);
  }

  /** The router and fleet history, fetched in parallel. */
  async load(): Promise<void> {
    const seq = ++this.#seq;
    const t0 = performance.now();
    await Promise.all([this.#loadRouter(seq), this.#loadFleet()]);
    if (seq === this.#seq) { this.loadedAt = Date.now(); this.lastLoadMs = performance.now() - t0; }
  }

  async #loadRouter(seq: number): Promise<void> {
    const id = this.#router;
    if (!id) return;
    this.#title.textContent = id;
    const base = `api/history/routers/${encodeURIComponent(id)}`;
    const r = this.#range;
    this.#status.textContent = "loading…";
    try {
      const [summary, links, tl] = await Promise.all([
        getJson<Summary>(base).catch((e: { status?: number }) => (e.status === 404 ? null : Promise.reject(e))),
        getJson<{ from: number; to: number; bucketS: number; links: Array<{ name: string; points: LinkPoint[] }> }>(`${base}/links?range=${r}`),
        getJson<{ from: number; to: number; events: TimelineEvent[] }>(`${base}/timeline?range=${r}&limit=500`),
      ]);
      if (seq !== this.#seq) return; // another router or range was chosen meanwhile
      this.#renderSummary(summary);
      const gap = links.bucketS * 1000 * 2.5;
      const rtt: Series[] = links.links.map((l) => ({ name: l.name, points: l.points.map((p) => [p.t, Math.round(p.rttMs * 10) / 10]) }));
      const loss: Series[] = links.links.map((l) => ({ name: l.name, points: l.points.map((p) => [p.t, Math.round(p.lossPct * 10) / 10]) }));
      const switches = tl.events.filter((e) => SWITCHES.has(e.type) || e.type === "offline" || e.type === "online");
      const marks: Mark[] = switches.map((e) => ({ t: e.at, kind: e.type, text: `${new Date(e.at).toLocaleString()} ${describeEvent(e)}` }));
      // The window the data fill: the range asked for, narrowed to start just before the first point or event.
      const span = fitRange(links.from, links.to, [...links.links.flatMap((l) => l.points.map((p) => p.t)), ...switches.map((e) => e.at)], 5 * 60e3);
      // Under an hour of data in a day or a week: the hour's one-minute points say more than one five-minute dot.
      if (!this.#rangeChosen && r !== "hour" && span.fitted && span.to - span.from <= 3600e3) {
        this.#range = "hour";
        this.#rangeSelect.value = "hour";
        return void this.#loadRouter(seq);
      }
      this.#rtt.replaceChildren(lineChart(rtt, span.from, span.to, { label: `RTT per link, ${id}, last ${r}`, unit: " ms", maxGap: gap, marks }));
      this.#loss.replaceChildren(lineChart(loss, span.from, span.to, { label: `loss per link, ${id}, last ${r}`, unit: "%", maxGap: gap, minMax: 1, marks }));
      this.#legend.replaceChildren(...links.links.map((l, i) => h("span", { class: `key s${i % 6}`, text: l.name })));
      this.#renderAvailability(links.links);
      this.#strip.replaceChildren(eventStrip(marks, span.from, span.to, `switches, ${id}, last ${r}`));
      const items = tl.events.map((e) => {
        const li = h("li", { text: `${r === "hour" ? new Date(e.at).toLocaleTimeString() : new Date(e.at).toLocaleString()} ${describeEvent(e)}` });
        li.dataset.type = e.type;
        return li;
      });
      this.#timeline.replaceChildren(...(items.length ? items : [h("li", { text: `no events in the last ${r}` })]));
      const points = links.links.reduce((s, l) => s + l.points.length, 0);
      this.#status.textContent = `${tl.events.length} events, ${links.links.length} links, ${points} points` +
        (span.fitted ? `; showing ${clock(span.from)} to ${clock(span.to)}, the part of the last ${r} with data` : "");
    } catch (e) {
      if (seq !== this.#seq) return;
      this.#status.textContent = `history unavailable: ${(e as Error).message}`;
    }
  }

  /** Per link over the range: heartbeat samples up, degraded and down, and how much of the time it carried the traffic. */
  #renderAvailability(links: ReadonlyArray<{ name: string; points: LinkPoint[] }>): void {
    const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(n === d || n === 0 ? 0 : 1)} %` : "–");
    const head = h("tr", {}, ...["link", "up", "degraded", "down", "carried traffic"].map((t) => h("th", { text: t })));
    const rows = links.map((l) => {
      const sum = (k: "samples" | "degraded" | "down" | "active") => l.points.reduce((s, p) => s + (p[k] ?? 0), 0);
      const n = sum("samples");
      const up = l.points.reduce((s, p) => s + (p.up ?? p.samples - p.degraded - p.down), 0);
      const tr = h("tr", {}, h("td", { text: l.name }), h("td", { class: "avail-up", text: pct(up, n) }), h("td", { text: pct(sum("degraded"), n) }),
        h("td", { text: pct(sum("down"), n) }), h("td", { text: pct(sum("active"), n) }));
      tr.dataset.link = l.name;
      return tr;
    });
    this.#avail.replaceChildren(head, ...(rows.length ? rows : [h("tr", {}, h("td", { text: "no heartbeats stored in this range" }))]));
  }

  #renderSummary(s: Summary | null): void {
    if (!s) { this.#summary.textContent = "nothing stored for this router yet"; return; }
    const seen = s.lastHeartbeatAt ? `last heartbeat ${new Date(s.lastHeartbeatAt).toLocaleString()}` : "no heartbeat stored";
    const presence = s.online === null ? "presence unknown" : s.online ? "online" : "offline";
    this.#summary.textContent = `${presence}, on ${s.active ?? "–"}, epoch ${s.epoch ?? "–"}, firmware ${s.firmware ?? "–"}, config v${s.configVersion ?? "–"}; ${seen}`;
  }

  async #loadFleet(): Promise<void> {
    try {
      const [f, top, ft] = await Promise.all([
        getJson<{ from: number; to: number; bucketS: number; points: Array<{ t: number; failovers: number; routers: number }> }>("api/history/fleet/failovers?range=day"),
        getJson<{ routers: Array<{ id: string; switches: number }> }>("api/history/fleet/top-switchers?range=week&limit=10"),
        getJson<{ from: number; to: number; events: FleetEvent[] }>("api/history/fleet/timeline?range=day&limit=300"),
      ]);
      // Every router's switches and presence on one axis; the newest first below it, a click selects the router.
      const fm = ft.events.map((e) => ({ t: e.at, kind: e.type, text: `${new Date(e.at).toLocaleString()} ${e.router}: ${describeEvent(e)}` }));
      const fspan = fitRange(ft.from, ft.to, fm.map((m) => m.t), 30 * 60e3);
      this.#fleetStrip.replaceChildren(eventStrip(fm, fspan.from, fspan.to, "fleet timeline, last day"));
      this.#fleetEvents.replaceChildren(...(ft.events.length ? ft.events.slice(0, 50).map((e) => {
        const li = h("li", { text: `${new Date(e.at).toLocaleTimeString()} ${e.router}: ${describeEvent(e)}` });
        li.dataset.id = e.router;
        li.dataset.type = e.type;
        return li;
      }) : [h("li", { text: "no switches or outages in the last day" })]));
      this.#fleetChart.replaceChildren(barChart(f.points.map((p) => ({ t: p.t, value: p.failovers,
        note: `${new Date(p.t).toLocaleString()}: ${p.failovers} failovers on ${p.routers} routers` })), f.from, f.to, f.bucketS * 1000,
        { label: "fleet failovers per hour, last day", unit: "" }));
      const total = f.points.reduce((s, p) => s + p.failovers, 0);
      this.#fleetStatus.textContent = `${total} failovers in the last day`;
      this.#top.replaceChildren(...(top.routers.length ? top.routers.map((r) => {
        const li = h("li", { text: `${r.id}: ${r.switches} switches` });
        li.dataset.id = r.id;
        return li;
      }) : [h("li", { text: "no switches this week" })]));
    } catch (e) {
      this.#fleetStatus.textContent = `history unavailable: ${(e as Error).message}`;
    }
  }
}

/** Put the panels into the page's side column, follow row clicks and the URL, refresh every 30 s. */
export function mountHistory(): HistoryPanel {
  const panel = new HistoryPanel();
  const aside = document.querySelector("aside") as HTMLElement;
  const detail = document.getElementById("detail-box");
  aside.insertBefore(panel.el, detail?.nextSibling ?? null);
  aside.insertBefore(panel.fleetEl, panel.el.nextSibling);
  document.getElementById("rows")?.addEventListener("click", (ev) => {
    const id = (ev.target as HTMLElement).closest<HTMLElement>(".row")?.dataset.id;
    if (id && id !== panel.router) panel.select(id);
  });
  const hash = new URLSearchParams(location.hash.slice(1));
  const id = hash.get("router");
  const range = hash.get("range");
  if (id && ROUTER_ID.test(id)) panel.select(id, range === "hour" || range === "day" || range === "week" ? range : undefined);
  else void panel.load();
  setInterval(() => void panel.load(), REFRESH_MS);
  (window as unknown as { fleetHistory: HistoryPanel }).fleetHistory = panel;
  return panel;
}

/** What the colours of the event marks mean. */
function markKey(): HTMLElement {
  return h("p", { class: "legend marks-key" }, ...[["failover", "failover"], ["failback", "failback"], ["initial", "first uplink"], ["offline", "offline"], ["online", "online"]]
    .map(([k, t]) => h("span", { class: `mark-key ${k}`, text: t })));
}
