import { UpdateTooLargeError } from "../../errors.js";

/**
 * "Was this update handled?" has one owner per layer, and this file names both.
 *
 * - Intake (should this update be answered at all): webhook deliveries and
 *   queued invokes ask the `UpdateLedger` port (`ports.ts`, through `lane-drain.ts`), whose
 *   status per update is `pending`, `done` or `failed`; polling keeps
 *   Telegram's offset plus the ids finished out of order (`poll-progress.ts`).
 *   The ledger port takes any update, so the poller can record into it too.
 * - Writes (has this update already changed this item): sessions and profiles
 *   remember the last update applied to them, and every write is conditional
 *   on it, so a retried update never stores twice. {@link appliedAlready} is
 *   that check, made before any work.
 */
/**
 * Largest update (its JSON, in bytes) kept while it waits to be answered. It
 * is stored whole in a DynamoDB item (the ledger's update item, or the
 * poller item's pending list), and an item holds at most 400 KB with its
 * other attributes; an asynchronous invoke carries it too (1 MB at most).
 * Real Telegram updates are a few KB (text is at most 4096 characters), so
 * this only refuses forged or broken ones; they are given up at once, their
 * user told, never stored.
 */
export const MAX_UPDATE_BYTES = 256 * 1024;

/** The error for an update over {@link MAX_UPDATE_BYTES}, or undefined when it fits. */
export function tooLargeToKeep(bytes: number): UpdateTooLargeError | undefined {
  return bytes > MAX_UPDATE_BYTES ? new UpdateTooLargeError(bytes, MAX_UPDATE_BYTES) : undefined;
}

/** The part of a session or profile that records the last update applied to it. */
export interface UpdateStamp {
  readonly lastUpdateId: number;
}

/** True when `updateId` (or a later update) was already applied to `item`: the turn is a duplicate. */
export function appliedAlready(item: UpdateStamp, updateId: number): boolean {
  return item.lastUpdateId >= updateId;
}
