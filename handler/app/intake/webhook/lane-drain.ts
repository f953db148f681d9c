import { errorFields, type Logger } from "../../../log.js";
import type { PendingUpdate, UpdateLedger } from "../../ports.js";
import { type CheckedUpdate, checkUpdate } from "../checked-update.js";
import type { UpdateOutcome } from "../dispatch.js";
import { attemptUpdate } from "../handled.js";

/** How long a lane lease lasts without renewal: a dead holder blocks its lane this long at most. */
export const LANE_LEASE_MS = 15_000;
/** The holder renews its lease this often while it works. */
export const LANE_RENEW_MS = 5_000;
/** No update is started with less time than this left: it could not finish. */
export const LANE_START_RESERVE_MS = 20_000;
/** How often a queued invoke whose lane is busy looks again. */
const WAIT_POLL_MS = 1_000;

/** Thrown when an update should be tried again later (by Lambda's retries or Telegram's redelivery). */
export class RetryLaterError extends Error {
  override name = "RetryLaterError";
}

/**
 * The lane an update is answered in. A user's sessions (the context) belong to
 * the user, whatever chat they write from, so a lane is the sender; updates
 * without one fall back to their chat, then to a lane of their own.
 */
export function laneOf(update: CheckedUpdate): string {
  if (update.senderId !== undefined) return userLane(update.senderId);
  if (update.chatId !== undefined) return `c${update.chatId}`;
  return `x${update.updateId}`;
}

/** The lane of a user's updates, which is also the lane that guards their sessions. */
export const userLane = (userId: number): string => `u${userId}`;

/** Collaborators of {@link drainLane}. */
export interface LaneDeps {
  readonly ledger: UpdateLedger;
  readonly log: Logger;
  readonly maxAttempts: number;
  /** Answers one update; throws for failures worth retrying. */
  readonly handle: (update: CheckedUpdate) => Promise<UpdateOutcome>;
  /** Tells the user their update was given up. */
  readonly giveUp: (update: CheckedUpdate, err: unknown) => Promise<void>;
  /** Epoch ms by which the invoke must be done. */
  readonly deadline: number;
  /** Identifies this invoke as a lease holder. */
  readonly owner: string;
  readonly now?: () => number;
}

/** How each update this drain finished ended. */
export type DrainOutcomes = Map<number, UpdateOutcome | "given_up">;

/**
 * Answers a lane's pending updates, lowest `update_id` first, while holding
 * the lane's lease (renewed every {@link LANE_RENEW_MS}), until none is left.
 * An update that fails is retried later unless it has used its attempts (or
 * can never succeed): then its user is told and it is marked failed, and the
 * lane moves on. A retryable failure stops the drain and is rethrown, leaving
 * the rest pending in order. Reading starts at the lane's watermark, or just
 * below `mine` (an update recorded late, under the watermark), and a drain
 * that emptied the lane moves the watermark to the last update it finished.
 * @returns `"busy"` when another invoke holds the lane.
 */
export async function drainLane(
  lane: string,
  deps: LaneDeps,
  mine?: number,
): Promise<DrainOutcomes | "busy"> {
  const now = deps.now ?? Date.now;
  const { ledger, owner } = deps;
  const held = await ledger.acquireLane(lane, owner, now() + LANE_LEASE_MS, now());
  if (!held) return "busy";
  const after = Math.min(
    held.doneThrough,
    mine === undefined ? Number.POSITIVE_INFINITY : mine - 1,
  );
  let doneThrough: number | undefined;
  let confirmedAt = now();
  let lost = false;
  let renewing: Promise<void> = Promise.resolve();
  const heartbeat = setInterval(() => {
    const at = now();
    renewing = ledger.acquireLane(lane, owner, at + LANE_LEASE_MS, at).then(
      (renewed) => {
        if (renewed) confirmedAt = at;
        else lost = true;
      },
      (err: unknown) =>
        deps.log.warn("could not renew the lane lease", { lane, ...errorFields(err) }),
    );
  }, LANE_RENEW_MS);
  heartbeat.unref();
  const outcomes: DrainOutcomes = new Map();
  try {
    for (
      let batch = await ledger.pending(lane, after);
      batch.length > 0;
      batch = await ledger.pending(lane, after)
    ) {
      for (const pending of batch) {
        // Without a fresh lease another invoke may already own the lane: stop, never answer twice.
        if (lost || now() - confirmedAt > LANE_LEASE_MS - LANE_RENEW_MS)
          throw new RetryLaterError(`lost the lease of lane ${lane}`);
        if (deps.deadline - now() < LANE_START_RESERVE_MS)
          throw new RetryLaterError(
            `too little time left to answer update ${pending.update.update_id}`,
          );
        outcomes.set(pending.update.update_id, await answerOne(lane, pending, deps));
      }
    }
    // Every update above `after` is finished now, and everything at or below the old watermark
    // was: the last one finished here is a safe watermark. Not the higher of the two, since ids
    // are not forever increasing (a restarted sequence below it must be read in order too).
    if (outcomes.size > 0) doneThrough = Math.max(...outcomes.keys());
    return outcomes;
  } finally {
    clearInterval(heartbeat);
    // A renewal landing after the release would take the lane again for LANE_LEASE_MS.
    await renewing;
    await ledger.releaseLane(lane, owner, doneThrough).catch((err: unknown) =>
      deps.log.warn("could not release the lane lease; it lapses by itself", {
        lane,
        ...errorFields(err),
      }),
    );
  }
}

async function answerOne(
  lane: string,
  pending: PendingUpdate,
  deps: LaneDeps,
): Promise<UpdateOutcome | "given_up"> {
  const now = deps.now ?? Date.now;
  // Read back from the ledger: it enters the bot here, so it is checked here.
  const update = checkUpdate(pending.update, pending.receivedAt);
  // Counted before the attempt: an invoke that dies mid-answer has used one too.
  const attempt = await deps.ledger.startAttempt(lane, update.updateId);
  const result = await attemptUpdate(update, attempt, deps, { lane });
  // Still pending: rethrown, so the drain stops here and the lane's later updates wait.
  if (!result.finished) throw result.error;
  await deps.ledger.finish(
    lane,
    update.updateId,
    result.outcome === "given_up" ? { failed: result.reason ?? "unknown" } : "done",
    now(),
  );
  return result.outcome;
}

/**
 * Makes sure one update gets answered: drains its lane, or, while another
 * invoke holds the lane (and will answer it in order), waits until the update
 * is finished or the lane is free. Throws {@link RetryLaterError} when the
 * deadline comes first. @returns how the update ended (`"duplicate"` when
 * another invoke finished it).
 */
export async function answerInLane(
  update: CheckedUpdate,
  deps: LaneDeps,
): Promise<UpdateOutcome | "given_up" | "duplicate"> {
  const now = deps.now ?? Date.now;
  const lane = laneOf(update);
  for (;;) {
    const drained = await drainLane(lane, deps, update.updateId);
    if (drained !== "busy") return drained.get(update.updateId) ?? "duplicate";
    const status = await deps.ledger.status(lane, update.raw, now());
    if (status === "done" || status === "failed") return "duplicate";
    if (deps.deadline - now() < LANE_START_RESERVE_MS)
      throw new RetryLaterError(`lane ${lane} stayed busy until the deadline`);
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}
