import type { Update } from "@grammyjs/types";
import { ConflictError, isPermanentFailure, StorageError, TelegramApiError } from "../errors.js";
import { errorFields, type Logger } from "../log.js";
import { coalesce, runPool } from "./concurrency.js";
import type { UpdateOutcome } from "./dispatch.js";
import { toLanes } from "./lanes.js";
import { BatchProgress } from "./poll-progress.js";
import type { ChatGateway, PollerState, PollerStateStore } from "./ports.js";

/** No update is started with less time than this left: it could not finish. */
export const START_RESERVE_MS = 20_000;
/**
 * How long the poller lease lasts without renewal. It is renewed every
 * {@link LEASE_RENEW_MS} while the invoke runs and released when it ends, so a
 * poller that died (killed, out of memory, timed out) blocks the others for at
 * most this long, whatever the Lambda timeout.
 */
export const LEASE_MS = 15_000;
export const LEASE_RENEW_MS = 5_000;
/** No update is started when the lease was last confirmed longer ago than LEASE_MS minus this. */
const LEASE_SAFETY_MS = 3_000;
const BATCH_LIMIT = 100;

/** What one poll did; the invoke's JSON result. */
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

/** Collaborators of {@link Poller}. */
export interface PollerDeps {
  readonly telegram: ChatGateway;
  /** Saving (without releasing) also renews the lease for LEASE_MS. */
  readonly state: PollerStateStore;
  readonly log: Logger;
  readonly maxConcurrency: number;
  readonly maxAttempts: number;
  /** Answers one update; throws for failures worth retrying. */
  readonly handle: (update: Update) => Promise<UpdateOutcome>;
  /** Tells the user we gave up on their update. */
  readonly giveUp: (update: Update, err: unknown) => Promise<void>;
  /** Work done once per invoke while holding the lease, before the batch (may update the state). */
  readonly beforeBatch?: (state: PollerState) => Promise<PollerState>;
  readonly now?: () => number;
}

/**
 * One poll: takes the lease, asks Telegram for updates from the stored offset,
 * answers them (lanes in parallel, each lane in order), and stores how far it got.
 * The offset only moves past an update once it is finished or given up, and
 * updates finished out of order are remembered, so a crash or a deadline never
 * loses an update nor answers one twice. The lease is renewed while the batch
 * runs and released on every way out.
 */
export class Poller {
  private readonly now: () => number;

  constructor(private readonly deps: PollerDeps) {
    this.now = deps.now ?? Date.now;
  }

  async run(owner: string, deadline: number): Promise<PollSummary> {
    const { deps } = this;
    const summary: PollSummary = {
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
        message: `Another poller holds the lease (an invocation still polling, or one that died within the last ${LEASE_MS / 1000} s); this invocation did nothing.`,
      };
    }

    let state: PollerState = acquired;
    let snapshot = (): PollerState => state;
    // Every save renews the lease; a save that finds another owner means it was lost.
    let confirmedAt = acquiredAt;
    let leaseLost = false;
    const save = coalesce(async () => {
      const at = this.now();
      try {
        await deps.state.save(owner, snapshot(), false);
        confirmedAt = at;
      } catch (err) {
        if (err instanceof ConflictError) leaseLost = true;
        else deps.log.warn("could not store the poller state; will try again", errorFields(err));
        throw err;
      }
    });
    const heartbeat = setInterval(() => save.request(), LEASE_RENEW_MS);
    heartbeat.unref?.();
    const mayStart = () =>
      !leaseLost &&
      this.now() - confirmedAt < LEASE_MS - LEASE_SAFETY_MS &&
      deadline - this.now() >= START_RESERVE_MS;

    const work = async (): Promise<PollSummary> => {
      if (deps.beforeBatch) state = await deps.beforeBatch(state);
      summary.offset = state.offset;
      let updates: Update[];
      try {
        updates = await deps.telegram.getUpdates(state.offset, BATCH_LIMIT, 0);
      } catch (err) {
        if (err instanceof TelegramApiError && err.code === 409) {
          const message =
            "Telegram refused getUpdates (409 Conflict): a webhook is set or another poller is running. Delete the webhook (npm run webhook -- delete) or stop the other bot instance.";
          deps.log.error(message, { description: err.description });
          return { ...summary, status: "conflict", message };
        }
        throw err;
      }
      summary.updates = updates.length;
      const progress = new BatchProgress(state, updates);
      snapshot = () => progress.snapshot();
      await this.runBatch(updates, progress, summary, mayStart, () => save.request());
      summary.offset = progress.snapshot().offset;
      return summary;
    };

    let result: PollSummary;
    try {
      result = await work();
    } catch (err) {
      clearInterval(heartbeat);
      await this.release(owner, snapshot(), save, () => leaseLost);
      throw err;
    }
    clearInterval(heartbeat);
    const problem = await this.release(owner, snapshot(), save, () => leaseLost);
    return problem ? { ...result, message: [result.message, problem].join(" ").trim() } : result;
  }

  /** Answers the batch: lanes in parallel, each in order, while the lease and the deadline allow. */
  private async runBatch(
    updates: readonly Update[],
    progress: BatchProgress,
    summary: PollSummary,
    mayStart: () => boolean,
    saveSoon: () => void,
  ): Promise<void> {
    const { deps } = this;
    const runUpdate = async (update: Update): Promise<boolean> => {
      if (progress.isDone(update.update_id)) {
        summary.duplicates++;
        return true;
      }
      try {
        const outcome = await deps.handle(update);
        summary[outcome === "duplicate" ? "duplicates" : outcome]++;
        progress.finish(update.update_id);
      } catch (err) {
        if (err instanceof TelegramApiError && (err.isForbidden || err.code === 400)) {
          deps.log.warn("reply refused by Telegram; update dropped", {
            updateId: update.update_id,
            ...errorFields(err),
          });
          summary.skipped++;
          progress.finish(update.update_id);
        } else {
          const attempts = progress.fail(update.update_id);
          summary.errors.push(
            `update ${update.update_id}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`,
          );
          const permanent = isPermanentFailure(err);
          if (!permanent && attempts < deps.maxAttempts) {
            deps.log.warn("update failed; will retry on a later invoke", {
              updateId: update.update_id,
              attempts,
              ...errorFields(err),
            });
            summary.failed++;
            saveSoon();
            return false;
          }
          deps.log.error(
            permanent
              ? "update failed in a way retrying cannot fix; giving up"
              : "update failed too often; giving up",
            { updateId: update.update_id, attempts, ...errorFields(err) },
          );
          summary.givenUp++;
          await deps
            .giveUp(update, err)
            .catch((e: unknown) => deps.log.warn("could not tell the user", errorFields(e)));
          progress.finish(update.update_id);
        }
      }
      saveSoon();
      return true;
    };

    const runLane = async (lane: Update[]) => {
      for (const [i, update] of lane.entries()) {
        if (!mayStart()) {
          summary.deferred += lane.length - i;
          return;
        }
        // A failed update holds back the rest of its lane, keeping that chat in order.
        if (!(await runUpdate(update))) {
          summary.deferred += lane.length - i - 1;
          return;
        }
      }
    };
    await runPool(toLanes(updates), deps.maxConcurrency, runLane);
  }

  /**
   * Stores the final state and gives the lease back. Never throws: a lease that
   * cannot be released lapses by itself within LEASE_MS, and the updates already
   * answered are recorded with their sessions, so none is answered again.
   * @returns what went wrong, for the summary.
   */
  private async release(
    owner: string,
    state: PollerState,
    save: { flush(): Promise<void> },
    lost: () => boolean,
  ): Promise<string | undefined> {
    const { log } = this.deps;
    await save.flush().catch(() => undefined);
    const lostMessage =
      "Lost the poller lease to another invocation; the updates not started were left to it.";
    if (lost()) {
      log.error("lost the poller lease; another invoke took over");
      return lostMessage;
    }
    try {
      await this.deps.state.save(owner, state, true);
      return undefined;
    } catch (err) {
      if (err instanceof ConflictError) {
        log.error("lost the poller lease; another invoke took over", errorFields(err));
        return lostMessage;
      }
      const message = `Could not store the offset and release the poller lease (${err instanceof Error ? err.name : "error"}); it lapses by itself within ${LEASE_MS / 1000} s.`;
      log.error(message, errorFields(err));
      return message;
    }
  }
}
