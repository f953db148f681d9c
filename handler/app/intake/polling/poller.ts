import type { Update } from "@grammyjs/types";
import { StorageError } from "../../../errors.js";
import type { Logger } from "../../../log.js";
import type { ChatGateway, PollerState, PollerStateStore } from "../../ports.js";
import { type CheckedUpdate, checkUpdate } from "../checked-update.js";
import type { UpdateOutcome } from "../dispatch.js";
import { giveUpTooLarge } from "../handled.js";
import { ChatLanes } from "./chat-lanes.js";
import { PollProgress } from "./poll-progress.js";
import { emptySummary, type PollSummary, pollFailed } from "./poll-summary.js";
import { LEASE_MS, LONG_POLL_SECONDS, type PollOptions, START_RESERVE_MS } from "./poll-timing.js";
import { PollerLease } from "./poller-lease.js";
import { runUpdate } from "./update-runner.js";

export type { PollSummary } from "./poll-summary.js";

/** Collaborators of {@link Poller}. */
export interface PollerDeps {
  readonly telegram: ChatGateway;
  /** Saving (without releasing) also renews the lease for LEASE_MS. */
  readonly state: PollerStateStore;
  readonly log: Logger;
  readonly maxConcurrency: number;
  readonly maxAttempts: number;
  /** Answers one update; throws for failures worth retrying. */
  readonly handle: (update: CheckedUpdate) => Promise<UpdateOutcome>;
  /** Tells the user we gave up on their update. */
  readonly giveUp: (update: CheckedUpdate, err: unknown) => Promise<void>;
  /** Updates that skip their lane and run at once (a Stop press, /stop). */
  readonly urgent?: (update: CheckedUpdate) => boolean;
  /** Work done once per invoke while holding the lease, before the batch (may update the state). */
  readonly beforeBatch?: (state: PollerState) => Promise<PollerState>;
  /**
   * Work done once the answers are finished, before the lease is released
   * (writes the usage counts still held for senders whose later updates were
   * not run). Must not throw.
   */
  readonly afterBatch?: () => Promise<void>;
  readonly now?: () => number;
}

/**
 * One poller run: takes the lease, asks Telegram for updates from the stored
 * offset and answers them (lanes in parallel, each lane in order), while it
 * keeps long-polling, so a new chat's message starts at once instead of
 * waiting for someone else's long answer. Updates are stored as pending before
 * Telegram is told to forget them, the offset only moves past an update once it
 * is finished or given up, and updates finished out of order are remembered,
 * so a crash or a deadline never loses an update nor answers one twice. The
 * lease is renewed while the run lasts and released on every way out.
 */
export class Poller {
  private readonly now: () => number;
  private lanes: ChatLanes | undefined;

  constructor(private readonly deps: PollerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** How many of the sender's updates wait in this run, not yet started (0 outside a run). */
  waitingFrom(senderId: number): number {
    return this.lanes?.waitingFrom(senderId) ?? 0;
  }

  async run(owner: string, deadline: number, options: PollOptions = {}): Promise<PollSummary> {
    const { deps } = this;
    const summary = emptySummary();
    const acquiredAt = this.now();
    let acquired: PollerState | undefined;
    try {
      acquired = await deps.state.acquire(owner, acquiredAt + LEASE_MS, acquiredAt);
    } catch (err) {
      throw new StorageError(
        `Could not take the poller lease in DynamoDB (${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}). Nothing was read from Telegram, so no update is lost; the next invoke tries again.`,
        { cause: err },
      );
    }
    if (!acquired) {
      deps.log.info("another poller holds the lease; not polling");
      return {
        ...summary,
        status: "busy",
        message: `Another poller holds the lease (one still polling with this token and table, or one that stopped without letting go within the last ${LEASE_MS / 1000} s); this poll did nothing.`,
      };
    }

    let state: PollerState = acquired;
    const lease = new PollerLease(deps, owner, acquiredAt, () => state, this.now);
    const mayStart = () =>
      lease.fresh && !options.signal?.aborted && deadline - this.now() >= START_RESERVE_MS;

    const work = async (): Promise<PollSummary> => {
      if (deps.beforeBatch) state = await deps.beforeBatch(state);
      const progress = new PollProgress(state);
      lease.snapshot = () => progress.snapshot();
      const lanes = new ChatLanes(
        deps.maxConcurrency,
        (update) =>
          runUpdate(update, {
            ...deps,
            progress,
            summary,
            mayStart,
            saveSoon: () => lease.saveSoon(),
          }),
        () => summary.deferred++,
        deps.urgent,
      );
      this.lanes = lanes;
      // Updates read back from the poller state enter here, so they are checked here.
      for (const { update, receivedAt } of progress.carriedOver()) {
        summary.updates++;
        lanes.add(checkUpdate(update, receivedAt));
      }
      const fatal = await this.listen(deadline, options, {
        progress,
        summary,
        lanes,
        persist: () => lease.persist(),
        mayStart,
      });
      await lanes.idle();
      await deps.afterBatch?.();
      summary.offset = progress.snapshot().offset;
      if (fatal !== undefined) throw fatal;
      return summary;
    };

    let result: PollSummary;
    try {
      result = await work();
    } catch (err) {
      await lease.release();
      throw err;
    }
    const problem = await lease.release();
    return problem ? { ...result, message: [result.message, problem].join(" ").trim() } : result;
  }

  /**
   * Polls Telegram while answers run, handing each new update to its lane at
   * once. Asks once without waiting first; then long-polls while anything is
   * in hand (or, with `listenWhenIdle`, until stopped), as long as new updates
   * could still start. Each update is stored as pending before a later call
   * confirms it to Telegram. Every update passes here as it arrives, before
   * its lane: the place to route one that must not wait behind its chat's
   * running answer (a Stop button press).
   * @returns an error to throw once the running answers are finished.
   */
  private async listen(
    deadline: number,
    options: PollOptions,
    run: {
      readonly progress: PollProgress;
      readonly summary: PollSummary;
      readonly lanes: ChatLanes;
      readonly persist: () => Promise<boolean>;
      readonly mayStart: () => boolean;
    },
  ): Promise<unknown> {
    const { deps } = this;
    const { progress, summary, lanes, persist } = run;
    // Set after waiting for answers to make room: Telegram holds updates that did not fit.
    let heldBack = false;
    for (let first = true; ; first = false) {
      const busy = lanes.size > 0;
      const window = Math.floor((deadline - START_RESERVE_MS - this.now()) / 1000);
      if (options.signal?.aborted) return undefined;
      // The first call always happens: it reports what waits even when nothing may start.
      const idle = !busy && !options.listenWhenIdle && !heldBack;
      if (!first && (window < 1 || !run.mayStart() || idle)) return undefined;
      if (progress.room === 0) {
        // Full: wait for the answers in hand (or stop, when what is pending cannot run now).
        if (!busy) return undefined;
        await lanes.idle();
        heldBack = true;
        continue;
      }
      heldBack = false;
      const quick = first && !busy && !options.listenWhenIdle;
      const poll = new AbortController();
      const stop = () => poll.abort();
      options.signal?.addEventListener("abort", stop, { once: true });
      // Nothing left to answer: the invoke ends now instead of at the poll's timeout.
      if (busy && !options.listenWhenIdle) void lanes.idle().then(stop);
      let updates: Update[];
      try {
        updates = await deps.telegram.getUpdates({
          offset: progress.nextOffset,
          limit: progress.room,
          timeoutSeconds: quick ? 0 : Math.max(0, Math.min(LONG_POLL_SECONDS, window)),
          signal: poll.signal,
        });
      } catch (err) {
        if (poll.signal.aborted) continue;
        return pollFailed(err, { first, summary, log: deps.log, progress });
      } finally {
        options.signal?.removeEventListener("abort", stop);
      }
      const receivedAt = this.now();
      const { taken, duplicates, tooLarge, restart } = progress.take(updates, receivedAt);
      if (restart)
        deps.log.warn(
          "Telegram's update ids started a new sequence (after a week without updates, or another Bot API server); taking them from the new first id",
          { ...restart },
        );
      summary.duplicates += duplicates;
      for (const { update, error } of tooLarge) {
        summary.updates++;
        summary.givenUp++;
        await giveUpTooLarge(checkUpdate(update, receivedAt), error, deps);
      }
      if (taken.length === 0) {
        // Updates Telegram sent that could not be taken on yet (the pending list's bytes are
        // full, or an id still pending from before a restart) are sent again at once: asking
        // again before an answer finishes would only loop. Nothing running: nothing will free them.
        const left = updates.length - duplicates - tooLarge.length;
        if (left > 0) {
          if (lanes.size === 0) return undefined;
          await lanes.idle();
          heldBack = true;
        }
        continue;
      }
      summary.updates += taken.length;
      // One line per batch (npm start runs for minutes; its "poll finished" comes at the end).
      deps.log.info("updates received", {
        count: taken.length,
        firstUpdateId: taken[0]?.update.update_id,
        lastUpdateId: taken.at(-1)?.update.update_id,
      });
      // Stored as pending before any is started: an update answered but never recorded would
      // come back from Telegram taken on at a new time, and its answer's stamp would not know it.
      if (!(await persist())) {
        deps.log.warn(
          "could not store the updates taken on; they are not started, and not polling again in this invoke",
        );
        return undefined;
      }
      for (const t of taken) lanes.add(checkUpdate(t.update, t.receivedAt));
    }
  }
}
