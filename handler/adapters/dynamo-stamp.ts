import type { UpdateRef, UpdateStamp } from "../domain/update-stamp.js";

type Item = Record<string, unknown>;

/** The stamp's attributes on a session or profile item. */
export function stampToItem(stamp: UpdateStamp): Item {
  return { last_update_id: stamp.lastUpdateId, last_update_at: stamp.lastUpdateAt ?? 0 };
}

/** The stamp of an item (`last_update_at` is absent on items written before it was kept: 0). */
export function stampFromItem(i: Item): Required<UpdateStamp> {
  return {
    lastUpdateId: typeof i.last_update_id === "number" ? i.last_update_id : 0,
    lastUpdateAt: typeof i.last_update_at === "number" ? i.last_update_at : 0,
  };
}

/**
 * The DynamoDB condition that keeps `appliedAlready` (`domain/update-stamp.ts`)
 * true at write time: the item was not stamped by `ref` or an update after it
 * (a higher or equal id taken on no later). With `orSame`, a stamp equal to
 * `ref` passes too (an update writing the profile a second time). A missing
 * `last_update_at` reads as 0. Placeholders `:uid` and `:at`.
 */
export function notAppliedCondition(
  ref: UpdateRef,
  { orSame = false }: { orSame?: boolean } = {},
): { expression: string; values: Item } {
  const later = ["last_update_id < :uid"];
  // Nothing is taken on before 0: only a positive time can be later than a stored one.
  if (ref.receivedAt > 0)
    later.push("attribute_not_exists(last_update_at)", "last_update_at < :at");
  if (orSame)
    later.push(
      ref.receivedAt > 0
        ? "(last_update_id = :uid AND last_update_at = :at)"
        : "(last_update_id = :uid AND (attribute_not_exists(last_update_at) OR last_update_at = :at))",
    );
  return {
    expression: `(${later.join(" OR ")})`,
    values: { ":uid": ref.updateId, ":at": ref.receivedAt },
  };
}
