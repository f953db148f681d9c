import type { Update } from "@grammyjs/types";
import { ConflictError, TelegramApiError } from "../errors.js";
import { errorFields, type Logger } from "../log.js";
import type { UpdateOutcome } from "./dispatch.js";
import { toLanes } from "./lanes.js";
import type { ChatGateway, PollerState, PollerStateStore } from "./ports.js";

/** No update is started with less time than this left: it could not finish. */
export const START_RESERVE_MS = 20_000;
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
  /** Not started because the deadline was near; next invoke takes them. */
  deferred: number;
  offset: number;
  errors: string[];
  message?: string;
}

/** Collaborators of {@link Poller}. */
export interface PollerDeps {
  readonly telegram: ChatGateway;
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
 * loses an update nor answers one twice.
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
    let state = await deps.state.acquire(owner, deadline + 10_000, this.now());
    if (!state) {
      deps.log.info("another poller holds the lease; not polling");
      return {
        ...summary,
        status: "busy",
        message: "Another invocation is already polling; this one did nothing.",
      };
    }
    if (deps.beforeBatch) state = await deps.beforeBatch(state);
    summary.offset = state.offset;
    let updates: Update[];
    try {
      updates = await deps.telegram.getUpdates(state.offset, BATCH_LIMIT, 0);
    } catch (err) {
      await deps.state.save(owner, state, true);
      if (err instanceof TelegramApiError && err.code === 409) {
        const message =
          "Telegram refused getUpdates (409 Conflict): a webhook is set or another poller is running. Delete the webhook (npm run webhook -- delete) or stop the other bot instance.";
        deps.log.error(message, { description: err.description });
        return { ...summary, status: "conflict", message };
      }
      throw err;
    }
    summary.updates = updates.length;
    const progress = new Progress(state, updates);
    const save = coalesce(() => deps.state.save(owner, progress.snapshot(), false));
    let leaseLost = false;

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
          if (attempts < deps.maxAttempts) {
            deps.log.warn("update failed; will retry on a later invoke", {
              updateId: update.update_id,
              attempts,
              ...errorFields(err),
            });
            summary.failed++;
            save.request();
            return false;
          }
          deps.log.error("update failed too often; giving up", {
            updateId: update.update_id,
            attempts,
            ...errorFields(err),
          });
          summary.givenUp++;
          await deps
            .giveUp(update, err)
            .catch((e: unknown) => deps.log.warn("could not tell the user", errorFields(e)));
          progress.finish(update.update_id);
        }
      }
      save.request();
      return true;
    };

    const lanes = toLanes(updates);
    const runLane = async (lane: Update[]) => {
      for (const [i, update] of lane.entries()) {
        if (leaseLost || deadline - this.now() < START_RESERVE_MS) {
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
    await runPool(lanes, deps.maxConcurrency, runLane);
    try {
      await save.flush();
      await deps.state.save(owner, progress.snapshot(), true);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      leaseLost = true;
      deps.log.error("lost the poller lease; another invoke took over", errorFields(err));
    }
    summary.offset = progress.snapshot().offset;
    return summary;
  }
}

/** Tracks which updates of a batch are finished; derives the offset to store. */
class Progress {
  private readonly done: Set<number>;
  private readonly attempts: Record<string, number>;
  private readonly ids: number[];

  constructor(
    private readonly initial: PollerState,
    updates: readonly Update[],
  ) {
    this.done = new Set(initial.done);
    this.attempts = { ...initial.attempts };
    this.ids = updates.map((u) => u.update_id).sort((a, b) => a - b);
  }

  isDone(id: number): boolean {
    return this.done.has(id);
  }

  finish(id: number): void {
    this.done.add(id);
    delete this.attempts[String(id)];
  }

  fail(id: number): number {
    const n = (this.attempts[String(id)] ?? 0) + 1;
    this.attempts[String(id)] = n;
    return n;
  }

  snapshot(): PollerState {
    const pending = this.ids.find((id) => !this.done.has(id));
    const last = this.ids.at(-1);
    const offset =
      pending ??
      (last !== undefined ? Math.max(last + 1, this.initial.offset) : this.initial.offset);
    const attempts = Object.fromEntries(
      Object.entries(this.attempts).filter(([id]) => Number(id) >= offset),
    );
    return {
      ...this.initial,
      offset,
      done: [...this.done].filter((id) => id >= offset).sort((a, b) => a - b),
      attempts,
    };
  }
}

/** Runs `work` on every item with at most `limit` at a time. */
async function runPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (item !== undefined) await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** At most one write in flight; requests made meanwhile fold into one more write. */
function coalesce(write: () => Promise<void>): { request(): void; flush(): Promise<void> } {
  let running: Promise<void> | undefined;
  let dirty = false;
  let failure: unknown;
  const loop = async () => {
    while (dirty) {
      dirty = false;
      try {
        await write();
      } catch (err) {
        failure = err;
      }
    }
    running = undefined;
  };
  return {
    request() {
      dirty = true;
      running ??= loop();
    },
    async flush() {
      await running;
      if (failure instanceof ConflictError) throw failure;
    },
  };
}
