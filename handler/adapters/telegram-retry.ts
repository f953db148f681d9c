import { HttpError, type Transformer } from "grammy";

/** Retry limits of {@link telegramRetryPolicy}. */
export interface RetryPolicyOptions {
  /** Epoch ms after which no wait may end (the invoke's deadline). */
  readonly deadline: () => number;
  readonly maxAttempts?: number;
  /** First backoff for 5xx and network failures; doubles per attempt. */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The one place that decides whether a Telegram call is tried again:
 * 429 → wait exactly `retry_after` (shorter waits keep failing), 5xx and network
 * failures → bounded exponential backoff, anything else (400, 401, 403, 409) → give up.
 * No wait may run past the deadline: then the error surfaces at once.
 */
export function telegramRetryPolicy(options: RetryPolicyOptions): Transformer {
  const maxAttempts = options.maxAttempts ?? 4;
  const base = options.baseDelayMs ?? 300;
  const sleep = options.sleep ?? sleepMs;
  const now = options.now ?? Date.now;
  const fits = (waitMs: number) => now() + waitMs < options.deadline() - 1_000;

  return async (prev, method, payload, signal) => {
    for (let attempt = 1; ; attempt++) {
      let waitMs: number;
      try {
        const res = await prev(method, payload, signal);
        if (res.ok || attempt >= maxAttempts) return res;
        if (res.error_code === 429) {
          waitMs = Math.max(1, res.parameters?.retry_after ?? 1) * 1000;
        } else if (res.error_code >= 500) {
          waitMs = base * 2 ** (attempt - 1);
        } else {
          return res;
        }
        if (!fits(waitMs)) return res;
      } catch (err) {
        if (!(err instanceof HttpError) || attempt >= maxAttempts || signal?.aborted) throw err;
        waitMs = base * 2 ** (attempt - 1);
        if (!fits(waitMs)) throw err;
      }
      await sleep(waitMs);
    }
  };
}
