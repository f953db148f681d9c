import { createHash } from "node:crypto";
import type { Update } from "@grammyjs/types";
import type { UpdateStatus } from "../app/ports.js";

/*
 * How the webhook ledger (`dynamo-update-ledger.ts`) knows an update: by its
 * id and its content, since Telegram's ids restart (see docs/guarantees.md).
 */

/**
 * Identifies an update's content whatever its id: a redelivery has the same,
 * an update of a later id sequence that reuses the id has another. Keys are
 * sorted first, so the order Telegram wrote them in does not matter.
 */
export function fingerprintOf(update: Update): string {
  const { update_id: _id, ...content } = update;
  return createHash("sha256").update(canonicalJson(content)).digest("hex").slice(0, 24);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null)
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

/**
 * Whether a stored item is this update. Items record the update's fingerprint;
 * older items without one are the same update when they still hold its text
 * (pending, failed), or when they are answered and not yet expired (Telegram
 * redelivers for at most a day; ids restart only after a week without updates).
 */
export function sameUpdate(item: Record<string, unknown>, update: Update, now: number): boolean {
  if (typeof item.fingerprint === "string") return item.fingerprint === fingerprintOf(update);
  if (typeof item.update === "string")
    return fingerprintOf(JSON.parse(item.update) as Update) === fingerprintOf(update);
  return typeof item.expires_at !== "number" || item.expires_at * 1000 > now;
}

export function statusOf(item: Record<string, unknown>): UpdateStatus | undefined {
  const status = item.status;
  return status === "pending" || status === "done" || status === "failed" ? status : undefined;
}

/** The condition that the item under a key is still what was read (absent when nothing was). */
export function unchanged(existing: Record<string, unknown> | undefined): {
  ConditionExpression: string;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  if (existing === undefined) return { ConditionExpression: "attribute_not_exists(PK)" };
  return typeof existing.fingerprint === "string"
    ? {
        ConditionExpression: "fingerprint = :seen",
        ExpressionAttributeValues: { ":seen": existing.fingerprint },
      }
    : {
        ConditionExpression: "attribute_not_exists(fingerprint) AND received_at = :seen",
        ExpressionAttributeValues: { ":seen": existing.received_at },
      };
}
