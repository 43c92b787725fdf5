// Uplinks on the board's three interfaces. Carrier comes from each driver's own events (Ethernet
// link, Wi-Fi association + IP, modem registration + PPP), never from probes; the default route
// is moved with esp_netif through the netif native module, and the LAN's NAPT state of the old
// uplink is dropped right after (the lan native module).
import Ethernet, { type EthernetMessage } from "ethernet";
import WiFi from "wifi";
import Netif from "netif";
import Lan from "lan";
import type { LinkInfo, Uplinks } from "../../src/ports";
import { LINKS, MODEM, type LinkWiring } from "../boards/esp32-router/board";
import { AtModem } from "../modem/at-modem";
import { log } from "./log";

export interface BoardUplinks extends Uplinks {
  /** The wiring of the link that is the default route now (probes bound to it may use sockets). */
  defaultLink(): LinkWiring | null;
  wiring(link: string): LinkWiring;
}

export function createUplinks(wifi: { ssid: string; password: string } | null): BoardUplinks {
  const carrier = new Map<string, boolean>(LINKS.map((l) => [l.name, false]));
  const listeners: Array<(link: string, up: boolean) => void> = [];
  let current: LinkWiring | null = null;
  let dropUnavailableLogged = false;

  const set = (name: string, up: boolean) => {
    if (carrier.get(name) === up) return;
    carrier.set(name, up);
    for (const fn of listeners) fn(name, up);
  };

  for (const l of LINKS) {
    if (l.kind === "ethernet") {
      // start() brings up the MAC and PHY; without it the monitor is never called. The monitor
      // takes its callback as the only argument (the SDK ignores it when given a second one).
      try {
        Ethernet.start();
        new Ethernet((m: EthernetMessage) => {
          if (m === Ethernet.gotIP) set(l.name, true);
          else if (m === Ethernet.disconnected || m === Ethernet.lostIP) set(l.name, false);
        });
      } catch (e) {
        log.log("error", `${l.name}: Ethernet did not start (${String(e)}); the link stays down`);
      }
    } else if (l.kind === "wifi" && wifi) {
      new WiFi({ ssid: wifi.ssid, password: wifi.password }, (m) => {
        if (m === WiFi.gotIP) set(l.name, true);
        else if (m === WiFi.disconnected || m === WiFi.lostIP) {
          set(l.name, false);
          if (m === WiFi.disconnected) WiFi.connect({ ssid: wifi.ssid, password: wifi.password });
        }
      });
    }
  }
  const lte = LINKS.find((l) => l.kind === "lte");
  const modem = lte ? new AtModem({ ...MODEM, onRegistration: (reg) => set(lte.name, reg && Netif.isUp(lte.ifkey)) }) : null;

  const infos: LinkInfo[] = LINKS.map((l) => ({ name: l.name, kind: l.kind }));
  const wiring = (name: string): LinkWiring => {
    const w = LINKS.find((l) => l.name === name);
    if (!w) throw new Error("unknown link " + name);
    return w;
  };
  return {
    list: () => infos,
    carrier: (name) => carrier.get(name) ?? false,
    onCarrier: (fn) => { listeners.push(fn); },
    setDefault(name) {
      const w = wiring(name);
      if (!Netif.setDefault(w.ifkey)) return;
      const old = current;
      current = w;
      if (!old || old === w) return;
      // UDP and ICMP flows already leave by the new uplink (lwIP's NAPT rewrites each packet with
      // the outgoing netif's address); the TCP connections that went out the old one are reset
      // now rather than left to the far end (hardware/native/lan/lan.c).
      const dropped = Lan.dropFlows(old.ifkey);
      if (dropped >= 0) log.log("info", `napt: ${dropped} TCP flows of ${old.name} reset after the switch to ${w.name}`);
      else if (!dropUnavailableLogged) {
        dropUnavailableLogged = true;
        log.log("warn", `napt: no LAN or no entry drop in this esp-lwip; TCP flows of ${old.name} end when their far end resets them`);
      }
    },
    reset(name) {
      const w = wiring(name);
      if (w.kind === "lte") modem?.reset();
      else if (w.kind === "wifi" && wifi) {
        WiFi.disconnect(); // the disconnect handler reconnects
      }
      // Ethernet has nothing to power-cycle from here; the PHY renegotiates on its own.
    },
    defaultLink: () => current,
    wiring,
  };
}
