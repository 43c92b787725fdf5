// A small AT-command driver for the LTE modem's control port: network registration (the modem's
// "carrier") and a power-cycle for the watchdog's reset rung. One command in flight; replies end at
// OK or ERROR; unsolicited +CEREG lines update registration at once.
import Serial from "embedded:io/serial";
import Digital from "embedded:io/digital";
import Timer from "timer";

const POLL_MS = 5000;
const COMMAND_TIMEOUT_MS = 3000;
const POWER_PULSE_MS = 1200;

export interface AtModemOptions {
  port: number;
  receive: number;
  transmit: number;
  baud: number;
  powerKey: number;
  onRegistration: (registered: boolean) => void;
}

export class AtModem {
  #serial: Serial;
  #power: Digital;
  #line = "";
  #pending: { resolve: (ok: boolean, lines: string[]) => void; lines: string[]; timer: ReturnType<typeof Timer.set> } | null = null;
  #registered = false;
  #onRegistration: (registered: boolean) => void;

  constructor(o: AtModemOptions) {
    this.#onRegistration = o.onRegistration;
    this.#power = new Digital({ pin: o.powerKey, mode: Digital.Output });
    this.#power.write(1);
    this.#serial = new Serial({
      port: o.port, receive: o.receive, transmit: o.transmit, baud: o.baud, format: "buffer",
      onReadable: (count: number) => this.#receive(count),
    });
    Timer.repeat(() => this.#poll(), POLL_MS);
  }

  get registered(): boolean { return this.#registered; }

  /** Power-cycle through PWRKEY; registration drops and comes back when the modem has re-attached. */
  reset(): void {
    this.#setRegistered(false);
    this.#power.write(0);
    Timer.set(() => this.#power.write(1), POWER_PULSE_MS);
  }

  #poll(): void {
    if (this.#pending) return;
    this.#command("AT+CEREG?", (ok, lines) => {
      if (!ok) return this.#setRegistered(false);
      for (const l of lines) this.#urc(l);
    });
  }

  #command(text: string, done: (ok: boolean, lines: string[]) => void): void {
    const timer = Timer.set(() => {
      this.#pending = null;
      done(false, []);
    }, COMMAND_TIMEOUT_MS);
    this.#pending = { resolve: done, lines: [], timer };
    this.#serial.write(ArrayBuffer.fromString(text + "\r"));
  }

  #receive(count: number): void {
    const bytes = new Uint8Array(this.#serial.read(count) as ArrayBuffer);
    for (const b of bytes) {
      if (b === 13) continue;
      if (b !== 10) {
        this.#line += String.fromCharCode(b);
        continue;
      }
      const line = this.#line.trim();
      this.#line = "";
      if (line) this.#handleLine(line);
    }
  }

  #handleLine(line: string): void {
    const p = this.#pending;
    if (line === "OK" || line === "ERROR" || line.startsWith("+CME ERROR")) {
      if (!p) return;
      Timer.clear(p.timer);
      this.#pending = null;
      p.resolve(line === "OK", p.lines);
      return;
    }
    if (p) p.lines.push(line);
    else this.#urc(line);
  }

  /** +CEREG: [<n>,]<stat>: 1 home, 5 roaming. */
  #urc(line: string): void {
    if (!line.startsWith("+CEREG:")) return;
    const fields = line.slice(7).split(",").map((s) => Number.parseInt(s, 10));
    const stat = fields.length >= 2 ? fields[1] : fields[0];
    this.#setRegistered(stat === 1 || stat === 5);
  }

  #setRegistered(up: boolean): void {
    if (up === this.#registered) return;
    this.#registered = up;
    this.#onRegistration(up);
  }
}
