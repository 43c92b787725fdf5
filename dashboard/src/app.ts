// The fleet dashboard in the browser: MQTT over WebSockets into FleetState, and a view that
// renders only the rows in sight, at most four times a second, however fast messages arrive.
import mqtt from "mqtt";
import { FleetState, type RouterRow } from "./fleet-state";
import { mountHistory } from "./history"; // fleet history panel (history.ts): stored events and charts from the API

interface PageConfig {
  wsUrl: string;
  username?: string;
  password?: string;
  /** Heartbeats missing this long raise an alert. */
  silentMs: number;
}

const ROW_HEIGHT = 28;
const RENDER_EVERY_MS = 250;
const OVERSCAN = 8;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

class FleetView {
  readonly state = new FleetState();
  #order: string[] = [];
  #orderStale = true;
  #pool: HTMLDivElement[] = [];
  #selected: string | null = null;
  #scheduled = false;
  #lastRender = 0;
  #rateCount = 0;
  #rate = 0;
  /** Main-thread time spent ingesting and rendering, for the bench. */
  busyMs = 0;

  constructor(private readonly cfg: PageConfig) {
    $("viewport").addEventListener("scroll", () => this.schedule());
    $("filter").addEventListener("input", () => { this.#orderStale = true; this.schedule(); });
    $("view").addEventListener("change", () => { this.#orderStale = true; this.schedule(); });
    $("rows").addEventListener("click", (ev) => {
      const el = (ev.target as HTMLElement).closest<HTMLElement>(".row");
      if (el?.dataset.id) { this.#selected = el.dataset.id; this.schedule(); }
    });
    // Heartbeat ages and alerts move with time even when nothing arrives.
    setInterval(() => {
      this.#rate = this.#rateCount;
      this.#rateCount = 0;
      this.#orderStale = true;
      this.schedule();
    }, 1000);
  }

  ingest(topic: string, payload: string): void {
    const t = performance.now();
    const known = this.state.rows.size;
    this.state.ingest(topic, payload, Date.now());
    if (this.state.rows.size !== known) this.#orderStale = true;
    this.#rateCount++;
    this.busyMs += performance.now() - t;
    this.schedule();
  }

  schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    const wait = Math.max(0, RENDER_EVERY_MS - (performance.now() - this.#lastRender));
    setTimeout(() => requestAnimationFrame(() => {
      this.#scheduled = false;
      this.#lastRender = performance.now();
      const t = performance.now();
      this.render();
      this.busyMs += performance.now() - t;
    }), wait);
  }

  #isSilent(r: RouterRow, now: number): boolean {
    return r.lastHeartbeatAt !== null && now - r.lastHeartbeatAt > this.cfg.silentMs;
  }

  #onBackup(r: RouterRow): boolean {
    return r.active !== null && r.links.length > 0 && r.links[0].name !== r.active;
  }

  #buildOrder(now: number): void {
    const filter = ($("filter") as HTMLInputElement).value.trim();
    const view = ($("view") as HTMLSelectElement).value;
    const ids: string[] = [];
    for (const r of this.state.rows.values()) {
      if (filter && !r.id.includes(filter)) continue;
      if (view === "alerts" && r.online !== false && !this.#isSilent(r, now)) continue;
      if (view === "backup" && !this.#onBackup(r)) continue;
      if (view === "gaps" && r.gaps === 0) continue;
      ids.push(r.id);
    }
    ids.sort();
    this.#order = ids;
    this.#orderStale = false;
  }

  render(): void {
    const now = Date.now();
    this.state.takeDirty();
    if (this.#orderStale) this.#buildOrder(now);
    const vp = $("viewport");
    $("spacer").style.height = `${this.#order.length * ROW_HEIGHT}px`;
    const first = Math.max(0, Math.floor(vp.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const count = Math.min(this.#order.length - first, Math.ceil(vp.clientHeight / ROW_HEIGHT) + 2 * OVERSCAN);
    const rows = $("rows");
    rows.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    while (this.#pool.length < count) {
      const el = document.createElement("div");
      el.className = "row";
      el.innerHTML = '<span class="c-id"></span><span class="c-status"></span><span class="c-active"></span><span class="c-links"></span><span class="c-age"></span><span class="c-gaps"></span><span class="c-invalid"></span>';
      rows.appendChild(el);
      this.#pool.push(el);
    }
    for (let i = 0; i < this.#pool.length; i++) {
      const el = this.#pool[i];
      if (i >= count) { el.style.display = "none"; continue; }
      el.style.display = "";
      this.#fill(el, this.state.rows.get(this.#order[first + i]) as RouterRow, now);
    }
    this.#renderStats(now);
    this.#renderSide(now);
  }

  #fill(el: HTMLDivElement, r: RouterRow, now: number): void {
    el.dataset.id = r.id;
    el.classList.toggle("selected", r.id === this.#selected);
    const c = el.children as HTMLCollectionOf<HTMLElement>;
    c[0].textContent = r.id;
    const status = r.online === null ? "unknown" : r.online ? "online" : "offline";
    const silent = this.#isSilent(r, now);
    c[1].innerHTML = `<span class="badge ${status}">${status}</span>${silent ? '<span class="badge silent">silent</span>' : ""}`;
    c[1].dataset.status = status;
    c[1].dataset.silent = String(silent);
    c[2].textContent = r.active ?? "–";
    c[2].className = "c-active" + (this.#onBackup(r) ? " backup" : "");
    c[2].dataset.active = r.active ?? "";
    c[3].innerHTML = r.links.map((l) => `<span class="link ${l.state}">${l.name} ${l.state} · ${l.rttMs} ms · ${l.lossPct}%</span>`).join("");
    c[4].textContent = r.lastHeartbeatAt === null ? "never" : `${Math.round((now - r.lastHeartbeatAt) / 1000)} s ago`;
    c[5].textContent = String(r.gaps);
    c[5].className = "c-gaps" + (r.gaps > 0 ? " gaps-bad" : "");
    c[6].textContent = String(r.invalid);
  }

  #renderStats(now: number): void {
    let online = 0, offline = 0, silent = 0, backup = 0;
    for (const r of this.state.rows.values()) {
      if (r.online === true) online++;
      else if (r.online === false) offline++;
      if (this.#isSilent(r, now)) silent++;
      if (this.#onBackup(r)) backup++;
    }
    $("n-total").textContent = String(this.state.rows.size);
    $("n-online").textContent = String(online);
    $("n-offline").textContent = String(offline);
    $("n-silent").textContent = String(silent);
    $("n-backup").textContent = String(backup);
    $("n-invalid").textContent = String(this.state.invalid.length);
    $("rate").textContent = String(this.#rate);
  }

  #renderSide(now: number): void {
    const alerts: string[] = [];
    for (const r of this.state.rows.values()) {
      if (r.online === false) alerts.push(`<li data-alert="offline" data-id="${r.id}">${r.id}: offline</li>`);
      else if (this.#isSilent(r, now)) alerts.push(`<li data-alert="silent" data-id="${r.id}">${r.id}: no heartbeat for ${Math.round((now - (r.lastHeartbeatAt ?? now)) / 1000)} s</li>`);
      if (alerts.length >= 100) break;
    }
    $("alerts").innerHTML = alerts.join("") || "<li>none</li>";
    const inv = this.state.invalid.slice(-20).reverse();
    $("invalid").innerHTML = inv.map((m) => `<li><b>${esc(m.topic)}</b>: ${esc(m.error)}<br><code>${esc(m.payload)}</code></li>`).join("") || "<li>none</li>";
    const sel = this.#selected ? this.state.rows.get(this.#selected) : undefined;
    if (!sel) return;
    $("detail-title").textContent = sel.id;
    $("detail").innerHTML =
      `<p>epoch ${sel.epoch ?? "–"}, config v${sel.configVersion ?? "–"}, event gaps ${sel.gaps}</p>` +
      `<table>${sel.links.map((l) => `<tr><td>${l.name}</td><td>${l.state}</td><td>${l.rttMs} ms</td><td>${l.lossPct}%</td><td>±${l.jitterMs} ms</td></tr>`).join("")}</table>` +
      `<h2>Timeline</h2><ol class="timeline">${sel.timeline.slice().reverse().map((t) =>
        `<li>${new Date(t.at).toLocaleTimeString()} ${esc(t.text)}</li>`).join("")}</ol>`;
  }
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);
}

async function main(): Promise<void> {
  const cfg = (await (await fetch("config.json")).json()) as PageConfig;
  const view = new FleetView(cfg);
  (window as unknown as { dashboard: FleetView }).dashboard = view;
  mountHistory();
  // Several people may watch with the same read-only login: each page its own client id.
  const clientId = `${cfg.username ?? "dashboard"}-${Math.random().toString(36).slice(2, 10)}`;
  const client = mqtt.connect(cfg.wsUrl, { username: cfg.username, password: cfg.password, clientId, reconnectPeriod: 1000 });
  const conn = $("conn");
  client.on("connect", () => {
    conn.textContent = "connected";
    conn.className = "conn up";
    client.subscribe(["routers/+/state", "routers/+/birth", "routers/+/heartbeat", "routers/+/event", "routers/+/reply"], { qos: 1 });
  });
  client.on("close", () => { conn.textContent = "disconnected"; conn.className = "conn down"; });
  const decoder = new TextDecoder();
  client.on("message", (topic, payload) => view.ingest(topic, decoder.decode(payload)));
}

void main();
