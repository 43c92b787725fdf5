// The fleet dashboard in the browser: MQTT over WebSockets (ws:// or wss://, as config.json says)
// into FleetState, and a view that renders only the rows in sight, in one animation frame at most
// four times a second, however fast messages arrive.
//
// Every string here may come from a device: it reaches the page through textContent only (the
// helpers in dom.ts), never as markup, and FleetState has already bounded its size and count.
import mqtt from "mqtt";
import { FleetState, type FleetLimits, type HistoryRouter, type LinkView, type RouterRow } from "./fleet-state";
import { el, text } from "./dom";
import { mountHistory } from "./history"; // fleet history panel (history.ts): stored events and charts from the API
import { ConsolePanel } from "./console"; // login, actions on the selected router, audit trail
import { allGroups, groupsOf, labelsOf, onLabels, setLabels } from "./labels"; // sites and tags, from the history

interface PageConfig {
  wsUrl: string;
  username?: string;
  password?: string;
  /** Heartbeats missing this long raise an alert. */
  silentMs: number;
  /** Overrides of the bounds on what one device can make the page keep (tests, large fleets). */
  limits?: Partial<FleetLimits>;
  /** The server keeps the broker login until someone logs in to the console. */
  loginRequired?: boolean;
}

const ROW_HEIGHT = 28;
const RENDER_EVERY_MS = 250;
const OVERSCAN = 8;
const ALERTS_SHOWN = 100;
const STATUSES = new Set(["online", "offline", "unknown"]);
const LINK_STATES = new Set(["unknown", "up", "degraded", "down"]);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

class FleetView {
  readonly state: FleetState;
  #order: string[] = [];
  #orderStale = true;
  #pool: HTMLDivElement[] = [];
  #selected: string | null = null;
  #scheduled = false;
  #lastRender = 0;
  #rateCount = 0;
  #rate = 0;
  #invalidShown = -1;
  #detailShown = "";
  #groupsShown = "";
  /** When each router was first seen on a backup uplink (this page's clock), while it stays there. */
  #backupSince = new Map<string, number>();
  /** Main-thread time spent ingesting and rendering, for the bench. */
  busyMs = 0;
  /** Renders done, and the longest one (ms): what one frame costs. */
  renders = 0;
  renderMaxMs = 0;
  renderLastMs = 0;

  constructor(private readonly cfg: PageConfig) {
    this.state = new FleetState(cfg.limits ?? {});
    // The selection lives in the URL (#router=ID, as the history panel writes it): a reload keeps it.
    this.#selected = new URLSearchParams(location.hash.slice(1)).get("router");
    $("viewport").addEventListener("scroll", () => this.schedule());
    $("filter").addEventListener("input", () => { this.#orderStale = true; this.schedule(); });
    $("view").addEventListener("change", () => { this.#orderStale = true; this.schedule(); });
    $("sort").addEventListener("change", () => { this.#orderStale = true; this.schedule(); });
    $("group").addEventListener("change", () => { this.#orderStale = true; this.schedule(); });
    $("groups").addEventListener("click", (ev) => {
      const g = (ev.target as HTMLElement).closest<HTMLElement>("li")?.dataset.group;
      if (g === undefined) return;
      ($("group") as HTMLSelectElement).value = g;
      this.#orderStale = true;
      this.schedule();
    });
    onLabels(() => { this.#labelsChanged(); });
    $("rows").addEventListener("click", (ev) => {
      const row = (ev.target as HTMLElement).closest<HTMLElement>(".row");
      if (row?.dataset.id !== undefined) { this.#selected = row.dataset.id; this.schedule(); }
    });
    // Heartbeat ages and alerts move with time even when nothing arrives.
    setInterval(() => {
      this.#rate = this.#rateCount;
      this.#rateCount = 0;
      this.#orderStale = true;
      this.schedule();
    }, 1000);
  }

  /** New rows arrived from elsewhere than the stream (the history at load): re-sort and draw. */
  orderStale(): void {
    this.#orderStale = true;
    this.schedule();
  }

  ingest(topic: string, payload: string | Uint8Array): void {
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
      const ms = performance.now() - t;
      this.busyMs += ms;
      this.renders++;
      this.renderLastMs = ms;
      this.renderMaxMs = Math.max(this.renderMaxMs, ms);
    }), wait);
  }

  #isSilent(r: RouterRow, now: number): boolean {
    return r.lastHeartbeatAt !== null && now - r.lastHeartbeatAt > this.cfg.silentMs;
  }

  #onBackup(r: RouterRow): boolean {
    // The first link of the last heartbeat, or of the stored one until a heartbeat comes (a page just
    // opened counts the routers on backup at once, not after their next heartbeat).
    const first = r.links[0]?.name ?? r.primaryLink;
    return r.active !== null && first !== null && first !== r.active;
  }

  /** Sites and tags changed: the group list, the rows' labels and the order follow. */
  #labelsChanged(): void {
    const select = $("group") as HTMLSelectElement;
    const keep = select.value;
    const groups = allGroups();
    select.replaceChildren(el("option", "", "every site and tag"), ...groups.map((g) => el("option", "", g.replace(":", ": "))));
    select.options[0].value = "";
    groups.forEach((g, i) => { select.options[i + 1].value = g; });
    select.value = groups.includes(keep) ? keep : "";
    for (const row of this.#pool) row.dataset.key = "";
    this.#orderStale = true;
    this.schedule();
  }

  #buildOrder(now: number): void {
    const filter = ($("filter") as HTMLInputElement).value.trim();
    const view = ($("view") as HTMLSelectElement).value;
    const group = ($("group") as HTMLSelectElement).value;
    const ids: string[] = [];
    for (const r of this.state.rows.values()) {
      // On a backup uplink since when (first seen so by this page), for the status column and sorting.
      if (!this.#onBackup(r)) this.#backupSince.delete(r.id);
      else if (!this.#backupSince.has(r.id)) this.#backupSince.set(r.id, now);
      if (filter && !r.id.includes(filter) && !groupsOf(r.id).some((g) => g.slice(g.indexOf(":") + 1).includes(filter))) continue;
      if (group && !groupsOf(r.id).includes(group)) continue;
      if (view === "alerts" && r.online !== false && !this.#isSilent(r, now)) continue;
      if (view === "backup" && !this.#onBackup(r)) continue;
      if (view === "gaps" && r.gaps === 0) continue;
      ids.push(r.id);
    }
    ids.sort();
    // Then by what the operator asked for (a stable sort keeps ids in order within equal keys).
    const by = ($("sort") as HTMLSelectElement).value;
    const rows = this.state.rows;
    const rank = (id: string): number => {
      const r = rows.get(id) as RouterRow;
      if (by === "status") return r.online === false ? 0 : this.#isSilent(r, now) ? 1 : r.online === null ? 2 : 3;
      if (by === "backup") return -(now - (this.#backupSince.get(id) ?? now)) - (this.#onBackup(r) ? 1 : 0);
      if (by === "heartbeat") return r.lastHeartbeatAt ?? -Infinity;
      if (by === "gaps") return -r.gaps;
      return 0;
    };
    if (by === "site") {
      // Routers of a site together (sites in order), those with none last.
      const site = (id: string) => labelsOf(id)?.site ?? "\uffff";
      ids.sort((a, b) => (site(a) < site(b) ? -1 : site(a) > site(b) ? 1 : 0));
    } else if (by !== "id") {
      const keys = new Map(ids.map((id) => [id, rank(id)]));
      ids.sort((a, b) => (keys.get(a) as number) - (keys.get(b) as number));
    }
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
      const row = el("div", "row", ...["c-id", "c-status", "c-active", "c-links", "c-age", "c-gaps", "c-invalid"].map((c) => el("span", c)));
      rows.appendChild(row);
      this.#pool.push(row as HTMLDivElement);
    }
    for (let i = 0; i < this.#pool.length; i++) {
      const row = this.#pool[i];
      if (i >= count) { row.style.display = "none"; continue; }
      row.style.display = "";
      this.#fill(row, this.state.rows.get(this.#order[first + i]) as RouterRow, now);
    }
    this.#renderStats(now);
    this.#renderSide(now);
  }

  #fill(row: HTMLDivElement, r: RouterRow, now: number): void {
    const c = row.children as HTMLCollectionOf<HTMLElement>;
    const status = r.online === null ? "unknown" : r.online ? "online" : "offline";
    const silent = this.#isSilent(r, now);
    // What changes with time alone is redone every render; the rest only when the row changed.
    const key = `${r.version}|${status}|${silent}|${r.id === this.#selected}|${this.#backupSince.get(r.id)}`;
    if (row.dataset.id !== r.id || row.dataset.key !== key) {
      row.dataset.id = r.id;
      row.dataset.key = key;
      row.classList.toggle("selected", r.id === this.#selected);
      const site = labelsOf(r.id)?.site;
      c[0].replaceChildren(r.id, ...(site ? [el("span", "site-label", site)] : []));
      const since = this.#backupSince.get(r.id);
      c[1].replaceChildren(el("span", "badge " + (STATUSES.has(status) ? status : "unknown"), status),
        ...(silent ? [el("span", "badge silent", "silent")] : []),
        ...(since !== undefined ? [el("span", "badge backup-since", `backup since ${new Date(since).toLocaleTimeString()}`)] : []));
      c[1].dataset.status = status;
      c[1].dataset.silent = String(silent);
      text(c[2], r.active ?? "–");
      c[2].className = "c-active" + (this.#onBackup(r) ? " backup" : "");
      c[2].dataset.active = r.active ?? "";
      c[3].replaceChildren(...r.links.map((l) => el("span", "link " + linkClass(l.state), `${l.name} ${l.state} · ${l.rttMs} ms · ${l.lossPct}%`)),
        ...this.#more(r));
      c[5].className = "c-gaps" + (r.gaps > 0 ? " gaps-bad" : "");
      text(c[5], String(r.gaps));
      text(c[6], String(r.invalid));
    }
    text(c[4], r.lastHeartbeatAt === null ? "never" : `${Math.round((now - r.lastHeartbeatAt) / 1000)} s ago`);
  }

  /** "+N more" when the router sent more links than are kept. */
  #more(r: RouterRow): HTMLElement[] {
    const hidden = r.linkCount - r.links.length;
    return hidden > 0 ? [el("span", "more", `+${hidden} more (showing ${r.links.length})`)] : [];
  }

  #renderStats(now: number): void {
    let online = 0, offline = 0, silent = 0, backup = 0;
    for (const r of this.state.rows.values()) {
      if (r.online === true) online++;
      else if (r.online === false) offline++;
      if (this.#isSilent(r, now)) silent++;
      if (this.#onBackup(r)) backup++;
    }
    text($("n-total"), String(this.state.rows.size));
    text($("n-online"), String(online));
    text($("n-offline"), String(offline));
    text($("n-silent"), String(silent));
    text($("n-backup"), String(backup));
    text($("n-invalid"), String(this.state.invalidTotal));
    text($("rate"), String(this.#rate));
  }

  #renderSide(now: number): void {
    const alerts: HTMLElement[] = [];
    for (const r of this.state.rows.values()) {
      let li: HTMLElement | null = null;
      if (r.online === false) li = el("li", "", `${r.id}: offline`);
      else if (this.#isSilent(r, now)) li = el("li", "", `${r.id}: no heartbeat for ${Math.round((now - (r.lastHeartbeatAt ?? now)) / 1000)} s`);
      if (!li) continue;
      li.dataset.alert = r.online === false ? "offline" : "silent";
      li.dataset.id = r.id;
      alerts.push(li);
      if (alerts.length >= ALERTS_SHOWN) break;
    }
    $("alerts").replaceChildren(...(alerts.length ? alerts : [el("li", "", "none")]));
    this.#renderGroups(now);
    if (this.#invalidShown !== this.state.invalidVersion) this.#renderInvalid();
    const sel = this.#selected !== null ? this.state.rows.get(this.#selected) : undefined;
    if (!sel) return;
    const key = `${sel.id}|${sel.version}`;
    if (key === this.#detailShown) return;
    this.#detailShown = key;
    text($("detail-title"), sel.id);
    const table = el("table", "", ...sel.links.map((l) => el("tr", "", el("td", "", l.name), el("td", "", l.state),
      el("td", "", `${l.rttMs} ms`), el("td", "", `${l.lossPct}%`), el("td", "", `±${l.jitterMs} ms`),
      el("td", "", l.rxPps !== undefined ? `${l.rxPps} pkt/s` : ""), el("td", budgetClass(l), budgetText(l)))));
    const hidden = sel.linkCount - sel.links.length;
    if (hidden > 0) table.append(el("tr", "more", el("td", "", `+${hidden} more links (showing the first ${sel.links.length})`)));
    $("detail").replaceChildren(
      el("p", "", `epoch ${sel.epoch ?? "–"}, config v${sel.configVersion ?? "–"}, event gaps ${sel.gaps}`),
      table,
      // Said, not left blank: the heartbeat schema has no modem fields (src/config/messages/heartbeat.schema.json).
      el("p", "summary not-reported", "LTE signal, carrier and public address: not reported by this firmware's heartbeat"),
      el("h2", "", "Timeline"),
      el("ol", "timeline", ...sel.timeline.slice().reverse().map((t) => el("li", "", `${new Date(t.at).toLocaleTimeString()} ${t.text}`))));
  }

  /** Per site and tag: how many routers, how many offline or silent, how many on a backup uplink. A click filters the table. */
  #renderGroups(now: number): void {
    const counts = new Map<string, { n: number; down: number; backup: number }>();
    for (const r of this.state.rows.values()) for (const g of groupsOf(r.id)) {
      const c = counts.get(g) ?? { n: 0, down: 0, backup: 0 };
      c.n++;
      if (r.online === false || this.#isSilent(r, now)) c.down++;
      if (this.#onBackup(r)) c.backup++;
      counts.set(g, c);
    }
    const groups = allGroups().filter((g) => counts.has(g)).slice(0, 50);
    const key = groups.map((g) => `${g}:${JSON.stringify(counts.get(g))}`).join("|");
    if (key === this.#groupsShown) return;
    this.#groupsShown = key;
    $("groups").replaceChildren(...(groups.length ? groups.map((g) => {
      const c = counts.get(g) as { n: number; down: number; backup: number };
      const li = el("li", c.down ? "group-bad" : c.backup ? "group-warn" : "", `${g.replace(":", ": ")}: ${c.n} router${c.n === 1 ? "" : "s"}, ${c.down} offline or silent, ${c.backup} on backup`);
      li.dataset.group = g;
      return li;
    }) : [el("li", "", "no sites or tags yet (an operator sets them in the router's actions)")]));
  }

  #renderInvalid(): void {
    const s = this.state;
    this.#invalidShown = s.invalidVersion;
    const items = s.invalid.slice().reverse().map((m) => el("li", "", el("b", "", m.topic), `: ${m.error}`, el("br", ""), el("code", "", m.payload)));
    $("invalid").replaceChildren(...(items.length ? items : [el("li", "", "none")]));
    const d = s.dropped;
    text($("invalid-summary"), s.invalidTotal === 0 ? "" :
      `the last ${s.invalid.length} of ${s.invalidTotal}; dropped unparsed: ${d.tooLarge} too large, ${d.notUtf8} not UTF-8, ${d.badTopic} bad topic`);
  }
}

function linkClass(state: string): string {
  return LINK_STATES.has(state) ? state : "unknown";
}

const fetchConfig = async (): Promise<PageConfig> => (await (await fetch("config.json", { credentials: "same-origin" })).json()) as PageConfig;

async function main(): Promise<void> {
  const cfg = await fetchConfig();
  const view = new FleetView(cfg);
  (window as unknown as { dashboard: FleetView }).dashboard = view;
  const historyPanel = mountHistory();
  const panel = new ConsolePanel(view.state);
  panel.mount();
  // What the fleet history knows fills the table at once; the live stream then takes over.
  const seed = () => void fetch("api/history/fleet/routers", { headers: { accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : null))
    .then((body: { routers?: Array<HistoryRouter & { site?: unknown; tags?: unknown }> } | null) => {
      if (!body || !Array.isArray(body.routers)) return;
      for (const r of body.routers) if (typeof r?.id === "string" && (r.site || (Array.isArray(r.tags) && r.tags.length))) setLabels(r.id, r.site, r.tags);
      view.state.seed(body.routers);
      view.orderStale();
    })
    .catch(() => { /* no history service with this server: live data only */ });
  seed();
  const conn = $("conn");
  if (!cfg.loginRequired) return void live(view, cfg, conn);
  // The broker login comes with a console session: connect once someone has logged in, drop the
  // connection on logout (another login fetches it again).
  let client: ReturnType<typeof live> | null = null;
  text(conn, "log in to watch the live fleet");
  panel.onSession((loggedIn) => {
    if (!loggedIn) {
      client?.end(true);
      client = null;
      text(conn, "log in to watch the live fleet");
      conn.className = "conn down";
      return;
    }
    if (client) return;
    // Served over TLS, the history too waits for a session (401 before): read it now.
    seed();
    void historyPanel.load();
    void fetchConfig().then((c) => {
      if (c.password !== undefined && !client) client = live(view, c, conn);
    });
  });
}

/** The live stream: MQTT over WebSockets with the login config.json gave. */
function live(view: FleetView, cfg: PageConfig, conn: HTMLElement): mqtt.MqttClient {
  // Several people may watch with the same read-only login: each page its own client id.
  const clientId = `${cfg.username ?? "dashboard"}-${Math.random().toString(36).slice(2, 10)}`;
  const client = mqtt.connect(cfg.wsUrl, { username: cfg.username, password: cfg.password, clientId, reconnectPeriod: 1000 });
  client.on("connect", () => {
    text(conn, "connected");
    conn.className = "conn up";
    client.subscribe(["routers/+/state", "routers/+/birth", "routers/+/heartbeat", "routers/+/event", "routers/+/reply"], { qos: 1 });
  });
  client.on("close", () => { text(conn, "disconnected"); conn.className = "conn down"; });
  // Bytes, not text: FleetState measures a message before it decodes it.
  client.on("message", (topic, payload) => view.ingest(topic, payload));
  return client;
}

void main();

/** The router's own spending on a link this period, against its data budget when it has one. */
function budgetText(l: LinkView): string {
  if (l.usedBytes === undefined) return "";
  const mb = (b: number) => (b / 1e6).toFixed(b < 1e7 ? 2 : 0) + " MB";
  return l.budgetBytes ? `${mb(l.usedBytes)} of ${mb(l.budgetBytes)} (${Math.round((100 * l.usedBytes) / l.budgetBytes)} %)` : `${mb(l.usedBytes)} used`;
}

function budgetClass(l: LinkView): string {
  if (!l.budgetBytes || l.usedBytes === undefined) return "";
  const pct = (100 * l.usedBytes) / l.budgetBytes;
  return pct >= 100 ? "budget over" : pct >= 80 ? "budget near" : "budget";
}
