// Desktop simulator build: one host interface, always up; ICMP through Moddable's ping module,
// unbound (a desktop has no per-uplink interfaces). Ping reports a reply (1), a missed interval
// (2) or an error (-1) and keeps pinging until closed, so one echo is one ping object.
import Ping from "ping";
import Timer from "timer";
import Time from "time";

let nextId = 1;

const Netif = {
  setDefault(_ifkey: string): boolean { return true; },
  isUp(_ifkey: string): boolean { return true; },
  /** No per-uplink counters on the desktop: the monitors judge by probes alone. */
  counters(_ifkey: string, _into: object): boolean { return false; },
  ping(_ifkey: string, address: string, timeoutMs: number, callback: (rttMs: number) => void): void {
    const started = Time.ticks;
    let done = false;
    const finish = (rtt: number) => {
      if (done) return;
      done = true;
      Timer.clear(timer);
      ping.close();
      callback(rtt);
    };
    const ping = new Ping({ host: address, id: nextId++ & 0xffff, interval: timeoutMs }, (message) => {
      if (message === 1) finish(Time.ticks - started);
      else finish(-1);
    });
    const timer = Timer.set(() => finish(-1), timeoutMs);
  },
};
export default Netif;
