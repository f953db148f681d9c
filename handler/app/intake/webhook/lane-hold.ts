import { errorFields, type Logger } from "../../../log.js";
import type { UpdateLedger } from "../../ports.js";
import { LANE_LEASE_MS, LANE_RENEW_MS } from "./lane-drain.js";

/** Collaborators of {@link holdLane}. */
export interface LaneHoldDeps {
  readonly ledger: UpdateLedger;
  readonly log: Logger;
  /** Identifies this execution as a lease holder (unique per execution). */
  readonly owner: string;
  readonly now?: () => number;
}

/**
 * Runs `work` while holding a lane's lease (renewed like a drain's), so no
 * update of that lane is answered meanwhile; the lane's watermark is left as
 * it was. Work that must not overlap a user's turn (closing their idle
 * session) takes the user's lane this way instead of racing the answer.
 * @returns false, without running `work`, when another execution holds the lane.
 */
export async function holdLane(
  lane: string,
  deps: LaneHoldDeps,
  work: () => Promise<void>,
): Promise<boolean> {
  const now = deps.now ?? Date.now;
  const { ledger, owner, log } = deps;
  if (!(await ledger.acquireLane(lane, owner, now() + LANE_LEASE_MS, now()))) return false;
  let renewing: Promise<unknown> = Promise.resolve();
  const heartbeat = setInterval(() => {
    const at = now();
    renewing = ledger
      .acquireLane(lane, owner, at + LANE_LEASE_MS, at)
      .catch((err: unknown) =>
        log.warn("could not renew the lane lease", { lane, ...errorFields(err) }),
      );
  }, LANE_RENEW_MS);
  heartbeat.unref();
  try {
    await work();
    return true;
  } finally {
    clearInterval(heartbeat);
    // A renewal landing after the release would take the lane again for LANE_LEASE_MS.
    await renewing;
    await ledger.releaseLane(lane, owner).catch((err: unknown) =>
      log.warn("could not release the lane lease; it lapses by itself", {
        lane,
        ...errorFields(err),
      }),
    );
  }
}
