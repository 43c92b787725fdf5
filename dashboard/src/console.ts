// The console part of the page: log in (viewer or operator), act on the selected router (fail
// over, probe now, reboot, push a config after seeing what it changes) and see the router's reply
// and the audit trail. Everything shown is built as text (el/text), never markup.
import { el, text } from "./dom";
import type { FleetState } from "./fleet-state";
import { labelsOf, setLabels } from "./labels";

interface Me { name: string; role: "viewer" | "operator"; expiresAt: number }
interface AuditRow { id: number; at: number; operator: string | null; role: string | null; action: string; router_id: string | null; outcome: string; reply: string | null }
interface Change { path: string; from: unknown; to: unknown }

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const API = "api/console/";

async function call<T>(path: string, body?: unknown): Promise<{ status: number; value: T & { error?: string } }> {
  const r = await fetch(API + path, body === undefined
    ? { credentials: "same-origin", headers: { accept: "application/json" } }
    : { method: "POST", credentials: "same-origin", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  let value: T & { error?: string };
  try { value = (await r.json()) as T & { error?: string }; } catch { value = { error: `HTTP ${r.status}` } as T & { error?: string }; }
  return { status: r.status, value };
}

export class ConsolePanel {
  #me: Me | null = null;
  #router: string | null = null;
  #shownFor = "";
  readonly box = el("section", "", );
  #login = el("div", "login");
  #result = el("p", "action-result");
  #audit = el("ol", "audit");
  #sessionListeners: Array<(loggedIn: boolean) => void> = [];

  constructor(private readonly state: FleetState) {
    this.box.id = "actions-box";
    this.#result.id = "action-result";
    this.#audit.id = "audit";
  }

  mount(): void {
    $("conn").after(this.#login);
    this.#login.id = "login";
    const aside = document.querySelector("aside") as HTMLElement;
    aside.insertBefore(this.box, $("detail-box").nextSibling);
    const auditBox = el("section", "", el("h2", "", "Audit"), this.#audit);
    auditBox.id = "audit-box";
    aside.append(auditBox);
    $("rows").addEventListener("click", (ev) => {
      const id = (ev.target as HTMLElement).closest<HTMLElement>(".row")?.dataset.id;
      if (id) this.select(id);
    });
    const id = new URLSearchParams(location.hash.slice(1)).get("router");
    if (id) this.#router = id;
    void this.#refreshMe();
    setInterval(() => this.#render(), 1000);
    setInterval(() => { if (this.#me) void this.#loadAudit(); }, 10000);
  }

  /** Told whether someone is logged in, each time the page learns it (load, login, logout). */
  onSession(fn: (loggedIn: boolean) => void): void {
    this.#sessionListeners.push(fn);
    if (this.#known) fn(this.#me !== null);
  }

  #known = false;

  select(id: string): void {
    this.#router = id;
    text(this.#result, "");
    this.#render();
  }

  async #refreshMe(): Promise<void> {
    const r = await call<Me>("me").catch(() => null);
    this.#me = r && r.status === 200 ? r.value : null;
    this.#known = true;
    for (const fn of this.#sessionListeners) fn(this.#me !== null);
    this.#renderLogin();
    this.#render(true);
    if (this.#me) void this.#loadAudit();
    else this.#audit.replaceChildren(el("li", "", "log in to see the audit trail"));
  }

  #renderLogin(): void {
    if (this.#me) {
      const out = el("button", "", "Log out");
      out.id = "logout";
      out.addEventListener("click", () => void call("logout", {}).then(() => this.#refreshMe()));
      const until = new Date(this.#me.expiresAt).toLocaleTimeString();
      this.#login.replaceChildren(el("span", "who", `${this.#me.name} (${this.#me.role}) until ${until}`), out);
      return;
    }
    const name = el("input", "");
    name.id = "login-name";
    name.placeholder = "operator";
    name.autocomplete = "username";
    const pass = el("input", "");
    pass.id = "login-password";
    pass.type = "password";
    pass.placeholder = "password";
    pass.autocomplete = "current-password";
    const go = el("button", "", "Log in");
    go.id = "login-button";
    const msg = el("span", "login-msg");
    const submit = async () => {
      const r = await call<Me>("login", { name: name.value, password: pass.value });
      pass.value = "";
      if (r.status !== 200) return text(msg, r.value.error ?? "refused");
      await this.#refreshMe();
    };
    go.addEventListener("click", () => void submit());
    pass.addEventListener("keydown", (e) => { if (e.key === "Enter") void submit(); });
    this.#login.replaceChildren(name, pass, go, msg);
  }

  #render(force = false): void {
    const links = this.#router ? this.state.rows.get(this.#router)?.links.map((l) => l.name) ?? [] : [];
    const key = `${this.#router}|${this.#me?.name}|${this.#me?.role}|${links.join(",")}|${JSON.stringify(this.#router ? labelsOf(this.#router) ?? null : null)}`;
    if (!force && key === this.#shownFor) return;
    this.#shownFor = key;
    const id = this.#router;
    const title = el("h2", "", id ? `Actions: ${id}` : "Actions");
    if (!id) return void this.box.replaceChildren(title, el("p", "", "select a router"));
    if (!this.#me) return void this.box.replaceChildren(title, el("p", "", "log in to act on routers"), this.#result);
    if (this.#me.role !== "operator") return void this.box.replaceChildren(title, el("p", "viewer-note", "viewer: you can watch, not act"), this.#result);
    const pick = el("select", "", ...links.map((n) => { const o = el("option", "", n); o.value = n; return o; }));
    pick.id = "action-link";
    const button = (label: string, idAttr: string, fn: () => void) => { const b = el("button", "", label); b.id = idAttr; b.addEventListener("click", fn); return b; };
    const failover = button("Fail over to", "action-failover", () => void this.#act(id, "failover", { link: pick.value }));
    const probe = button("Probe now", "action-probe", () => void this.#act(id, "probe-now", {}));
    let armed = false;
    const reboot = button("Reboot", "action-reboot", () => {
      if (!armed) { armed = true; text(reboot, "Really reboot?"); return; }
      armed = false;
      text(reboot, "Reboot");
      void this.#act(id, "reboot", {});
    });
    const cfg = el("textarea", "");
    cfg.id = "config-text";
    cfg.rows = 4;
    cfg.placeholder = '{"telemetry": {"heartbeatMs": 10000}}';
    const changes = el("ol", "changes");
    changes.id = "config-changes";
    const push = button("Push this config", "config-push", () => void this.#pushConfig(id, cfg.value, changes, true));
    push.disabled = true;
    const diff = button("Show changes", "config-diff", () => void this.#pushConfig(id, cfg.value, changes, false).then((ok) => { push.disabled = !ok; }));
    cfg.addEventListener("input", () => { push.disabled = true; changes.replaceChildren(); });
    // Where the router is and what it is (the fleet's record, not the router's config): groups on the page.
    const now = labelsOf(id);
    const site = el("input", "");
    site.id = "label-site";
    site.placeholder = "site";
    site.value = now?.site ?? "";
    const tags = el("input", "");
    tags.id = "label-tags";
    tags.placeholder = "tags, comma separated";
    tags.value = now?.tags.join(", ") ?? "";
    const save = button("Save site and tags", "label-save", () => void this.#saveLabels(id, site.value, tags.value));
    this.box.replaceChildren(title, el("div", "actions", failover, pick, probe, reboot),
      el("div", "config", cfg, el("div", "", diff, push), changes), el("div", "labels", site, tags, save), this.#result);
  }

  async #act(router: string, action: string, body: Record<string, unknown>): Promise<void> {
    text(this.#result, `${action}: sent, waiting for ${router}'s reply…`);
    const r = await call<{ outcome: string; reply: { ok: boolean; error?: string } | null }>(`routers/${encodeURIComponent(router)}/${action}`, body);
    if (r.status !== 200) text(this.#result, `${action}: ${r.value.error ?? "HTTP " + r.status}`);
    else if (!r.value.reply) text(this.#result, `${action}: no reply from ${router}`);
    else text(this.#result, `${action}: ${router} replied ${r.value.reply.ok ? "ok" : "refused: " + (r.value.reply.error ?? "")}`);
    void this.#loadAudit();
  }

  /** Without `confirm`: show what would change; with it: push. True when there is something to push. */
  async #pushConfig(router: string, source: string, out: HTMLOListElement, confirm: boolean): Promise<boolean> {
    let config: unknown;
    try { config = JSON.parse(source); } catch { text(this.#result, "config: not JSON"); return false; }
    if (!confirm) {
      const r = await call<{ changes: Change[]; against: string }>(`routers/${encodeURIComponent(router)}/config`, { config, confirm: false });
      if (r.status !== 200) { text(this.#result, `config: ${r.value.error ?? r.status}`); return false; }
      out.replaceChildren(el("li", "", `against ${r.value.against}:`),
        ...r.value.changes.map((c) => el("li", "", `${c.path}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`)));
      if (!r.value.changes.length) out.append(el("li", "", "no change"));
      return r.value.changes.length > 0;
    }
    await this.#act(router, "config", { config, confirm: true });
    return false;
  }

  async #saveLabels(router: string, site: string, tags: string): Promise<void> {
    const list = tags.split(",").map((t) => t.trim()).filter(Boolean);
    const r = await call<{ site: string | null; tags: string[] }>(`routers/${encodeURIComponent(router)}/labels`, { site: site.trim(), tags: list });
    if (r.status !== 200) text(this.#result, `labels: ${r.value.error ?? "HTTP " + r.status}`);
    else {
      setLabels(router, r.value.site, r.value.tags);
      text(this.#result, `labels: ${router} is ${r.value.site ? "at " + r.value.site : "at no site"}${r.value.tags.length ? ", tagged " + r.value.tags.join(", ") : ""}`);
    }
    void this.#loadAudit();
  }

  async #loadAudit(): Promise<void> {
    const r = await call<{ rows: AuditRow[] }>("audit?limit=20").catch(() => null);
    if (!r || r.status !== 200) return;
    this.#audit.replaceChildren(...r.value.rows.map((a) => {
      const li = el("li", a.outcome, `${new Date(a.at).toLocaleTimeString()} ${a.operator ?? "?"} ${a.action}${a.router_id ? " " + a.router_id : ""}: ${a.outcome}`);
      li.dataset.id = String(a.id);
      return li;
    }));
  }
}
