/** The poller's timing: its lease, how long it listens (and how: PollOptions), when it stops starting updates. */

/** No update is started with less time than this left: it could not finish. */
export const START_RESERVE_MS = 20_000;
/**
 * How long the poller lease lasts without renewal. It is renewed every
 * {@link LEASE_RENEW_MS} while the invoke runs and released when it ends, so a
 * poller that died (killed, out of memory, timed out) blocks the others for at
 * most this long, whatever the Lambda timeout.
 */
export const LEASE_MS = 15_000;
/** The poller renews its lease this often while it runs. */
export const LEASE_RENEW_MS = 5_000;
/** Finished updates are written to the poller state at most this often (see saveSoon). */
export const FINISH_SAVE_MS = 500;
/** No update is started when the lease was last confirmed longer ago than LEASE_MS minus this. */
export const LEASE_SAFETY_MS = 3_000;
/**
 * Longest `getUpdates` wait. Telegram answers as soon as an update arrives, so
 * a long wait costs no latency; it is cut short when the answers in hand are
 * done (Lambda) or the bot stops.
 */
export const LONG_POLL_SECONDS = 25;

/** How one `Poller.run` listens. */
export interface PollOptions {
  /**
   * Keep long-polling when nothing is in hand (`npm start`). Without it (a
   * Lambda invoke), the run ends once the updates in hand are answered and
   * none arrived meanwhile; with nothing to do it asks once without waiting.
   */
  readonly listenWhenIdle?: boolean;
  /** Stops polling at once; the answers running finish, nothing new starts. */
  readonly signal?: AbortSignal;
}
