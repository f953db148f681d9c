import { errorFields, type Logger } from "../../log.js";
import { userLane } from "../intake/webhook/lane-drain.js";
import { holdLane } from "../intake/webhook/lane-hold.js";
import type { UpdateLedger } from "../ports.js";
import type { Archiver } from "./archiver.js";

/** Idle sessions archived per invoke at most; the rest wait for the next one. */
export const IDLE_SWEEP_LIMIT = 25;

/**
 * Archives sessions that went idle, each under its user's lane lease (a
 * webhook invoke may be answering that user right now). Never throws:
 * answering users matters more than archiving on time, and the next invoke
 * sweeps again.
 */
export async function sweepIdleSessions(
  archiver: Archiver,
  deps: { readonly ledger: UpdateLedger; readonly log: Logger; readonly owner: string },
): Promise<void> {
  try {
    const idle = await archiver.sweepIdle(IDLE_SWEEP_LIMIT, (userId, work) =>
      holdLane(userLane(userId), deps, work),
    );
    if (idle.archived + idle.dropped + idle.failed > 0)
      deps.log.info("idle sessions archived", idle);
  } catch (err) {
    deps.log.warn("idle sweep failed; will retry next invoke", errorFields(err));
  }
}
