import { isFloodLimited, isPermanentFailure, isRefusedReply } from "../../../errors.js";
import { errorFields } from "../../../log.js";
import type { CheckedUpdate } from "../checked-update.js";
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
 * Answers one update and records how it ended: finished (handled, skipped,
 * given up with a reply to the user), or failed and left pending for a later
 * invoke. Never throws.
 * @returns false when the rest of its lane must wait (failed or not started).
 */
export async function runUpdate(update: CheckedUpdate, ctx: UpdateRunContext): Promise<boolean> {
  const { progress, summary, log } = ctx;
  if (!ctx.mayStart()) {
    summary.deferred++;
    return false;
  }
  if (progress.isDone(update.updateId)) {
    summary.duplicates++;
    return true;
  }
  try {
    const outcome = await ctx.handle(update);
    summary[outcome === "duplicate" ? "duplicates" : outcome]++;
    progress.finish(update.updateId);
  } catch (err) {
    if (isRefusedReply(err)) {
      log.warn("reply refused by Telegram; update dropped", {
        updateId: update.updateId,
        ...errorFields(err),
      });
      summary.skipped++;
      progress.finish(update.updateId);
    } else if (isFloodLimited(err)) {
      log.warn("telegram flood limit outlasts this invoke; the update waits for a later one", {
        updateId: update.updateId,
        ...errorFields(err),
      });
      summary.failed++;
      summary.errors.push(`update ${update.updateId}: ${err.name}: ${err.message}`);
      ctx.saveSoon();
      return false;
    } else {
      const attempts = progress.fail(update.updateId);
      summary.errors.push(
        `update ${update.updateId}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
      );
      const permanent = isPermanentFailure(err);
      if (!permanent && attempts < ctx.maxAttempts) {
        log.warn("update failed; will retry on a later invoke", {
          updateId: update.updateId,
          attempts,
          ...errorFields(err),
        });
        summary.failed++;
        ctx.saveSoon();
        return false;
      }
      log.error(
        permanent
          ? "update failed in a way retrying cannot fix; giving up"
          : "update failed too often; giving up",
        { updateId: update.updateId, attempts, ...errorFields(err) },
      );
      summary.givenUp++;
      await ctx
        .giveUp(update, err)
        .catch((e: unknown) => log.warn("could not tell the user", errorFields(e)));
      progress.finish(update.updateId);
    }
  }
  ctx.saveSoon();
  return true;
}
