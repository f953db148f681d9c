import type { Update } from "@grammyjs/types";
import type { UpdateTooLargeError } from "../../../errors.js";
import type { PollerState, TakenUpdate } from "../../ports.js";
import { tooLargeToKeep } from "../handled.js";

/** Most updates taken on at once (one `getUpdates` answer holds at most 100). */
export const MAX_PENDING = 100;
/**
 * The pending updates are stored in the poller's DynamoDB item (400 KB at
 * most); their JSON stays under this, leaving room for the rest of the item.
 */
export const MAX_PENDING_BYTES = 256 * 1024;

/** Telegram's update ids began a new sequence: a batch started below the offset asked for. */
export interface SequenceRestart {
  /** The offset the bot asked from (the old sequence's next id). */
  readonly askedFrom: number;
  /** The first id of the new sequence. */
  readonly firstId: number;
}

/**
 * Tracks the updates one poller run has taken on and derives the state to
 * store. An update is taken on before Telegram is told to forget it (a higher
 * `getUpdates` offset), and it stays in the stored `pending` list until it is
 * finished, so a crash, a deadline or a lost lease never loses one. The offset
 * stops at the first unfinished update, and updates finished out of order are
 * remembered, so none is answered twice.
 *
 * Telegram's ids are not forever increasing: after a week without updates the
 * next one is chosen at random, and each Bot API server has its own. An
 * update below the offset asked for is Telegram saying so (it only returns
 * unconfirmed updates): the new sequence is taken from there ({@link take}).
 */
export class PollProgress {
  private readonly done: Set<number>;
  private readonly attempts: Record<string, number>;
  private readonly pending = new Map<number, { taken: TakenUpdate; bytes: number }>();
  private pendingBytes = 0;
  private fetchedTo: number;
  /** Telegram said a webhook is set, and that was logged: not said again until polling works. */
  webhookNoticed: boolean;

  constructor(private readonly initial: PollerState) {
    this.done = new Set(initial.done);
    this.attempts = { ...initial.attempts };
    this.fetchedTo = initial.fetchedTo ?? initial.offset;
    this.webhookNoticed = initial.webhookNoticed ?? false;
    for (const taken of initial.pending ?? []) {
      if (!this.done.has(taken.update.update_id)) this.hold(taken, sizeOf(taken.update));
    }
  }

  /** Updates an earlier run took on and did not finish, in Telegram's order. */
  carriedOver(): TakenUpdate[] {
    return this.pendingUpdates();
  }

  /** The `getUpdates` offset: asking from here confirms only updates finished or pending. */
  get nextOffset(): number {
    return this.fetchedTo;
  }

  /** How many more updates may be taken on now. */
  get room(): number {
    return MAX_PENDING - this.pending.size;
  }

  isDone(id: number): boolean {
    return this.done.has(id);
  }

  /**
   * Takes on the updates a `getUpdates` call from {@link nextOffset} returned,
   * at `now`, in id order, while they fit; the rest stay with Telegram for a
   * later call. Updates already taken on or finished are not taken again; one
   * over `MAX_UPDATE_BYTES` is finished at once, never held, and returned in
   * `tooLarge` for the caller to give up. A batch that starts below the offset
   * asked for is a new id sequence (`restart`): it is taken from its first id,
   * and ids the old sequence finished no longer count.
   * @returns the updates newly taken on, how many were seen before, the too large ones, and a restart.
   */
  take(
    updates: readonly Update[],
    now: number,
  ): {
    taken: TakenUpdate[];
    duplicates: number;
    tooLarge: { update: Update; error: UpdateTooLargeError }[];
    restart?: SequenceRestart;
  } {
    this.webhookNoticed = false;
    const taken: TakenUpdate[] = [];
    const tooLarge: { update: Update; error: UpdateTooLargeError }[] = [];
    const sorted = [...updates].sort((a, b) => a.update_id - b.update_id);
    const firstId = sorted[0]?.update_id;
    const restart =
      firstId !== undefined && firstId < this.fetchedTo
        ? { askedFrom: this.fetchedTo, firstId }
        : undefined;
    if (restart) this.restartAt(restart.firstId);
    let duplicates = 0;
    for (const update of sorted) {
      const id = update.update_id;
      if (id < this.fetchedTo || this.done.has(id)) {
        duplicates++;
        this.fetchedTo = Math.max(this.fetchedTo, id + 1);
        continue;
      }
      // Still pending from before a restart, under the same id: it stays with Telegram until that one is finished.
      if (this.pending.has(id)) break;
      const bytes = sizeOf(update);
      const error = tooLargeToKeep(bytes);
      if (error) {
        // Never held: the poller item could not store it. Finished here, given up by the caller.
        this.done.add(id);
        this.fetchedTo = id + 1;
        tooLarge.push({ update, error });
        continue;
      }
      const full =
        this.pending.size >= MAX_PENDING ||
        (this.pending.size > 0 && this.pendingBytes + bytes > MAX_PENDING_BYTES);
      if (full) break;
      const held = { update, receivedAt: now };
      this.hold(held, bytes);
      this.fetchedTo = id + 1;
      taken.push(held);
    }
    return { taken, duplicates, tooLarge, ...(restart ? { restart } : {}) };
  }

  finish(id: number): void {
    // Within one sequence every pending id is below fetchedTo; one at or above it was taken
    // before a restart, and the new sequence may still reach its id: it is not remembered.
    if (id < this.fetchedTo) this.done.add(id);
    const held = this.pending.get(id);
    if (held) {
      this.pendingBytes -= held.bytes;
      this.pending.delete(id);
    }
    delete this.attempts[String(id)];
  }

  /** Failed attempts recorded for an update still pending (0 for a new one). */
  failures(id: number): number {
    return this.attempts[String(id)] ?? 0;
  }

  fail(id: number): number {
    const n = (this.attempts[String(id)] ?? 0) + 1;
    this.attempts[String(id)] = n;
    return n;
  }

  snapshot(): PollerState {
    const pending = this.pendingUpdates();
    const offset = pending[0]?.update.update_id ?? this.fetchedTo;
    const attempts = Object.fromEntries(
      Object.entries(this.attempts).filter(([id]) => Number(id) >= offset),
    );
    return {
      ...this.initial,
      offset,
      fetchedTo: this.fetchedTo,
      pending,
      webhookNoticed: this.webhookNoticed,
      done: [...this.done].filter((id) => id >= offset).sort((a, b) => a - b),
      attempts,
    };
  }

  /**
   * A new sequence starts at `firstId`: Telegram is asked from there, and the
   * ids finished in the old one are forgotten (the new one may reuse them).
   * Updates still pending from the old sequence stay pending and are answered.
   */
  private restartAt(firstId: number): void {
    this.fetchedTo = firstId;
    this.done.clear();
  }

  private hold(taken: TakenUpdate, bytes: number): void {
    this.pending.set(taken.update.update_id, { taken, bytes });
    this.pendingBytes += bytes;
  }

  private pendingUpdates(): TakenUpdate[] {
    return [...this.pending.values()]
      .map((p) => p.taken)
      .sort((a, b) => a.update.update_id - b.update.update_id);
  }
}

function sizeOf(update: Update): number {
  return Buffer.byteLength(JSON.stringify(update));
}
