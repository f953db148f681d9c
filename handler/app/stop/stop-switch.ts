/**
 * Stopping work in progress (an answer being streamed, a model download):
 * whoever runs it registers it, and a Stop press, `/stop` or Telegram's own
 * draft Stop asks it to end. A user has at most one such piece of work per
 * chat at a time (their updates are answered in order), so it is found by
 * chat and user, and the press names it by its id so that a stale button
 * cannot stop a later answer.
 */

/** One piece of stoppable work. */
export interface WorkRef {
  readonly chatId: number;
  /** Who started it: only they may stop it. */
  readonly userId: number;
  /** Names the work in buttons (and as the draft id of a streamed draft). */
  readonly workId: number;
}

/** Work registered with a {@link StopSwitch}. */
export interface RunningWork {
  /** Aborted once someone asked the work to stop. */
  readonly signal: AbortSignal;
  /** True once a stop was asked for (and not because of anything else). */
  readonly stopped: boolean;
  /** Unregisters the work: later presses hear it already finished. Idempotent. */
  end(): Promise<void>;
}

/** What a stop request found. */
export type StopOutcome = "stopping" | "finished";

/** Where running work is registered and stop requests are delivered. */
export interface StopSwitch {
  start(ref: WorkRef): Promise<RunningWork>;
  /**
   * Asks the user's work in `chatId` to stop: the one named `workId`, or
   * whatever runs when it is left out (`/stop`).
   */
  request(chatId: number, userId: number, workId?: number): Promise<StopOutcome>;
}

/** The id of the work an update starts: a positive 31-bit number (a draft id must be non-zero). */
export function workIdOf(updateId: number): number {
  return updateId % 2_147_483_647 || 1;
}

const keyOf = (chatId: number, userId: number): string => `${chatId}:${userId}`;

/**
 * A {@link StopSwitch} inside one process: enough when the press reaches the
 * process running the work (polling, where one poller answers everything).
 */
export class LocalStopSwitch implements StopSwitch {
  private readonly running = new Map<string, { workId: number; controller: AbortController }>();

  async start(ref: WorkRef): Promise<RunningWork> {
    const key = keyOf(ref.chatId, ref.userId);
    const controller = new AbortController();
    const entry = { workId: ref.workId, controller };
    this.running.set(key, entry);
    return {
      signal: controller.signal,
      get stopped() {
        return controller.signal.aborted;
      },
      end: async () => {
        if (this.running.get(key) === entry) this.running.delete(key);
      },
    };
  }

  async request(chatId: number, userId: number, workId?: number): Promise<StopOutcome> {
    const entry = this.running.get(keyOf(chatId, userId));
    if (!entry || (workId !== undefined && entry.workId !== workId)) return "finished";
    entry.controller.abort(new Error("stopped by the user"));
    return "stopping";
  }
}
