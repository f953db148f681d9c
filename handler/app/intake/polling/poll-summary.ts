import { TelegramApiError, TokenRejectedError } from "../../../errors.js";
import { errorFields, type Logger } from "../../../log.js";
import type { PollProgress } from "./poll-progress.js";

/** What one poller run did; the invoke's JSON result. */
export interface PollSummary {
  status: "ok" | "busy" | "conflict";
  updates: number;
  handled: number;
  skipped: number;
  duplicates: number;
  /** Failed this time; retried on a later invoke. */
  failed: number;
  /** Failed too often; given up with a reply to the user. */
  givenUp: number;
  /** Not started because the deadline was near (or the lease was lost); next invoke takes them. */
  deferred: number;
  offset: number;
  errors: string[];
  message?: string;
}

/** A summary of a run that has done nothing yet. */
export function emptySummary(): PollSummary {
  return {
    status: "ok",
    updates: 0,
    handled: 0,
    skipped: 0,
    duplicates: 0,
    failed: 0,
    givenUp: 0,
    deferred: 0,
    offset: 0,
    errors: [],
  };
}

/** A failed `getUpdates`: explained in the summary; an error to throw when polling cannot work at all. */
export function pollFailed(
  err: unknown,
  run: {
    readonly first: boolean;
    readonly summary: PollSummary;
    readonly log: Logger;
    readonly progress: PollProgress;
  },
): unknown {
  const { first, summary, log, progress } = run;
  if (err instanceof TelegramApiError && err.code === 409) {
    const webhook = /webhook/i.test(err.description);
    const message = webhook
      ? "Telegram refused getUpdates (409 Conflict): a webhook is set, so updates go to it and polling is off. Delete the webhook (npm run webhook -- delete) to poll instead."
      : "Telegram refused getUpdates (409 Conflict): another bot instance with this token is polling. Stop the other instance.";
    // A webhook set on purpose is a normal state: said once (remembered with the
    // poller's state, across invokes), not an error every minute.
    if (!webhook) log.warn(message, { description: err.description });
    else if (progress.webhookNoticed) log.debug(message);
    else log.info(message, { description: err.description });
    progress.webhookNoticed = webhook;
    summary.status = "conflict";
    summary.message = message;
    return undefined;
  }
  if (first || err instanceof TokenRejectedError) return err;
  log.warn("polling Telegram failed; finishing the answers in hand", errorFields(err));
  summary.errors.push(
    `getUpdates: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
  );
  return undefined;
}
