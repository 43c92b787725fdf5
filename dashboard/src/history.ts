// The history panel: what the fleet history API (fleet/api/history-api.ts, same origin) has
// stored, so a page opened after the fact still shows what happened. For the selected router: what
// it last reported, RTT and loss per link and its failover timeline over the last hour, day or
// week; for the fleet: failovers per hour and the routers that switched most. The selection lives
// in the URL (#router=<id>&range=<hour|day|week>), so a reload shows the same history at once. Live updates stay
// on MQTT (app.ts); this panel re-reads the API every 30 s. DOM by createElement/textContent only.
import { barChart, eventStrip, lineChart, type Series } from "./charts";

type Range = "hour" | "day" | "week";
const REFRESH_MS = 30000;
const ROUTER_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

interface TimelineEvent { at: number; type: string; epoch: number | null; link: string | null; from: string | null; to: string | null; reason: string | null; detail: string | null }
interface LinkPoint { t: number; rttMs: number; lossPct: number; samples: number }
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
  #seq = 0;
  readonly el: HTMLElement;
  readonly #title = h("span", { id: "history-router", text: "select a router" });
  readonly #status = h("p", { class: "history-status", id: "history-status" });
  readonly #summary = h("p", { class: "history-summary", id: "history-summary" });
  readonly #rtt = h("div", { class: "chart-box", id: "chart-rtt" });
  readonly #loss = h("div", { class: "chart-box", id: "chart-loss" });
  readonly #strip = h("div", { class: "chart-box", id: "chart-switches" });
  readonly #legend = h("p", { class: "legend", id: "history-legend" });
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
    select.addEventListener("change", () => { this.#range = select.value as Range; this.#remember(); void this.load(); });
    this.#rangeSelect = select;
    this.el = h("section", { id: "history-box" },
      h("h2", {}, document.createTextNode("History: "), this.#title), select, this.#status, this.#summary,
      h("h3", { text: "RTT per link (ms)" }), this.#rtt, h("h3", { text: "Loss per link (%)" }), this.#loss, this.#legend,
      h("h3", { text: "Switches" }), this.#strip, this.#timeline);
    this.#fleetEl = h("section", { id: "fleet-history-box" },
      h("h2", { text: "Fleet failovers per hour (last day)" }), this.#fleetStatus, this.#fleetChart,
      h("h3", { text: "Switched most this week" }), this.#top);
    this.#top.addEventListener("click", (ev) => {
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
      this.#rangeSelect.value = range;
    }
    this.#remember();
    void this.load();
  }

  /** The selection in the URL: a reload (or a shared link) opens the same history. */
  #remember(): void {
    if (this.#router) history.replaceState(null, "", `#router=${encodeURIComponent(this.#router)}&range=${this.#range}`);
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
      this.#rtt.replaceChildren(lineChart(rtt, links.from, links.to, { label: `RTT per link, ${id}, last ${r}`, unit: " ms", maxGap: gap }));
      this.#loss.replaceChildren(lineChart(loss, links.from, links.to, { label: `loss per link, ${id}, last ${r}`, unit: "%", maxGap: gap, minMax: 1 }));
      this.#legend.replaceChildren(...links.links.map((l, i) => h("span", { class: `key s${i % 6}`, text: l.name })));
      const switches = tl.events.filter((e) => SWITCHES.has(e.type) || e.type === "offline" || e.type === "online");
      this.#strip.replaceChildren(eventStrip(switches.map((e) => ({ t: e.at, kind: e.type, text: `${new Date(e.at).toLocaleString()} ${describeEvent(e)}` })),
        tl.from, tl.to, `switches, ${id}, last ${r}`));
      const items = tl.events.map((e) => {
        const li = h("li", { text: `${r === "hour" ? new Date(e.at).toLocaleTimeString() : new Date(e.at).toLocaleString()} ${describeEvent(e)}` });
        li.dataset.type = e.type;
        return li;
      });
      this.#timeline.replaceChildren(...(items.length ? items : [h("li", { text: `no events in the last ${r}` })]));
      const points = links.links.reduce((s, l) => s + l.points.length, 0);
      this.#status.textContent = `${tl.events.length} events, ${links.links.length} links, ${points} points`;
    } catch (e) {
      if (seq !== this.#seq) return;
      this.#status.textContent = `history unavailable: ${(e as Error).message}`;
    }
  }

  #renderSummary(s: Summary | null): void {
    if (!s) { this.#summary.textContent = "nothing stored for this router yet"; return; }
    const seen = s.lastHeartbeatAt ? `last heartbeat ${new Date(s.lastHeartbeatAt).toLocaleString()}` : "no heartbeat stored";
    const presence = s.online === null ? "presence unknown" : s.online ? "online" : "offline";
    this.#summary.textContent = `${presence}, on ${s.active ?? "–"}, epoch ${s.epoch ?? "–"}, firmware ${s.firmware ?? "–"}, config v${s.configVersion ?? "–"}; ${seen}`;
  }

  async #loadFleet(): Promise<void> {
    try {
      const [f, top] = await Promise.all([
        getJson<{ from: number; to: number; bucketS: number; points: Array<{ t: number; failovers: number; routers: number }> }>("api/history/fleet/failovers?range=day"),
        getJson<{ routers: Array<{ id: string; switches: number }> }>("api/history/fleet/top-switchers?range=week&limit=10"),
      ]);
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
