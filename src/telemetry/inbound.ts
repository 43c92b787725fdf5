// Messages from the fleet: config/set and cmd/<name>. Each payload is checked against its JSON
// Schema by the validators generated at build time (no eval on the device). Anything that fails
// is answered on .../reply with what and where, counted, and changes nothing.
import type { MqttMessage, MqttSession } from "../ports";
import { parseConfig, type DeviceConfig } from "../config/config";
import { describeErrors, validators, type Validator } from "../config/validator";
import type { EventLog } from "./events";
import type { Topics } from "./topics";

export interface CommandTarget {
  /** Returns an error message, or null when the config now runs. */
  applyConfig(cfg: DeviceConfig, json: string): string | null;
  pin(link: string, holdMs: number): string | null;
  reboot(reason: string, delayMs: number): void;
  probeNow(link: string | null): string | null;
}

const COMMANDS: Record<string, Validator> = {
  "failover": validators.validateCmdFailover,
  "reboot": validators.validateCmdReboot,
  "probe-now": validators.validateCmdProbeNow,
};

interface Request { id?: string; [k: string]: unknown }

export class Inbound {
  /** Rejected messages since boot (malformed, invalid or refused). */
  rejected = 0;

  constructor(
    private readonly topics: Topics,
    private readonly mqtt: MqttSession,
    private readonly events: EventLog,
    private readonly target: CommandTarget,
    /** Publishes a reply, holding it over a session rebuild. */
    private readonly send: (message: MqttMessage) => void,
  ) {}

  subscribe(): void {
    this.mqtt.subscribe(this.topics.configSet);
    this.mqtt.subscribe(this.topics.cmd + "+");
  }

  handle(topic: string, payload: string): void {
    if (topic === this.topics.configSet) return this.#config(payload);
    if (topic.startsWith(this.topics.cmd)) return this.#command(topic.slice(this.topics.cmd.length), payload);
  }

  #config(payload: string): void {
    const req = this.#parse("config/set", payload, validators.validateConfigSet);
    if (!req) return;
    const json = JSON.stringify(req.config);
    // Cross-field rules live in parseConfig; it also proves the stored text reads back.
    const parsed = parseConfig(json);
    if (!parsed.ok) return this.#reject("config/set", req.id, "/config" + parsed.error);
    const error = this.target.applyConfig(parsed.value, json);
    if (error) return this.#reject("config/set", req.id, error);
    this.#reply("config/set", req.id, true, null);
  }

  #command(name: string, payload: string): void {
    const validate = COMMANDS[name];
    if (!validate) return this.#reject("cmd/" + name, undefined, `unknown command '${name}' (known: ${Object.keys(COMMANDS).join(", ")})`);
    const req = this.#parse("cmd/" + name, payload, validate);
    if (!req) return;
    let error: string | null = null;
    if (name === "failover") error = this.target.pin(req.link as string, req.holdMs as number);
    else if (name === "probe-now") error = this.target.probeNow((req.link as string | undefined) ?? null);
    if (error) return this.#reject("cmd/" + name, req.id, error);
    this.#reply("cmd/" + name, req.id, true, null);
    if (name === "reboot") this.target.reboot(req.reason as string, req.delayMs as number);
  }

  #parse(what: string, payload: string, validate: Validator): Request | null {
    let value: unknown;
    try {
      value = JSON.parse(payload);
    } catch {
      // The engine's own parse message differs between XS and V8; say what we know for sure.
      this.#reject(what, undefined, `payload is not JSON (${payload.length} bytes)`);
      return null;
    }
    if (!validate(value)) {
      const id = value && typeof value === "object" && typeof (value as Request).id === "string" ? (value as Request).id : undefined;
      this.#reject(what, id, describeErrors(validate.errors));
      return null;
    }
    return value as Request;
  }

  #reject(what: string, id: string | undefined, error: string): void {
    this.rejected++;
    if (what === "config/set") this.events.emit({ type: "config-rejected", source: "mqtt", error });
    else this.events.emit({ type: "cmd-rejected", cmd: what, error });
    this.#reply(what, id, false, error);
  }

  #reply(what: string, id: string | undefined, ok: boolean, error: string | null): void {
    const body: Record<string, unknown> = { cmd: what, ok };
    if (id !== undefined) body.id = id;
    if (error !== null) body.error = error;
    this.send({ topic: this.topics.reply, qos: 1, retain: false, payload: JSON.stringify(body) });
  }
}
