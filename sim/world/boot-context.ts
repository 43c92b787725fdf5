// One boot of the simulated device. Everything the world hands back to the firmware goes through
// deliver(): after a reboot the old firmware instance hears nothing more, and while the loop is
// hung (a "hang" fault) callbacks wait until it runs again.
import type { VirtualClock } from "./virtual-clock";

export class BootContext {
  alive = true;
  frozenUntil = 0;

  constructor(readonly clock: VirtualClock, readonly boot: number) {}

  get frozen(): boolean {
    return this.clock.now() < this.frozenUntil;
  }

  deliver(fn: () => void): void {
    if (!this.alive) return;
    if (this.frozen) {
      this.clock.at(this.frozenUntil, () => this.deliver(fn));
      return;
    }
    fn();
  }
}
