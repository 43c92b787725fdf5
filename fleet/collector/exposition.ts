// Prometheus text exposition (format 0.0.4), written by hand: counters, gauges and histograms
// with label values from fixed enums declared up front. A label value outside its enum throws,
// so no message from a router can create a series; every series exists from the start (at 0),
// so rate() and absent() behave from the first scrape.
type Labels = Record<string, string>;

abstract class Family {
  protected readonly values = new Map<string, number>();

  constructor(readonly name: string, readonly help: string, readonly type: "counter" | "gauge", readonly labels: Readonly<Record<string, readonly string[]>> = {}) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`bad metric name ${name}`);
    for (const key of combinations(labels)) this.values.set(key, 0);
  }

  protected key(l: Labels): string {
    const names = Object.keys(this.labels);
    if (Object.keys(l).length !== names.length) throw new Error(`${this.name}: labels ${Object.keys(l).join(",")} but declared ${names.join(",")}`);
    const parts: string[] = [];
    for (const n of names) {
      const v = l[n];
      if (!this.labels[n].includes(v)) throw new Error(`${this.name}: ${n}="${v}" is not one of the declared values`);
      parts.push(`${n}="${v}"`);
    }
    return parts.join(",");
  }

  render(): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
    for (const [k, v] of this.values) out += `${this.name}${k ? `{${k}}` : ""} ${formatValue(v)}\n`;
    return out;
  }
}

export class Counter extends Family {
  constructor(name: string, help: string, labels: Readonly<Record<string, readonly string[]>> = {}) {
    super(name, help, "counter", labels);
  }
  inc(labels: Labels = {}, by = 1): void {
    const k = this.key(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number { return this.values.get(this.key(labels)) ?? 0; }
}

export class Gauge extends Family {
  constructor(name: string, help: string, labels: Readonly<Record<string, readonly string[]>> = {}) {
    super(name, help, "gauge", labels);
  }
  set(labels: Labels, value: number): void { this.values.set(this.key(labels), value); }
  get(labels: Labels = {}): number { return this.values.get(this.key(labels)) ?? 0; }
}

/**
 * A gauge with one label whose values are not known up front (a router id, so that an alert can
 * name the router) and so are bounded here instead: each value must match `pattern`, and at most
 * `max` series exist at once (the caller picks which). A value that fails the pattern throws; the
 * caller says what it left out in a gauge of its own. Nothing is rendered while the list is empty.
 */
export class ListedGauge {
  #entries: Array<[string, number]> = [];

  constructor(readonly name: string, readonly help: string, readonly label: string, readonly pattern: RegExp, readonly max: number) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`bad metric name ${name}`);
  }

  /** Replace every series; throws if there are more than `max` or a value fails the pattern. */
  setAll(entries: ReadonlyArray<readonly [string, number]>): void {
    if (entries.length > this.max) throw new Error(`${this.name}: ${entries.length} series, at most ${this.max}`);
    for (const [v] of entries) if (!this.pattern.test(v)) throw new Error(`${this.name}: ${this.label}="${v.slice(0, 80)}" does not match ${this.pattern}`);
    this.#entries = entries.map(([k, v]) => [k, v]);
  }

  get size(): number { return this.#entries.length; }

  render(): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} gauge\n`;
    for (const [k, v] of this.#entries) out += `${this.name}{${this.label}="${k}"} ${formatValue(v)}\n`;
    return out;
  }
}

/** A histogram of observations in fixed buckets (upper bounds in the metric's unit). */
export class Histogram {
  #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[]) {
    this.#counts = buckets.map(() => 0);
  }

  observe(v: number): void {
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) this.#counts[i]++;
    this.#sum += v;
    this.#count++;
  }

  /** Replace the whole distribution (a snapshot over a population, e.g. heartbeat ages of all routers). */
  setSnapshot(cumulative: readonly number[], sum: number, count: number): void {
    this.#counts = [...cumulative];
    this.#sum = sum;
    this.#count = count;
  }

  render(): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} histogram\n`;
    this.buckets.forEach((b, i) => { out += `${this.name}_bucket{le="${formatValue(b)}"} ${this.#counts[i]}\n`; });
    out += `${this.name}_bucket{le="+Inf"} ${this.#count}\n${this.name}_sum ${formatValue(this.#sum)}\n${this.name}_count ${this.#count}\n`;
    return out;
  }
}

export type Metric = Counter | Gauge | Histogram | ListedGauge;

export function renderAll(metrics: readonly Metric[]): string {
  return metrics.map((m) => m.render()).join("");
}

function combinations(labels: Readonly<Record<string, readonly string[]>>): string[] {
  let keys = [""];
  for (const [n, values] of Object.entries(labels)) {
    keys = keys.flatMap((k) => values.map((v) => (k ? k + "," : "") + `${n}="${v}"`));
  }
  return keys;
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}
