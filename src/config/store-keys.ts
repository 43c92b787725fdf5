// Everything the firmware keeps in the Store, and the Store's limits: the one place to look before
// adding a key. The device's Store is ESP-IDF NVS (Moddable's Preference): a key is at most 15
// characters, a string value at most 4000 bytes counting its terminating NUL, and flash wears with
// every write, so each writer bounds its own write rate.

/** Longest key NVS takes. */
export const STORE_KEY_MAX_CHARS = 15;
/** Largest string value NVS takes, its terminating NUL included. */
export const STORE_VALUE_MAX_BYTES = 4000;
/**
 * What a value of ours may hold, in UTF-8 bytes: the NVS limit less the NUL and a margin (a config
 * slot, the known-good copy of it, and each event-queue record are held to this).
 */
export const STORE_VALUE_BYTES = 3800;

/** Boots in a row that never became stable (the boot-loop guard, watchdog/boot-guard.ts). */
export const KEY_BOOTS = "boots";
/** This boot's number, for the fleet to tell boots apart. */
export const KEY_EPOCH = "epoch";
/** The last config that ran stable with a working uplink. */
export const KEY_GOOD_CONFIG = "cfgGood";
/** Present when the last boot ended in a deliberate reboot; holds the ladder's reboots in a row. */
export const KEY_DELIBERATE = "rebootWhy";
/** Which of the two config slots is active (config/config-slots.ts). */
export const KEY_SLOT = "cfgSlot";
export const SLOT_KEYS = ["cfg0", "cfg1"] as const;
/** The data budgets' spending this period, per link (router.ts). */
export const KEY_SPENT = "spent";
/** The offline event queue: its meta record, and records q0, q1, ... (telemetry/event-queue.ts). */
export const KEY_QUEUE_META = "qmeta";
export const KEY_QUEUE_RECORD = "q";

/** Every fixed key (the queue's records are KEY_QUEUE_RECORD + 0..RECORDS-1). */
export const STORE_KEYS: readonly string[] = [KEY_BOOTS, KEY_EPOCH, KEY_GOOD_CONFIG, KEY_DELIBERATE, KEY_SLOT, ...SLOT_KEYS, KEY_SPENT, KEY_QUEUE_META];
