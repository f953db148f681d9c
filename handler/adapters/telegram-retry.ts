import { HttpError, type Transformer } from "grammy";
import { TelegramNetworkError } from "../errors.js";
import { TimeLimit } from "../time-limit.js";

/** Retry limits of {@link telegramRetryPolicy}. */
export interface RetryPolicyOptions {
  /** Epoch ms after which no wait may end (the invoke's deadline). */
  readonly deadline: () => number;
  readonly maxAttempts?: number;
  /** First backoff for 5xx and network failures; doubles per attempt. */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** How long one call may go unanswered before it is abandoned and retried (default {@link CALL_TIMEOUT_MS}). */
  readonly callTimeoutMs?: number;
  /** Told before each wait that precedes a retry (for the metrics). */
  readonly onRetry?: (retry: TelegramRetry) => void;
}

/** One retry of a Telegram call, about to wait. */
export interface TelegramRetry {
  readonly method: string;
  readonly waitMs: number;
  /** Set when Telegram answered 429: the wait it asked for (`retry_after`). */
  readonly floodWaitMs?: number;
}

/** Every Telegram call is abandoned this long before the deadline, leaving time to store progress. */
export const CALL_DEADLINE_MARGIN_MS = 1_500;

/**
 * A call Telegram has not answered in this long is abandoned and tried again.
 * Telegram answers a send or an edit within a second; one that hangs may still
 * have landed (see docs/guarantees.md, "Telegram trouble"), and waiting for the
 * invoke's deadline instead would cost the whole invoke and a second model run.
 */
export const CALL_TIMEOUT_MS = 10_000;

/** Least time a retried call is given: a wait that leaves less is not worth it. */
const MIN_CALL_MS = 1_000;

/** Calls that may rightly take longer than {@link CALL_TIMEOUT_MS}: the long poll and uploads. */
const LONG_CALLS: ReadonlySet<string> = new Set(["getUpdates", "sendDocument"]);

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The one place that decides whether a Telegram call is tried again:
 * 429 → wait exactly `retry_after` (shorter waits keep failing), 5xx and network
 * failures → bounded exponential backoff, anything else (400, 401, 403, 409) → give up.
 * No wait may run past the deadline (a wait must leave the retried call time to
 * run): then the error surfaces at once. No call may either: a request Telegram
 * has not answered by shortly before the deadline is aborted (grammY's own
 * timeout is 500 s, longer than any invoke), and a send or edit unanswered for
 * {@link CALL_TIMEOUT_MS} is abandoned and retried like a network failure.
 * Retrying a send that landed before failing leaves one stray copy per failure:
 * the Bot API has no idempotency key, and a lost answer is worse than a repeated one.
 */
export function telegramRetryPolicy(options: RetryPolicyOptions): Transformer {
  const maxAttempts = options.maxAttempts ?? 4;
  const base = options.baseDelayMs ?? 300;
  const sleep = options.sleep ?? sleepMs;
  const now = options.now ?? Date.now;
  const callTimeoutMs = options.callTimeoutMs ?? CALL_TIMEOUT_MS;
  const fits = (waitMs: number) =>
    now() + waitMs < options.deadline() - CALL_DEADLINE_MARGIN_MS - MIN_CALL_MS;

  return async (prev, method, payload, signal) => {
    for (let attempt = 1; ; attempt++) {
      let waitMs: number;
      let flood = false;
      const untilDeadline = options.deadline() - CALL_DEADLINE_MARGIN_MS - now();
      const ownLimit = LONG_CALLS.has(method) ? Number.POSITIVE_INFINITY : callTimeoutMs;
      const endsAtDeadline = untilDeadline <= ownLimit;
      // The caller's own signal too: grammY aborts through it, and the limit ends with it.
      const limit = new TimeLimit(Math.min(untilDeadline, ownLimit), [signal]);
      try {
        const res = await prev(method, payload, limit.signal as unknown as GrammySignal);
        if (res.ok || attempt >= maxAttempts) return res;
        if (res.error_code === 429) {
          waitMs = Math.max(1, res.parameters?.retry_after ?? 1) * 1000;
          flood = true;
        } else if (res.error_code >= 500) {
          waitMs = base * 2 ** (attempt - 1);
        } else {
          return res;
        }
        if (!fits(waitMs)) return res;
      } catch (err) {
        if (limit.timedOut && endsAtDeadline) {
          throw new TelegramNetworkError(
            `Telegram ${method} did not answer before the invoke's deadline; abandoned so the invoke can finish in time.`,
          );
        }
        if (!(err instanceof HttpError) || attempt >= maxAttempts || signal?.aborted) throw err;
        waitMs = base * 2 ** (attempt - 1);
        if (!fits(waitMs)) throw err;
      } finally {
        limit.dispose();
      }
      options.onRetry?.({ method, waitMs, ...(flood ? { floodWaitMs: waitMs } : {}) });
      await sleep(waitMs);
    }
  };
}

/**
 * grammY types signals as the `abort-controller` polyfill's; the bundle aliases
 * that package to Node's own (scripts/shims), so they are the same objects.
 */
type GrammySignal = Parameters<Transformer>[3];
