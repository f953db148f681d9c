import { type AbortSignalLike, reasonOf } from "../../time-limit.js";
import type { ServerState } from "./server-state.js";

/** An answer waiting for room on one of its servers. */
interface Waiter {
  readonly candidates: readonly ServerState[];
  /** Called once: with the server it got, or undefined when all its candidates went down. */
  readonly settle: (state: ServerState | undefined) => void;
}

/**
 * The places answers take on servers: at most `parallel` at once on each
 * server, the least busy first (the one listed first on a tie, so a quiet bot
 * keeps its models loaded on one machine); answers beyond that wait, in the
 * order they came, for the first place to free on a server that has their model.
 */
export class Slots {
  private readonly waiting: Waiter[] = [];

  constructor(
    private readonly parallel: number,
    /** Whether a server may take answers now (it is not down). */
    private readonly usable: (state: ServerState) => boolean,
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
  ): Promise<ServerState | undefined> {
    if (signal.aborted) return Promise.reject(reasonOf(signal));
    // Those already waiting go first: a newcomer takes only a place none of them can use.
    const free = this.waiting.length === 0 ? this.roomOn(candidates) : undefined;
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
      if (waiter.candidates.some(this.usable)) continue;
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
      const free = this.roomOn(waiter.candidates);
      if (!free) continue;
      this.drop(waiter);
      free.inFlight++;
      waiter.settle(free);
    }
  }

  private roomOn(candidates: readonly ServerState[]): ServerState | undefined {
    let best: ServerState | undefined;
    for (const state of candidates) {
      if (state.inFlight >= this.parallel || !this.usable(state)) continue;
      if (
        !best ||
        state.inFlight < best.inFlight ||
        (state.inFlight === best.inFlight && state.place < best.place)
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
