// On ESP32, XS seeds Math.random from the hardware RNG; jitter needs nothing stronger.
import type { Random } from "../../src/ports";

export const random: Random = { next: () => Math.random() };
