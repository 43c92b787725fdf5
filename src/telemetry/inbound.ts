// Messages from the fleet: config/set and cmd/<name>. Each one is hostile until it has passed, in
// this order: not a retained replay, at most MAX_INBOUND_BYTES, a command that exists (looked up
// in a Map: "__proto__" or "constructor" name nothing), nesting and value count within bounds and
// no key twice (a flat scan, before JSON.parse), its JSON Schema (validators generated at build
// time, no eval on the device), then for this boot and not expired. Every command must be dated
// (epoch, expiresAtMs): the session is persistent, so an undated cmd/reboot or cmd/failover queued
// while the router was away would run whenever it came back, hours later in the same boot. A
// config/set may be undated: a config is desired state, meant to apply whenever the router is
// back (a dated one is held to its date like a command). Anything that fails is answered on
// .../reply with what and where, in a reply of bounded size that quotes nothing the sender could
// make long; it is counted and changes nothing.
import type { InboundMessage, MqttMessage, MqttSession } from "../ports";
import { parseConfig, type DeviceConfig } from "../config/config";
import { describeErrors, validators, type SchemaError, type Validator } from "../config/validator";
import { RateLimit } from "../config/rate-limit";
import type { EventLog } from "./events";
import type { Topics } from "./topics";
import { checkJsonShape } from "../config/json-guard";
import { MAX_INBOUND_BYTES, MAX_REQUEST_LIFE_MS, boundError, quote, validId } from "../config/limits";
import { KEY_NAMES } from "../config/generated/key-names";

const KNOWN_KEYS = new Set(KEY_NAMES);
import { utf8Length } from "../config/utf8";

export interface CommandTarget {
  /** Returns an error message, or null when the config now runs. */
  applyConfig(cfg: DeviceConfig, json: string): string | null;
  /** The stored text of the running config (null: the built-in defaults). */
  runningConfigJson(): string | null;
  pin(link: string, holdMs: number): string | null;
  reboot(reason: string, delayMs: number): void;
  probeNow(link: string | null): string | null;
  /** An uplink of this device (its name may be a key in a config's links map). */
  hasLink(name: string): boolean;
}

export interface InboundDeps {
  topics: Topics;
  mqtt: MqttSession;
  events: EventLog;
  target: CommandTarget;
  /** Publishes a reply, holding it over a session rebuild. */
  send: (message: MqttMessage) => void;
  /** The monotonic clock the heartbeat reports as uptimeMs (what expiresAtMs is judged by). */
  now: () => number;
  /** This boot's epoch: a command that names another boot is stale. */
  epoch: number;
  /** This boot's random id: a command that names another is stale even if the epoch matches. */
  bootId: string;
}

/** Config writes: 4 at once, then one a minute (each is two NVS writes; flash wears). */
const CONFIG_WRITES_BURST = 4;
const CONFIG_WRITE_EVERY_MS = 60000;
/** Rejection events: 10 at once, then one per 6 s; beyond that only the heartbeat's count grows. */
const REJECT_EVENTS_BURST = 10;
const REJECT_EVENT_EVERY_MS = 6000;
/**
 * Answers remembered by request id: a redelivered request gets the same answer, not a second run.
 * An answer to a dated request (expiresAtMs) is kept until that time has passed: a redelivery
 * after it is refused as expired anyway, and one before it finds the answer. When all 16 are
 * still live, a new dated request is refused with retryInMs instead of pushing one out (only fleet
 * logins may send requests, so only an operator can fill it, for at most MAX_REQUEST_LIFE_MS).
 * RAM is enough: a dated request names its boot (epoch), and a reboot makes it stale. Answers to
 * undated requests (configs only: commands must be dated) are kept as room allows, oldest out.
 */
const ANSWERS_KEPT = 16;

interface Request {
  id?: string;
  epoch?: number;
  bootId?: string;
  expiresAtMs?: number;
  [k: string]: unknown;
}

type Apply = (req: Request) => string | null;

export class Inbound {
  /** Rejected messages since boot (malformed, invalid, refused or retained). */
  rejected = 0;
  #d: InboundDeps;
  #commands: Map<string, { validate: Validator; apply: Apply; after?: (req: Request) => void }>;
  #writes: RateLimit;
  #rejectEvents: RateLimit;
  #answers: Array<{ key: string; payload: string; until: number | null }> = [];
  /** The request being answered, once it has passed its schema: its answer is remembered. */
  #key: string | null = null;
  #until: number | null = null;

  constructor(d: InboundDeps) {
    this.#d = d;
    const t = d.target;
    this.#commands = new Map([
      ["failover", { validate: validators.validateCmdFailover, apply: (r: Request) => t.pin(r.link as string, r.holdMs as number) }],
      ["probe-now", { validate: validators.validateCmdProbeNow, apply: (r: Request) => t.probeNow((r.link as string | undefined) ?? null) }],
      // The reply goes out before the reboot is scheduled.
      ["reboot", { validate: validators.validateCmdReboot, apply: () => null, after: (r: Request) => t.reboot(r.reason as string, r.delayMs as number) }],
    ]);
    this.#writes = new RateLimit(CONFIG_WRITES_BURST, CONFIG_WRITE_EVERY_MS, d.now());
    this.#rejectEvents = new RateLimit(REJECT_EVENTS_BURST, REJECT_EVENT_EVERY_MS, d.now());
  }

  subscribe(): void {
    this.#d.mqtt.subscribe(this.#d.topics.configSet);
    this.#d.mqtt.subscribe(this.#d.topics.cmd + "+");
  }

  handle(m: InboundMessage): void {
    const t = this.#d.topics;
    this.#key = null;
    this.#until = null;
    let what: string, name: string | null = null;
    if (m.topic === t.configSet) what = "config/set";
    else if (m.topic.startsWith(t.cmd)) {
      name = m.topic.slice(t.cmd.length);
      what = "cmd/" + quote(name);
    } else return;

    // A retained message is a replay of something old (a retained cmd/reboot would reboot the
    // router on every connect), never a request made now.
    if (m.retained) return this.#reject(what, undefined, "retained message ignored: publish commands with retain off");
    const payload = m.payload;
    if (m.bytes > MAX_INBOUND_BYTES) return this.#tooBig(what, m.bytes);
    if (payload === null) return this.#reject(what, undefined, `payload is not UTF-8 text (${m.bytes} bytes)`);
    // Trust the port's byte count only as far as the text agrees with it.
    if (payload.length > MAX_INBOUND_BYTES) return this.#tooBig(what, payload.length);
    const bytes = utf8Length(payload);
    if (bytes > MAX_INBOUND_BYTES) return this.#tooBig(what, bytes);

    const command = name === null ? null : this.#commands.get(name);
    if (name !== null && !command) {
      return this.#reject(what, undefined, `unknown command '${quote(name)}' (known: ${[...this.#commands.keys()].join(", ")})`);
    }
    const req = this.#parse(what, payload, command ? command.validate : validators.validateConfigSet, name !== null);
    if (!req) return;
    const key = req.id === undefined ? null : what + " " + req.id;
    if (key !== null) {
      const earlier = this.#answers.find((a) => a.key === key);
      // Redelivered (QoS 1 after a session rebuild) or sent twice: same answer, applied once.
      if (earlier) return this.#d.send({ topic: t.reply, qos: 1, retain: false, payload: earlier.payload });
    }
    this.#key = key;
    if (req.epoch !== undefined && req.epoch !== this.#d.epoch) {
      return this.#reject(what, req.id, `stale: sent for boot ${req.epoch}, this is boot ${this.#d.epoch}`);
    }
    if (req.bootId !== undefined && req.bootId !== this.#d.bootId) {
      return this.#reject(what, req.id, `stale: sent for boot id ${req.bootId}, this is ${this.#d.bootId}`);
    }
    const now = this.#d.now();
    if (req.expiresAtMs !== undefined && now > req.expiresAtMs) {
      return this.#reject(what, req.id, `expired at uptime ${req.expiresAtMs} ms (now ${now} ms)`);
    }
    if (req.expiresAtMs !== undefined && req.expiresAtMs - now > MAX_REQUEST_LIFE_MS) {
      return this.#reject(what, req.id, `expiresAtMs ${req.expiresAtMs} is ${Math.round(req.expiresAtMs - now)} ms after this router's uptime (${Math.round(now)} ms): a request lives at most ${MAX_REQUEST_LIFE_MS} ms`);
    }
    if (key !== null && req.expiresAtMs !== undefined) {
      const busyFor = this.#roomInMs(now);
      if (busyFor > 0) {
        return this.#reject(what, req.id, `busy: ${ANSWERS_KEPT} requests still within their expiry are remembered; retry in ${Math.ceil(busyFor / 1000)} s`, busyFor);
      }
      this.#until = req.expiresAtMs;
    }
    if (!command) return this.#config(req);
    const error = command.apply(req);
    if (error) return this.#reject(what, req.id, error);
    this.#reply(what, req.id, true, null);
    command.after?.(req);
  }

  #config(req: Request): void {
    const json = JSON.stringify(req.config);
    // Cross-field rules live in parseConfig; it also proves the stored text reads back.
    const parsed = parseConfig(json);
    if (!parsed.ok) return this.#reject("config/set", req.id, "/config" + parsed.error);
    // The running config sent again: nothing to write.
    if (json === this.#d.target.runningConfigJson()) return this.#reply("config/set", req.id, true, null);
    const now = this.#d.now();
    const wait = this.#writes.waitMs(now);
    if (wait > 0) {
      return this.#reject("config/set", req.id, `rate limited: at most ${CONFIG_WRITES_BURST} config writes, then one per ${CONFIG_WRITE_EVERY_MS / 1000} s; retry in ${Math.ceil(wait / 1000)} s`, wait);
    }
    const error = this.#d.target.applyConfig(parsed.value, json);
    if (error) return this.#reject("config/set", req.id, error);
    this.#writes.take(now);
    this.#reply("config/set", req.id, true, null);
  }

  /** 0 when an answer can be remembered now, else how long until one of the remembered ones may go. */
  #roomInMs(now: number): number {
    if (this.#answers.length < ANSWERS_KEPT) return 0;
    let soonest = Infinity;
    for (const a of this.#answers) {
      if (a.until === null || a.until < now) return 0;
      if (a.until < soonest) soonest = a.until;
    }
    return soonest - now + 1;
  }

  /** Drops the oldest answer that may go (an undated one, or one past its expiry); false when none may. */
  #forgetOne(now: number): boolean {
    for (let i = 0; i < this.#answers.length; i++) {
      const a = this.#answers[i];
      if (a.until === null || a.until < now) { this.#answers.splice(i, 1); return true; }
    }
    return false;
  }

  /** A property name some inbound schema defines, or one of this device's uplinks (the links map). */
  #keyAllowed = (key: string): boolean => KNOWN_KEYS.has(key) || this.#d.target.hasLink(key);

  #parse(what: string, payload: string, validate: Validator, isCommand: boolean): Request | null {
    const shape = checkJsonShape(payload, { keyAllowed: this.#keyAllowed });
    if (shape !== null) {
      this.#reject(what, undefined, `payload refused before parsing: ${shape}`);
      return null;
    }
    let value: unknown;
    try {
      value = JSON.parse(payload);
    } catch {
      // The engine's own parse message differs between XS and V8; say what we know for sure.
      this.#reject(what, undefined, `payload is not JSON (${payload.length} characters)`);
      return null;
    }
    if (!validate(value)) {
      const id = value !== null && typeof value === "object" && validId((value as Request).id) ? (value as Request).id : undefined;
      this.#reject(what, id, (isCommand ? this.#undated(value, validate.errors) : null) ?? describeErrors(validate.errors));
      return null;
    }
    return value as Request;
  }

  /**
   * The refusal of a command without expiresAtMs (its schema requires it), naming what to add and
   * the values this boot takes, so a sender can date its next try without reading the docs. Null
   * when the first schema error is another one.
   */
  #undated(value: unknown, errors: readonly SchemaError[] | null | undefined): string | null {
    const first = errors?.[0];
    if (!first || first.instancePath !== "" || first.params?.missingProperty !== "expiresAtMs") return null;
    const epoch = (value as Request).epoch === undefined ? `epoch (this boot: ${this.#d.epoch}) and ` : "";
    return `a command must be dated: add ${epoch}expiresAtMs (uptime now: ${Math.floor(this.#d.now())} ms, at most ${MAX_REQUEST_LIFE_MS} ms later)`;
  }

  #tooBig(what: string, bytes: number): void {
    this.#reject(what, undefined, `payload is ${bytes} bytes (max ${MAX_INBOUND_BYTES})`);
  }

  #reject(what: string, id: string | undefined, error: string, retryInMs?: number): void {
    this.rejected++;
    const text = boundError(error);
    if (this.#rejectEvents.take(this.#d.now())) {
      if (what === "config/set") this.#d.events.emit({ type: "config-rejected", source: "mqtt", error: text });
      else this.#d.events.emit({ type: "cmd-rejected", cmd: what, error: text });
    }
    this.#reply(what, id, false, text, retryInMs);
  }

  #reply(what: string, id: string | undefined, ok: boolean, error: string | null, retryInMs?: number): void {
    const body: Record<string, unknown> = { cmd: what, ok };
    if (id !== undefined) body.id = id;
    if (error !== null) body.error = error;
    if (retryInMs !== undefined) body.retryInMs = Math.ceil(retryInMs);
    const payload = JSON.stringify(body);
    // Only answers to well-formed requests are kept (a fixed request may reuse its id), and not
    // "retry later" ones: the same request sent again then is a new try.
    if (this.#key !== null && retryInMs === undefined) {
      // An undated answer never pushes out a dated one still within its expiry.
      if (this.#answers.length < ANSWERS_KEPT || this.#forgetOne(this.#d.now())) this.#answers.push({ key: this.#key, payload, until: this.#until });
    }
    this.#d.send({ topic: this.#d.topics.reply, qos: 1, retain: false, payload });
  }
}
