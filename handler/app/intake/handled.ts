import {
  isFloodLimited,
  isPermanentFailure,
  isRefusedReply,
  UpdateTooLargeError,
} from "../../errors.js";
import { errorFields, type Logger } from "../../log.js";
import type { CheckedUpdate } from "./checked-update.js";
import type { UpdateOutcome } from "./dispatch.js";

/**
 * The one answer to "was this update handled?", for polling, webhook
 * deliveries and queued invokes alike. Two layers:
 *
 * - Intake (should this update still be answered): an update is *pending*
 *   from the moment it is acknowledged to Telegram (a 200 to the webhook, a
 *   higher `getUpdates` offset) until it is *finished*: answered, refused by
 *   Telegram, skipped, or given up with its user told. A finished update is
 *   never answered again; a pending one always is, in its chat's order, by
 *   whoever holds the lease over it. {@link attemptUpdate} is the one rule
 *   that turns an attempt into "finished" or "still pending", and the
 *   {@link MAX_UPDATE_BYTES} cap the one rule for what can be kept at all.
 *   Where the status is kept depends on how updates arrive, behind the same
 *   contract (record before acknowledging; finish only after the attempt;
 *   count attempts; give up after `maxAttempts` or at once when retrying
 *   cannot help):
 *   - webhook and queued invokes: the `UpdateLedger` port (`ports.ts`,
 *     `dynamo-update-ledger.ts`), one item per update under its lane, since
 *     Lambda runs queued events in any order and concurrently;
 *   - polling: the poller item (`poll-progress.ts`, `dynamo-poller-state.ts`):
 *     one poller at a time takes updates from Telegram in order, so an offset
 *     plus the ids finished out of order say the same thing in one write per
 *     batch instead of three per update (the bench's three DynamoDB calls per
 *     message would not hold with the ledger's record/attempt/finish).
 * - Writes (has this update already changed this item): sessions and profiles
 *   remember the last update applied to them, and every write is conditional
 *   on it, so a retried update never stores twice. `appliedAlready`
 *   (`domain/update-stamp.ts`) is that check, made before any work.
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

/** Collaborators of {@link attemptUpdate}: the same for the poller and the lanes. */
export interface AttemptDeps {
  /** Answers one update; throws for failures worth retrying. */
  readonly handle: (update: CheckedUpdate) => Promise<UpdateOutcome>;
  /** Tells the user their update was given up. */
  readonly giveUp: (update: CheckedUpdate, err: unknown) => Promise<void>;
  readonly log: Logger;
  readonly maxAttempts: number;
}

/** How one attempt ended: what the store records for the update. */
export type Attempted =
  /** Finished: recorded as handled (`given_up` with `reason`: failed, its user told). */
  | {
      readonly finished: true;
      readonly outcome: UpdateOutcome | "given_up";
      readonly reason?: string;
      readonly refused?: boolean;
      readonly error?: unknown;
    }
  /**
   * Still pending: tried again later, in order (the store keeps the attempt count).
   * `floodLimited`: Telegram's flood pause outlasts this invoke; that is not a
   * fault of the update, so it never uses up the update's attempts.
   */
  | { readonly finished: false; readonly error: unknown; readonly floodLimited?: boolean };

/**
 * Runs attempt number `attempt` (1 for the first) at an update and decides,
 * by the one rule every intake follows, whether it is finished: answered;
 * Telegram refused the reply (403, 400: sending again gets the same answer);
 * or failed for good (retrying cannot fix it, or this was attempt
 * `maxAttempts`), then its user is told and it is given up. Any other failure
 * leaves it pending. Never throws.
 */
export async function attemptUpdate(
  update: CheckedUpdate,
  attempt: number,
  deps: AttemptDeps,
  context: Readonly<Record<string, unknown>> = {},
): Promise<Attempted> {
  try {
    return { finished: true, outcome: await deps.handle(update) };
  } catch (err) {
    const fields = {
      updateId: update.updateId,
      attempts: attempt,
      ...context,
      ...errorFields(err),
    };
    if (isRefusedReply(err)) {
      deps.log.warn("reply refused by Telegram; update dropped", fields);
      return { finished: true, outcome: "skipped", refused: true, error: err };
    }
    const permanent = isPermanentFailure(err);
    if (!permanent && isFloodLimited(err)) {
      deps.log.warn(
        "telegram flood limit outlasts this invoke; the update waits for a later one",
        fields,
      );
      return { finished: false, error: err, floodLimited: true };
    }
    if (!permanent && attempt < deps.maxAttempts) {
      deps.log.warn("update failed; it stays pending and is tried again", fields);
      return { finished: false, error: err };
    }
    deps.log.error(
      permanent
        ? "update failed in a way retrying cannot fix; giving up"
        : "update failed too often; giving up",
      fields,
    );
    await deps.giveUp(update, err).catch((tellErr: unknown) =>
      deps.log.warn("could not tell the user their update was given up", {
        updateId: update.updateId,
        ...errorFields(tellErr),
      }),
    );
    const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { finished: true, outcome: "given_up", reason, error: err };
  }
}

/**
 * Gives up an update too large to keep ({@link tooLargeToKeep}), in any
 * intake: one warning line with its id and size, and its user told (at most
 * once: the apology is not stored). Never throws.
 */
export async function giveUpTooLarge(
  update: CheckedUpdate,
  error: UpdateTooLargeError,
  deps: Pick<AttemptDeps, "giveUp" | "log">,
  context: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  deps.log.warn("update too large to store; given up", {
    updateId: update.updateId,
    ...context,
    bytes: error.bytes,
    limit: error.limit,
  });
  await deps.giveUp(update, error).catch((err: unknown) =>
    deps.log.warn("could not tell the user their update was given up", {
      updateId: update.updateId,
      ...errorFields(err),
    }),
  );
}
