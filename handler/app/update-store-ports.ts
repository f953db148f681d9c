/**
 * The storage ports that track updates rather than conversations: the
 * poller's lease, offset and pending updates, and the webhook update ledger.
 * DynamoDB adapters in `handler/adapters/` implement them; `ports.ts`
 * re-exports them.
 */
import type { Update } from "@grammyjs/types";

/** An update the bot took on, with when it did (epoch ms; see `domain/update-stamp.ts`). */
export interface TakenUpdate {
  readonly update: Update;
  readonly receivedAt: number;
}

/** The poller's own state: lease, offset, updates taken on but not finished, retry counts. */
export interface PollerState {
  /** The first update not finished: everything below it is answered (or given up). */
  readonly offset: number;
  /**
   * Where Telegram is asked from (`getUpdates` offset), at or above `offset`:
   * updates below it that are not finished are in `pending`. Absent in state
   * stored before pending updates existed; `offset` then.
   */
  readonly fetchedTo?: number;
  /** Updates taken on from Telegram (so confirmed to it) and not finished yet, in id order. */
  readonly pending?: readonly TakenUpdate[];
  /** Update ids at or above `offset` already finished (handled out of order). */
  readonly done: readonly number[];
  /** Failed attempts per update id still pending. */
  readonly attempts: Readonly<Record<string, number>>;
  /** Set once the command menu was registered. */
  readonly commandsVersion?: string;
  /** A webhook was found set (getUpdates 409) and said so; cleared once polling works again. */
  readonly webhookNoticed?: boolean;
}

/** Persists the single poller's lease and offset. */
export interface PollerStateStore {
  /**
   * Takes the lease until `leaseUntil` (epoch ms) unless another owner holds an
   * unexpired one. @returns the stored state, or undefined when the lease is held.
   */
  acquire(owner: string, leaseUntil: number, now: number): Promise<PollerState | undefined>;
  /** Saves state while still holding the lease; `ConflictError` if it was lost. */
  save(owner: string, state: PollerState, release: boolean): Promise<void>;
}

/** Where an update stands in the {@link UpdateLedger}. */
export type UpdateStatus = "pending" | "done" | "failed";

/** An update stored by a webhook delivery and not yet answered. */
export interface PendingUpdate extends TakenUpdate {
  /** Handling attempts started so far. */
  readonly attempts: number;
}

/**
 * The one answer to "was this update handled?" for webhook deliveries and
 * queued invokes: each update is recorded under its lane (a user, or a chat)
 * before it is acknowledged, answered in `update_id` order by whoever holds
 * the lane's lease, then marked done or failed. Failed ones stay listed
 * (`npm run failed`) until replayed.
 */
export interface UpdateLedger {
  /**
   * Records an update as pending unless it is known already (a redelivery).
   * An update is known by its id and its content: a finished update of an
   * earlier id sequence stored under the same id is replaced.
   * @returns `"new"`, or the status it already had.
   */
  record(lane: string, update: Update, now: number): Promise<"new" | UpdateStatus>;
  /** The status of a recorded update; undefined when it was never recorded (or another update holds its id). */
  status(lane: string, update: Update, now: number): Promise<UpdateStatus | undefined>;
  /**
   * The lane's pending updates above `after`, lowest `update_id` first (read
   * consistently). Starting at the lane's watermark keeps the read constant
   * however many answered updates the lane still remembers.
   */
  pending(lane: string, after: number): Promise<PendingUpdate[]>;
  /** Counts one more handling attempt. @returns the attempts so far, this one included. */
  startAttempt(lane: string, updateId: number): Promise<number>;
  /** Marks an update answered, or given up with `reason` (it then stays in the failure list). */
  finish(
    lane: string,
    updateId: number,
    outcome: "done" | { failed: string },
    now: number,
  ): Promise<void>;
  /**
   * Takes the lane's lease until `until` (epoch ms) unless another owner holds
   * an unexpired one; taking it again as the same owner renews it.
   * @returns the lane's watermark (every update recorded at or below it by
   * then was finished) while this owner holds the lease, or undefined.
   */
  acquireLane(
    lane: string,
    owner: string,
    until: number,
    now: number,
  ): Promise<{ readonly doneThrough: number } | undefined>;
  /**
   * Lets go of the lease (a no-op when another owner took it meanwhile),
   * moving the watermark to `doneThrough` when given.
   */
  releaseLane(lane: string, owner: string, doneThrough?: number): Promise<void>;
}
