import { type AbortSignalLike, reasonOf } from "../../time-limit.js";
import type { ServerState } from "./server-state.js";

/** An answer waiting for room on one of its servers. */
interface Waiter {
  readonly candidates: readonly ServerState[];
  /** Its chat, which breaks ties between equally busy servers (see {@link Slots}). */
  readonly chat: string | undefined;
  /** Called once: with the server it got, or undefined when all its candidates went down. */
  readonly settle: (state: ServerState | undefined) => void;
}

/**
 * The places answers take on servers: at most `parallel` at once on each
 * server, the least busy first; answers beyond that wait, in the order they
 * came, for the first place to free on a server that has their model, or for
 * the back-off of one that failed to end.
 *
 * A tie between equally busy servers goes by the chat (rendezvous hashing:
 * each chat ranks the servers its own way, stably): a webhook invoke answers
 * one update and sees no load at all, so without this every answer would go
 * to the server listed first; and a chat that keeps to one server finds its
 * conversation's prompt still cached there.
 */
export class Slots {
  private readonly waiting: Waiter[] = [];
  private wake: NodeJS.Timeout | undefined;

  constructor(
    private readonly parallel: number,
    /** Epoch ms from which a server may take answers again (0 or past: now). */
    private readonly usableFrom: (state: ServerState) => number,
    private readonly now: () => number,
  ) {}

  /**
   * A place on one of `candidates`, now or once one frees (give it back with
   * {@link give}). Resolves undefined when every candidate went down while it
   * waited: the caller routes again.
   * @throws the signal's reason when `signal` aborts first.
   */
  take(
    candidates: readonly ServerState[],
    signal: AbortSignalLike,
    chat?: string,
  ): Promise<ServerState | undefined> {
    if (signal.aborted) return Promise.reject(reasonOf(signal));
    // Went down since the caller chose them: it routes again rather than wait for a back-off.
    if (!candidates.some((s) => this.usable(s))) return Promise.resolve(undefined);
    // Those already waiting go first: a newcomer takes only a place none of them can use.
    const free = this.waiting.length === 0 ? this.roomOn(candidates, chat) : undefined;
    if (free) {
      free.inFlight++;
      return Promise.resolve(free);
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.drop(waiter);
        reject(reasonOf(signal));
      };
      const waiter: Waiter = {
        candidates,
        chat,
        settle: (state) => {
          signal.removeEventListener("abort", onAbort);
          resolve(state);
        },
      };
      signal.addEventListener("abort", onAbort);
      this.waiting.push(waiter);
      this.grant();
    });
  }

  /** The answer on `state` is over: its place goes to the first waiter that can use it. */
  give(state: ServerState): void {
    state.inFlight--;
    this.grant();
  }

  /** A server went down: waiters it was the last hope of route again; the others may move. */
  recheck(): void {
    for (const waiter of [...this.waiting]) {
      if (waiter.candidates.some((s) => this.usable(s))) continue;
      this.drop(waiter);
      waiter.settle(undefined);
    }
    this.grant();
  }

  /** How many answers wait for a place. */
  get queued(): number {
    return this.waiting.length;
  }

  private grant(): void {
    for (const waiter of [...this.waiting]) {
      const free = this.roomOn(waiter.candidates, waiter.chat);
      if (!free) continue;
      this.drop(waiter);
      free.inFlight++;
      waiter.settle(free);
    }
    this.wakeWhenBack();
  }

  /**
   * While answers wait, wakes them when the first of their servers that is
   * down comes back: a place may be free there while the others stay busy.
   */
  private wakeWhenBack(): void {
    clearTimeout(this.wake);
    this.wake = undefined;
    const now = this.now();
    const back = this.waiting
      .flatMap((w) => w.candidates.map((s) => this.usableFrom(s)))
      .filter((at) => at > now);
    if (back.length === 0) return;
    this.wake = setTimeout(() => this.grant(), Math.min(...back) - now + 1);
    // Never what keeps a process alive: the waiters' own deadlines do that.
    this.wake.unref();
  }

  private usable(state: ServerState): boolean {
    return this.usableFrom(state) <= this.now();
  }

  private roomOn(
    candidates: readonly ServerState[],
    chat: string | undefined,
  ): ServerState | undefined {
    let best: ServerState | undefined;
    for (const state of candidates) {
      if (state.inFlight >= this.parallel || !this.usable(state)) continue;
      if (
        !best ||
        state.inFlight < best.inFlight ||
        (state.inFlight === best.inFlight && rank(chat, state) > rank(chat, best))
      )
        best = state;
    }
    return best;
  }

  private drop(waiter: Waiter): void {
    const at = this.waiting.indexOf(waiter);
    if (at >= 0) this.waiting.splice(at, 1);
  }
}

/**
 * How much `chat` prefers `state` (rendezvous hashing, FNV-1a of the chat and
 * the server's place): stable, and spread evenly over the servers. Without a
 * chat, the server listed first.
 */
function rank(chat: string | undefined, state: ServerState): number {
  if (chat === undefined) return -state.place;
  let hash = 0x811c9dc5;
  for (const char of `${chat}/${state.place}`) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193);
  }
  // A final mix: FNV alone leaves inputs that differ only at the end too alike.
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x2c1b3c6d);
  hash ^= hash >>> 12;
  return hash >>> 0;
}
