/**
 * Which update, as the bot knows it: its `update_id` and when the bot first
 * took it on (epoch ms: taken from `getUpdates`, or recorded in the webhook
 * ledger; a retry or a redelivery keeps the first time).
 *
 * Telegram's ids do not only grow: after a week without updates the next id
 * is chosen at random, and each Bot API server (`TELEGRAM_API_URL`) has its
 * own. So an update is never judged by its id alone: one with a lower id than
 * the last applied is a repeat only if it was also taken on no later (see
 * {@link appliedAlready}).
 */
export interface UpdateRef {
  readonly updateId: number;
  readonly receivedAt: number;
}

/** The part of a session or profile that records the last update applied to it. */
export interface UpdateStamp {
  readonly lastUpdateId: number;
  /** When that update was taken on (epoch ms); absent on items written before it was kept (read as 0). */
  readonly lastUpdateAt?: number;
}

/**
 * True when the update `ref` (or one after it) was already applied to `item`:
 * the turn is a repeat. "After" is in both senses at once: a higher or equal
 * id, taken on no later. A user's updates are applied in order (their lane),
 * so every repeat passes; an update of a restarted sequence (a lower id, taken
 * on later) or one that arrived late (a webhook delivery overtaken by a later
 * one) does not, and is applied.
 */
export function appliedAlready(item: UpdateStamp, ref: UpdateRef): boolean {
  return item.lastUpdateId >= ref.updateId && (item.lastUpdateAt ?? 0) >= ref.receivedAt;
}

/** The stamp an item gets from the update that changes it. */
export function stampOf(ref: UpdateRef): Required<UpdateStamp> {
  return { lastUpdateId: ref.updateId, lastUpdateAt: ref.receivedAt };
}
