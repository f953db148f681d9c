import { ConflictError } from "../../../errors.js";
import { errorFields, type Logger } from "../../../log.js";
import type { PollerState, PollerStateStore } from "../../ports.js";
import { coalescedWriter } from "./concurrency.js";
import { FINISH_SAVE_MS, LEASE_MS, LEASE_RENEW_MS, LEASE_SAFETY_MS } from "./poll-timing.js";

/** Collaborators of {@link PollerLease}. */
export interface PollerLeaseDeps {
  /** Saving (without releasing) also renews the lease for LEASE_MS. */
  readonly state: PollerStateStore;
  readonly log: Logger;
}

/**
 * The poller lease one run holds, and the state writes that keep it. Every
 * save renews the lease, so a heartbeat saves every LEASE_RENEW_MS; a save
 * that finds another owner means the lease was lost, and then nothing new may
 * start. Writes never overlap: requests made during one fold into the next.
 */
export class PollerLease {
  private confirmedAt: number;
  private lost = false;
  private changes = 0;
  private stored = 0;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly heartbeat: ReturnType<typeof setInterval>;
  private readonly save: { request(): void; flush(): Promise<void> };

  /**
   * @param snapshot what a save stores; the run points it at its progress
   * once the batch starts ({@link PollerLease.snapshot}).
   */
  constructor(
    private readonly deps: PollerLeaseDeps,
    private readonly owner: string,
    acquiredAt: number,
    public snapshot: () => PollerState,
    private readonly now: () => number,
  ) {
    this.confirmedAt = acquiredAt;
    this.save = coalescedWriter(async () => {
      const at = this.now();
      const upTo = this.changes;
      try {
        await deps.state.save(owner, this.snapshot(), false);
        this.confirmedAt = at;
        this.stored = Math.max(this.stored, upTo);
      } catch (err) {
        if (err instanceof ConflictError) this.lost = true;
        else deps.log.warn("could not store the poller state; will try again", errorFields(err));
        throw err;
      }
    });
    this.heartbeat = setInterval(() => this.save.request(), LEASE_RENEW_MS);
    this.heartbeat.unref?.();
  }

  /**
   * True while the lease is surely still ours: not lost, and confirmed
   * recently enough that it cannot lapse before an update gets going.
   */
  get fresh(): boolean {
    return !this.lost && this.now() - this.confirmedAt < LEASE_MS - LEASE_SAFETY_MS;
  }

  /**
   * Records a finished update, stored at most every FINISH_SAVE_MS: one write
   * for many answers. One finished but not yet stored when the process dies
   * is taken up again and found answered in its session (a duplicate), not
   * answered twice.
   */
  saveSoon(): void {
    this.changes++;
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      this.save.request();
    }, FINISH_SAVE_MS);
  }

  /** Stores every change so far; false when that failed (then Telegram must not be told to forget anything). */
  async persist(): Promise<boolean> {
    this.changes++;
    this.save.request();
    const wanted = this.changes;
    await this.save.flush().catch(() => undefined);
    return !this.lost && this.stored >= wanted;
  }

  /**
   * Stops the timers, stores the final state and gives the lease back. Never
   * throws: a lease that cannot be released lapses by itself within LEASE_MS,
   * and the updates already answered are recorded with their sessions, so
   * none is answered again.
   * @returns what went wrong, for the summary.
   */
  async release(): Promise<string | undefined> {
    const { log } = this.deps;
    const final = this.snapshot();
    clearInterval(this.heartbeat);
    clearTimeout(this.saveTimer);
    await this.save.flush().catch(() => undefined);
    const lostMessage =
      "Lost the poller lease to another invocation; the updates not started were left to it.";
    if (this.lost) {
      log.error("lost the poller lease; another invoke took over");
      return lostMessage;
    }
    try {
      await this.deps.state.save(this.owner, final, true);
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
