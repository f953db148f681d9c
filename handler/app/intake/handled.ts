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
/** The part of a session or profile that records the last update applied to it. */
export interface UpdateStamp {
  readonly lastUpdateId: number;
}

/** True when `updateId` (or a later update) was already applied to `item`: the turn is a duplicate. */
export function appliedAlready(item: UpdateStamp, updateId: number): boolean {
  return item.lastUpdateId >= updateId;
}
