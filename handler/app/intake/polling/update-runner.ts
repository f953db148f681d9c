import type { Update } from "@grammyjs/types";
import { isFloodLimited, isPermanentFailure, isRefusedReply } from "../../../errors.js";
import { errorFields } from "../../../log.js";
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
export async function runUpdate(update: Update, ctx: UpdateRunContext): Promise<boolean> {
  const { progress, summary, log } = ctx;
  if (!ctx.mayStart()) {
    summary.deferred++;
    return false;
  }
  if (progress.isDone(update.update_id)) {
    summary.duplicates++;
    return true;
  }
  try {
    const outcome = await ctx.handle(update);
    summary[outcome === "duplicate" ? "duplicates" : outcome]++;
    progress.finish(update.update_id);
  } catch (err) {
    if (isRefusedReply(err)) {
      log.warn("reply refused by Telegram; update dropped", {
        updateId: update.update_id,
        ...errorFields(err),
      });
      summary.skipped++;
      progress.finish(update.update_id);
    } else if (isFloodLimited(err)) {
      log.warn("telegram flood limit outlasts this invoke; the update waits for a later one", {
        updateId: update.update_id,
        ...errorFields(err),
      });
      summary.failed++;
      summary.errors.push(`update ${update.update_id}: ${err.name}: ${err.message}`);
      ctx.saveSoon();
      return false;
    } else {
      const attempts = progress.fail(update.update_id);
      summary.errors.push(
        `update ${update.update_id}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
      );
      const permanent = isPermanentFailure(err);
      if (!permanent && attempts < ctx.maxAttempts) {
        log.warn("update failed; will retry on a later invoke", {
          updateId: update.update_id,
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
        { updateId: update.update_id, attempts, ...errorFields(err) },
      );
      summary.givenUp++;
      await ctx
        .giveUp(update, err)
        .catch((e: unknown) => log.warn("could not tell the user", errorFields(e)));
      progress.finish(update.update_id);
    }
  }
  ctx.saveSoon();
  return true;
}
