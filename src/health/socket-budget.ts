// ESP32 lwIP gives the app 4 sockets; MQTT holds one, so probes over all links share the rest.
// ICMP echoes take none (probe-slots.ts): TCP, DNS and HTTP probes do.
// Urgent requests (fast rounds on a suspect link) are served before routine ones.

export class SocketBudget {
  #free: number;
  #urgent: Array<() => void> = [];
  #routine: Array<() => void> = [];

  constructor(readonly size: number) {
    this.#free = size;
  }

  get inUse(): number { return this.size - this.#free; }
  get free(): number { return this.#free; }

  /** `granted` runs once a socket is free: at once if one is, otherwise in queue order. */
  request(urgent: boolean, granted: () => void): void {
    if (this.#free > 0) {
      this.#free--;
      granted();
    } else {
      (urgent ? this.#urgent : this.#routine).push(granted);
    }
  }

  release(): void {
    const next = this.#urgent.shift() ?? this.#routine.shift();
    if (next) next();
    else this.#free++;
  }
}
