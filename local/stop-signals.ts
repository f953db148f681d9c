/**
 * How `npm start` stops. A terminal sends Ctrl-C (SIGINT) and hang-up (SIGHUP)
 * to the whole foreground process group, and every wrapper in the chain
 * (npm, sh, tsx) may pass the same signal on again, so one key press can reach
 * the bot two or three times within milliseconds. Signals that arrive within
 * {@link SAME_PRESS_MS} of the first are therefore one press; only a signal
 * a clear second later means "quit at once".
 */

/** Signals closer together than this are the same key press relayed by wrappers. */
export const SAME_PRESS_MS = 1_000;

/** The signals that ask the bot to stop: Ctrl-C, `kill`, and closing the terminal. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** What {@link watchStopSignals} needs from the process (the real one in `npm start`). */
export interface SignalSource {
  on(signal: StopSignal, listener: () => void): unknown;
  off(signal: StopSignal, listener: () => void): unknown;
}

/** Options of {@link watchStopSignals}. */
export interface StopSignalOptions {
  readonly source: SignalSource;
  /** Tells the person at the terminal what happens. */
  readonly say: (line: string) => void;
  /** Quits at once (a second press); `npm start` exits with 130 like a shell. */
  readonly quitNow: () => void;
  readonly now?: () => number;
}

/** A stop request being watched for. */
export interface StopWatch {
  /** Aborted by the first stop signal: finish the work in hand, start nothing new. */
  readonly signal: AbortSignal;
  /** Removes the signal listeners. */
  dispose(): void;
}

/**
 * Listens for SIGINT, SIGTERM and SIGHUP. The first one aborts {@link StopWatch.signal}
 * (the bot finishes the answers in hand and exits 0); repeats within
 * {@link SAME_PRESS_MS} are ignored; one after that calls `quitNow`.
 */
export function watchStopSignals(options: StopSignalOptions): StopWatch {
  const now = options.now ?? Date.now;
  const stop = new AbortController();
  let firstAt: number | undefined;
  const onSignal = (name: StopSignal) => {
    const at = now();
    if (firstAt === undefined) {
      firstAt = at;
      options.say(
        name === "SIGINT"
          ? "Finishing the messages in hand… (Ctrl-C again to quit at once)"
          : `Got ${name}: finishing the messages in hand…`,
      );
      stop.abort();
      return;
    }
    if (at - firstAt < SAME_PRESS_MS) return;
    options.say("Stopping now; unanswered updates stay with Telegram for next time.");
    options.quitNow();
  };
  const listeners = STOP_SIGNALS.map((name) => [name, () => onSignal(name)] as const);
  for (const [name, listener] of listeners) options.source.on(name, listener);
  return {
    signal: stop.signal,
    dispose() {
      for (const [name, listener] of listeners) options.source.off(name, listener);
    },
  };
}
