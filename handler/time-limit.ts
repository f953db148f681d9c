/**
 * Time limits that hold under memory pressure: the one way this project bounds
 * a call in time.
 *
 * Node 20's `AbortSignal.any([AbortSignal.timeout(ms), other])` holds the
 * timeout signal only through weak references, so a garbage collection before
 * it fires collects it and the combined signal never aborts: a hung call then
 * outlives its deadline (docs/guarantees.md, "deadlines hold under memory
 * pressure"). A {@link TimeLimit} owns an ordinary timer, which Node's timer
 * list holds until it fires or is cleared, and follows the signals it combines
 * through listeners; it removes both when it ends or is disposed, so nothing
 * lingers on a long-lived signal.
 */

/**
 * What a time limit needs of a signal it follows: Node's own signals, and the
 * `abort-controller` polyfill's that unbundled grammY passes (`npm start`),
 * which have no `reason`.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: "abort", listener: () => void): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** Node's longest timer; a longer one would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A signal that aborts when `ms` have passed (a `TimeoutError`, as
 * `AbortSignal.timeout` gives) or when any signal it follows aborts (with that
 * signal's reason), whichever comes first. Without `ms` (or with an infinite
 * one) it only combines signals. Dispose it when the call it guards is over.
 */
export class TimeLimit {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private readonly followed = new Map<AbortSignalLike, () => void>();
  private expired = false;
  private ended = false;

  constructor(ms?: number, signals: readonly (AbortSignalLike | undefined)[] = []) {
    for (const signal of signals) this.follow(signal);
    if (this.ended || ms === undefined || !Number.isFinite(ms)) return;
    if (ms <= 0) {
      this.expire();
      return;
    }
    this.timer = setTimeout(() => this.expire(), Math.min(Math.ceil(ms), MAX_TIMER_MS));
    // Like AbortSignal.timeout's: a pending limit does not keep a process alive by itself.
    this.timer.unref();
  }

  /** Aborts when the time is up or a followed signal aborts. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True when the time ran out (not a followed signal). */
  get timedOut(): boolean {
    return this.expired;
  }

  /** Also ends when `signal` aborts (one known only once the call has started). */
  follow(signal: AbortSignalLike | undefined): void {
    if (!signal || this.ended || this.followed.has(signal)) return;
    if (signal.aborted) {
      this.end(reasonOf(signal));
      return;
    }
    const onAbort = () => this.end(reasonOf(signal));
    this.followed.set(signal, onAbort);
    signal.addEventListener("abort", onAbort);
  }

  /** The guarded call is over: clears the timer and stops following; the signal stays as it is. */
  dispose(): void {
    this.ended = true;
    clearTimeout(this.timer);
    for (const [signal, onAbort] of this.followed) signal.removeEventListener("abort", onAbort);
    this.followed.clear();
  }

  private expire(): void {
    if (this.ended) return;
    this.expired = true;
    this.end(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
  }

  private end(reason: unknown): void {
    if (this.ended) return;
    this.dispose();
    this.controller.abort(reason);
  }
}

/** A signal's reason; the polyfill's signals have none. */
export const reasonOf = (signal: AbortSignalLike): unknown =>
  signal.reason ?? new DOMException("This operation was aborted", "AbortError");

/**
 * Runs `call` with the signal of a {@link TimeLimit} of `ms` that follows
 * `signals`, and disposes the limit however the call ends.
 */
export async function withTimeLimit<T>(
  ms: number | undefined,
  signals: readonly (AbortSignalLike | undefined)[],
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const limit = new TimeLimit(ms, signals);
  try {
    return await call(limit.signal);
  } finally {
    limit.dispose();
  }
}
