// One stored event per router report, with the key a redelivery repeats exactly (see
// migrations/001_history.sql). Pure: the collector turns messages into rows, the store writes them.
import { createHash } from "node:crypto";
import { linkKind, type LinkKind } from "./link-kind";
import { text, type Birth, type RejectedMessage, type RouterEventMessage } from "./decode";

export interface EventRow {
  router: string;
  key: string;
  type: string;
  receivedAt: number;
  epoch: number | null;
  /** The boot's random id (null from firmware without one). */
  bootId: string | null;
  seq: number | null;
  atMs: number | null;
  link: string | null;
  linkKind: LinkKind | null;
  from: string | null;
  to: string | null;
  reason: string | null;
  detail: string | null;
}

/**
 * The boot id as a key prefix. Without one (older firmware) the key is what it always was, so rows
 * stored before boot ids existed still match their redeliveries.
 */
function boot(id: string | undefined): string {
  return id === undefined ? "" : id + "/";
}

/** Events that move the router to another uplink. */
export const SWITCH_TYPES = new Set(["initial", "failover", "failback"]);

export function routerEventRow(router: string, e: RouterEventMessage, receivedAt: number): EventRow {
  const row: EventRow = {
    router, key: `e/${boot(e.bootId)}${e.epoch}/${e.seq}/${e.atMs}`, type: e.type, receivedAt, epoch: e.epoch, bootId: e.bootId ?? null,
    seq: e.seq, atMs: e.atMs,
    link: null, linkKind: null, from: null, to: null, reason: text(e.reason), detail: null,
  };
  switch (e.type) {
    case "initial": case "failover": case "failback":
      row.from = e.from ?? null;
      row.to = e.to ?? null;
      row.link = e.to ?? null;
      break;
    case "link-state":
      row.link = e.link ?? null;
      row.from = e.from ?? null;
      row.to = e.to ?? null;
      break;
    case "dampened":
      row.link = e.link ?? null;
      row.detail = text(`penalty ${e.penalty}, reuse in ${Math.round(Number(e.reuseInMs) / 1000)} s`);
      break;
    case "pinned":
      row.link = e.link ?? null;
      row.detail = text(`for ${Math.round(Number(e.holdMs) / 1000)} s`);
      break;
    case "no-uplink":
      row.link = e.link ?? null;
      break;
    case "watchdog":
      row.reason = text(e.action);
      row.detail = text(e.detail);
      break;
    case "boot":
      row.detail = text(`boots ${e.boots}, config v${e.configVersion}${e.safeMode ? ", safe mode" : ""}`);
      break;
    case "config-applied":
      row.detail = text(`v${e.version}`);
      break;
    case "config-rolled-back":
      row.detail = text(`v${e.version}, restored v${e.restored}`);
      break;
    case "config-rejected": case "cmd-rejected":
      row.detail = text(`${e.source ?? e.cmd ?? ""}: ${e.error ?? ""}`);
      break;
  }
  if (row.link) row.linkKind = linkKind(row.link);
  return row;
}

export function birthRow(router: string, b: Birth, receivedAt: number): EventRow {
  return {
    router, key: `b/${boot(b.bootId)}${b.epoch}/${b.birthSeq}`, type: "online", receivedAt, epoch: b.epoch, bootId: b.bootId ?? null,
    seq: null, atMs: null,
    link: null, linkKind: null, from: null, to: null, reason: null,
    detail: text(`firmware ${b.firmware}, config v${b.configVersion}, boot ${b.boots}${b.safeMode ? ", safe mode" : ""}`),
  };
}

/** Rejected input of one router: the same bad message redelivered is the same row. */
export function rejectedRow(r: RejectedMessage & { router: string }, topic: string, payload: Uint8Array, receivedAt: number): EventRow {
  const hash = createHash("sha1").update(topic).update("\0").update(payload).digest("base64url");
  return {
    router: r.router, key: `x/${hash}`, type: "rejected", receivedAt, epoch: null, bootId: null, seq: null, atMs: null,
    link: null, linkKind: null, from: null, to: null, reason: r.reason, detail: text(`${r.kind ?? "?"}: ${r.error}`),
  };
}
