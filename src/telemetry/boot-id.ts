// A name for this boot that no other boot of the device shares, drawn at random (Sparkplug's
// bdSeq is the anchor). The boot counter (epoch) lives in the Store, so an erased Store, a
// reflash or a replaced board with the same id starts it over, and (epoch, seq, atMs) repeats:
// the fleet would take the new boot's events for duplicates of the old one's.
import type { Random } from "../ports";

/** 64 bits as 16 lowercase hex digits; the message schemas say the same. */
export const BOOT_ID_PATTERN = "^[0-9a-f]{16,16}$";

export function drawBootId(random: Random): string {
  const draw = random.fresh ? () => random.fresh!() : () => random.next();
  let id = "";
  // Four 16-bit draws: each is exact in a double whatever the source's resolution.
  for (let i = 0; i < 4; i++) id += (0x10000 + Math.floor(draw() * 0x10000)).toString(16).slice(1);
  return id;
}
