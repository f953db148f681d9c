import type { CheckedUpdate } from "../checked-update.js";
import { attemptUpdate } from "../handled.js";
import type { PollProgress } from "./poll-progress.js";
import type { PollerDeps, PollSummary } from "./poller.js";

/** What {@link runUpdate} needs from the poller run. */
export interface UpdateRunContext
  extends Pick<PollerDeps, "handle" | "giveUp" | "log" | "maxAttempts"> {
  readonly progress: PollProgress;
  readonly summary: PollSummary;
  /** False once no update may start (deadline, lost lease, stopping). */
  readonly mayStart: () => boolean;
  /** Asks for the progress to be stored (coalesced). */
  readonly saveSoon: () => void;
}

/**
 * Answers one update and records in the poller's progress how it ended, by
 * the rule every intake follows (`attemptUpdate` in `handled.ts`): finished
 * (handled, skipped, refused by Telegram, given up with a reply to the user),
 * or failed and left pending for a later invoke. Never throws.
 * @returns false when the rest of its lane must wait (failed or not started).
 */
export async function runUpdate(update: CheckedUpdate, ctx: UpdateRunContext): Promise<boolean> {
  const { progress, summary } = ctx;
  if (!ctx.mayStart()) {
    summary.deferred++;
    return false;
  }
  if (progress.isDone(update.updateId)) {
    summary.duplicates++;
    return true;
  }
  // Failed attempts are counted in the poller item; this one is the next.
  const result = await attemptUpdate(update, progress.failures(update.updateId) + 1, ctx);
  if (!result.finished || result.outcome === "given_up") {
    const err = result.error;
    summary.errors.push(
      `update ${update.updateId}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
    );
  }
  if (!result.finished) {
    if (!result.floodLimited) progress.fail(update.updateId);
    summary.failed++;
    ctx.saveSoon();
    return false;
  }
  if (result.outcome === "given_up") summary.givenUp++;
  else summary[result.outcome === "duplicate" ? "duplicates" : result.outcome]++;
  progress.finish(update.updateId);
  ctx.saveSoon();
  return true;
}
