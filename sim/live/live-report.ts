// Printing a live run as it happens.
import type { SimWorld } from "../world/world";
import { describeEvent } from "../scenario/summary";

export function printEvents(world: SimWorld, prefix = ""): void {
  world.onEvent((e) => {
    if (e.type === "link-state" && e.from === "unknown" && e.to === "up") return;
    console.error(prefix + describeEvent(e));
  });
}
