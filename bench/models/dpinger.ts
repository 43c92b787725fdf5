// dpinger as pfSense runs it for a gateway (pfSense gateway defaults, documented in the pfSense
// manual "Gateway Settings" / advanced gateway options, and dpinger's own options):
// one monitor IP, send_interval 500 ms, loss_interval 2000 ms (a probe unanswered by then is lost),
// time_period 60 s, alert check every 1 s; the gateway is down while loss >= 20 % (high loss
// threshold) or average latency >= 500 ms (high latency threshold) over the period.
import type { TrackerEnv, TrackerModel } from "./model";
import type { ProbeTarget } from "../../src/ports";

export const DPINGER_DEFAULTS = {
  sendIntervalMs: 500, lossIntervalMs: 2000, timePeriodMs: 60000, alertIntervalMs: 1000,
  lossHighPct: 20, latencyHighMs: 500, monitor: "8.8.8.8",
};

export const dpinger: TrackerModel = {
  name: "pfSense dpinger (defaults)",
  start(env: TrackerEnv): void {
    const d = DPINGER_DEFAULTS;
    const target: ProbeTarget = { kind: "icmp", host: d.monitor };
    const slots = d.timePeriodMs / d.sendIntervalMs;
    // Ring of outcomes by send time: 0 pending, 1 replied, 2 lost.
    const sentAt = new Float64Array(slots), outcome = new Uint8Array(slots), rtt = new Float64Array(slots);
    let n = 0, up = true;
    env.clock.after(0, () => {
      const i = n++ % slots;
      sentAt[i] = env.clock.now();
      outcome[i] = 0;
      env.probe(target, d.lossIntervalMs, (r) => {
        if (sentAt[i] > env.clock.now() - d.lossIntervalMs - 1) { outcome[i] = r.ok ? 1 : 2; rtt[i] = r.rttMs; }
      });
    }, d.sendIntervalMs);
    env.clock.after(d.alertIntervalMs, () => {
      let lost = 0, known = 0, sum = 0, replies = 0;
      const since = env.clock.now() - d.timePeriodMs;
      for (let i = 0; i < Math.min(n, slots); i++) {
        if (sentAt[i] < since || outcome[i] === 0) continue;
        known++;
        if (outcome[i] === 2) lost++;
        else { replies++; sum += rtt[i]; }
      }
      if (known === 0) return;
      const bad = (100 * lost) / known >= d.lossHighPct || (replies > 0 && sum / replies >= d.latencyHighMs);
      if (bad === up) { up = !bad; env.verdict(up); }
    }, d.alertIntervalMs);
  },
};
