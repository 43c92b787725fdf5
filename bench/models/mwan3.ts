// OpenWrt mwan3 with its documented defaults, as mwan3track runs them (openwrt/packages,
// net/mwan3: files/usr/sbin/mwan3track and the option defaults documented in the OpenWrt mwan3
// guide): tracking_method ping, interval 10 s, timeout 4 s, count 1, down 5, up 5, reliability 1,
// failure_interval = recovery_interval = interval, and the two track_ip entries of the shipped
// defaults (8.8.8.8, 208.67.222.222), pinged one after the other each cycle.
// Score: starts at down+up; a failed cycle (fewer than `reliability` hosts answered) lowers it, and
// reaching `up` marks the interface offline (score 0); `up` good cycles in a row bring it back.
import type { TrackerEnv, TrackerModel } from "./model";
import type { ProbeTarget } from "../../src/ports";

export const MWAN3_DEFAULTS = {
  intervalMs: 10000, timeoutMs: 4000, count: 1, down: 5, up: 5, reliability: 1,
  trackIps: ["8.8.8.8", "208.67.222.222"],
};

export const mwan3: TrackerModel = {
  name: "OpenWrt mwan3 (defaults)",
  start(env: TrackerEnv): void {
    const d = MWAN3_DEFAULTS;
    const targets: ProbeTarget[] = d.trackIps.map((host) => ({ kind: "icmp", host }));
    let score = d.down + d.up;
    let online = true;
    const cycle = () => {
      let answered = 0;
      let i = 0;
      const next = () => {
        if (i === targets.length) return finish();
        const t = targets[i++];
        let replies = 0, sent = 0;
        const ping = () => env.probe(t, d.timeoutMs, (r) => {
          if (r.ok) replies++;
          if (++sent < d.count) ping();
          else { if (replies > 0) answered++; next(); }
        });
        ping();
      };
      const finish = () => {
        if (answered < d.reliability) {
          if (score > 0) score--;
          if (online && score <= d.up) { online = false; score = 0; env.verdict(false); }
        } else {
          if (score < d.down + d.up) score++;
          if (!online && score >= d.up) { online = true; score = d.down + d.up; env.verdict(true); }
        }
        env.clock.after(d.intervalMs, cycle);
      };
      next();
    };
    // Trackers start at a random point of their cycle relative to the fault; the seed decides.
    env.clock.after(0, cycle);
  },
};
