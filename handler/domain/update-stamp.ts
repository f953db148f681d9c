/** The part of a session or profile that records the last update applied to it. */
export interface UpdateStamp {
  readonly lastUpdateId: number;
}

/** True when `updateId` (or a later update) was already applied to `item`: the turn is a duplicate. */
export function appliedAlready(item: UpdateStamp, updateId: number): boolean {
  return item.lastUpdateId >= updateId;
}
