// Desktop simulator build: the host's own network stands in for the Ethernet WAN.
import Timer from "timer";

type EthernetMessage = "connect" | "disconnect" | "gotIP" | "lostIP";

export default class Ethernet {
  static readonly gotIP = "gotIP";
  static readonly lostIP = "lostIP";
  static readonly connected = "connect";
  static readonly disconnected = "disconnect";
  constructor(_dictionary: undefined, onNotify?: (message: EthernetMessage) => void) {
    Timer.set(() => onNotify?.("gotIP"), 0);
  }
  close(): void {}
  static start(): void {}
}
