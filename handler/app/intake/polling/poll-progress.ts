import type { Update } from "@grammyjs/types";
import type { UpdateTooLargeError } from "../../../errors.js";
import type { PollerState } from "../../ports.js";
import { tooLargeToKeep } from "../handled.js";

/** Most updates taken on at once (one `getUpdates` answer holds at most 100). */
export const MAX_PENDING = 100;
/**
 * The pending updates are stored in the poller's DynamoDB item (400 KB at
 * most); their JSON stays under this, leaving room for the rest of the item.
 */
export const MAX_PENDING_BYTES = 256 * 1024;

/**
 * Tracks the updates one poller run has taken on and derives the state to
 * store. An update is taken on before Telegram is told to forget it (a higher
 * `getUpdates` offset), and it stays in the stored `pending` list until it is
 * finished, so a crash, a deadline or a lost lease never loses one. The offset
 * stops at the first unfinished update, and updates finished out of order are
 * remembered, so none is answered twice.
 */
export class PollProgress {
  private readonly done: Set<number>;
  private readonly attempts: Record<string, number>;
  private readonly pending = new Map<number, { update: Update; bytes: number }>();
  private pendingBytes = 0;
  private fetchedTo: number;
  /** Telegram said a webhook is set, and that was logged: not said again until polling works. */
  webhookNoticed: boolean;

  constructor(private readonly initial: PollerState) {
    this.done = new Set(initial.done);
    this.attempts = { ...initial.attempts };
    this.fetchedTo = Math.max(initial.fetchedTo ?? initial.offset, initial.offset);
    this.webhookNoticed = initial.webhookNoticed ?? false;
    for (const update of initial.pending ?? []) {
      if (!this.done.has(update.update_id)) this.hold(update, sizeOf(update));
    }
  }

  /** Updates an earlier run took on and did not finish, in Telegram's order. */
  carriedOver(): Update[] {
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
   * Takes on the updates Telegram returned, in id order, while they fit; the
   * rest stay with Telegram for a later call. Updates already taken on or
   * finished are not taken again; one over `MAX_UPDATE_BYTES` is finished at
   * once, never held, and returned in `tooLarge` for the caller to give up.
   * @returns the updates newly taken on, how many were seen before, and the too large ones.
   */
  take(updates: readonly Update[]): {
    taken: Update[];
    duplicates: number;
    tooLarge: { update: Update; error: UpdateTooLargeError }[];
  } {
    this.webhookNoticed = false;
    const taken: Update[] = [];
    const tooLarge: { update: Update; error: UpdateTooLargeError }[] = [];
    let duplicates = 0;
    for (const update of [...updates].sort((a, b) => a.update_id - b.update_id)) {
      const id = update.update_id;
      if (id < this.fetchedTo || this.done.has(id)) {
        duplicates++;
        this.fetchedTo = Math.max(this.fetchedTo, id + 1);
        continue;
      }
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
      this.hold(update, bytes);
      this.fetchedTo = id + 1;
      taken.push(update);
    }
    return { taken, duplicates, tooLarge };
  }

  finish(id: number): void {
    this.done.add(id);
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
    const offset = pending[0]?.update_id ?? this.fetchedTo;
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

  private hold(update: Update, bytes: number): void {
    this.pending.set(update.update_id, { update, bytes });
    this.pendingBytes += bytes;
  }

  private pendingUpdates(): Update[] {
    return [...this.pending.values()]
      .map((p) => p.update)
      .sort((a, b) => a.update_id - b.update_id);
  }
}

function sizeOf(update: Update): number {
  return Buffer.byteLength(JSON.stringify(update));
}
