// @moddable/typings 5.6.0 has no typings for the legacy `ethernet` module; this declares the part
// we use, as modules/network/ethernet/ethernet.js and esp32/ethernet.c define it: the constructor
// takes the callback as its only argument, and nothing is reported until start() has run.
declare module "ethernet" {
  export type EthernetMessage = "connect" | "disconnect" | "gotIP" | "lostIP";
  export default class Ethernet {
    constructor(onNotify: (message: EthernetMessage) => void);
    close(): void;
    static start(): void;
    static readonly gotIP: "gotIP";
    static readonly lostIP: "lostIP";
    static readonly connected: "connect";
    static readonly disconnected: "disconnect";
  }
}
