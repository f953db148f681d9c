import type { CheckedUpdate } from "../checked-update.js";

/**
 * What ties updates into one lane: the chat, and the sender (a user's session
 * has one writer, whether they write in private or in a group). An update that
 * names neither has a key of its own.
 */
export function laneKeys(u: CheckedUpdate): string[] {
  const keys = [u.chatId !== undefined ? `c${u.chatId}` : `u${u.updateId}`];
  if (u.senderId !== undefined) keys.push(`f${u.senderId}`);
  return keys;
}

/**
 * Runs updates as they arrive: an update waits for every earlier update that
 * shares a lane key with it (so each chat sees its answers in order, even when
 * lanes join through a group), and at most `limit` run at once. Updates of
 * other chats start at once while a slow one runs.
 *
 * An update whose run returns false (failed, or not started) holds back the
 * later updates of its lane: they are passed to `skip` instead of run. `run`
 * reports its own failures and must not throw.
 */
export class ChatLanes {
  /** The last update queued in each lane, by the lane's root key. */
  private readonly tails = new Map<string, Promise<boolean>>();
  /** Keys joined into another key's lane (union-find parents). */
  private readonly parent = new Map<string, string>();
  private readonly queued: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  /** Updates queued and not yet started (run or skipped), by sender. */
  private readonly waiting = new Map<number, number>();
  private running = 0;
  private unfinished = 0;

  constructor(
    private readonly limit: number,
    private readonly run: (update: CheckedUpdate) => Promise<boolean>,
    private readonly skip: (update: CheckedUpdate) => void,
    /**
     * Updates that run at once, outside every lane and the concurrency cap:
     * a Stop press must reach the answer it stops, not wait behind it.
     */
    private readonly urgent: (update: CheckedUpdate) => boolean = () => false,
  ) {}

  /** Updates added and not finished (waiting or running). */
  get size(): number {
    return this.unfinished;
  }

  /**
   * How many of the sender's updates wait in their lane, not yet started: while
   * one runs, the sender has more to come in this run when this is above 0.
   */
  waitingFrom(senderId: number): number {
    return this.waiting.get(senderId) ?? 0;
  }

  /** Queues `update` behind its lane (an urgent one runs at once). */
  add(update: CheckedUpdate): void {
    if (this.urgent(update)) {
      this.unfinished++;
      void this.run(update).finally(() => this.finishOne());
      return;
    }
    const roots = [...new Set(laneKeys(update).map((k) => this.find(k)))];
    const root = roots[0] ?? `u${update.updateId}`;
    const before: Promise<boolean>[] = [];
    for (const r of roots) {
      const tail = this.tails.get(r);
      if (tail) before.push(tail);
      this.tails.delete(r);
      // Lanes joined by this update stay joined (transitively) while anything runs.
      if (r !== root) this.parent.set(r, root);
    }
    this.unfinished++;
    this.countWaiting(update, +1);
    const task = this.after(before, update);
    this.tails.set(root, task);
    void task.finally(() => {
      const mine = this.find(root);
      if (this.tails.get(mine) === task) this.tails.delete(mine);
      this.finishOne();
    });
  }

  private finishOne(): void {
    if (--this.unfinished > 0) return;
    this.parent.clear();
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Resolves once every added update has finished (at once when none is left). */
  idle(): Promise<void> {
    if (this.unfinished === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private find(key: string): string {
    let root = key;
    for (let up = this.parent.get(root); up !== undefined; up = this.parent.get(root)) root = up;
    if (root !== key) this.parent.set(key, root);
    return root;
  }

  private async after(before: Promise<boolean>[], update: CheckedUpdate): Promise<boolean> {
    const ok = (await Promise.all(before)).every(Boolean);
    if (!ok) {
      this.countWaiting(update, -1);
      this.skip(update);
      return false;
    }
    await this.slot();
    this.countWaiting(update, -1);
    try {
      return await this.run(update);
    } finally {
      this.running--;
      this.queued.shift()?.();
    }
  }

  private countWaiting(update: CheckedUpdate, by: 1 | -1): void {
    if (update.senderId === undefined) return;
    const n = this.waitingFrom(update.senderId) + by;
    if (n > 0) this.waiting.set(update.senderId, n);
    else this.waiting.delete(update.senderId);
  }

  private slot(): Promise<void> {
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.queued.push(() => {
        this.running++;
        resolve();
      }),
    );
  }
}
