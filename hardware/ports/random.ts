// On ESP32, XS seeds Math.random from the hardware RNG; jitter needs nothing stronger.
import type { Random } from "../../src/ports";

// The same source names each boot (fresh): seeded anew from the hardware RNG at every boot, it
// does not repeat after the NVS is erased.
export const random: Random = { next: () => Math.random(), fresh: () => Math.random() };
