/**
 * The storage ports the bot logic owns: sessions and profiles, archives,
 * archive lifecycle writes, the poller's state, the webhook update ledger and
 * access. DynamoDB and S3 adapters in `handler/adapters/` implement them.
 * `ports.ts` re-exports them, so callers import every port from one place.
 */
import type { Update } from "@grammyjs/types";
import type {
  ArchiveReason,
  ChatMessage,
  Session,
  SessionKey,
  UserProfile,
} from "../domain/session.js";

/** Changes written together with new messages. */
export interface AppendChange {
  readonly updateId: number;
  readonly now: Date;
  readonly usage?: {
    readonly promptTokens: number;
    readonly completionTokens: number;
    readonly totalMs: number;
  };
  readonly contextTrimWarned?: boolean;
}

/** Sessions and user profiles in the `ChatbotSessions` table. Reads never swallow errors. */
export interface SessionStore {
  getProfile(userId: number): Promise<UserProfile | undefined>;
  /** Writes the profile unless a newer update already did (`ConflictError`). */
  saveProfile(profile: UserProfile): Promise<void>;
  getSession(key: SessionKey): Promise<Session | undefined>;
  /** Creates the item; `ConflictError` if it exists. */
  createSession(session: Session): Promise<void>;
  /**
   * Appends messages to an active session in one conditional write (constant
   * cost: only the new messages travel). `ConflictError` when the session is
   * closed or the update was already applied.
   */
  appendMessages(
    session: Session,
    messages: readonly ChatMessage[],
    change: AppendChange,
  ): Promise<Session>;
  /** Replaces per-session settings (system prompt, Ollama options). */
  updateSettings(
    session: Session,
    settings: Pick<Session, "options" | "systemPrompt">,
    updateId: number,
  ): Promise<Session>;
  /** Every session of a user (active and closed), newest first. */
  listSessions(userId: number): Promise<Session[]>;
}

/** Archived transcripts (S3). */
export interface ArchiveStore {
  put(key: string, body: string, contentType: string): Promise<void>;
  /** @returns undefined when there is no such object. */
  get(key: string): Promise<string | undefined>;
  /** Every key that starts with `prefix`, in ascending order (all pages). */
  list(prefix: string): Promise<string[]>;
  /** The `s3://…` address of a key. */
  uri(key: string): string;
}

/** How {@link SessionLifecycleStore.closeArchived} closes a session. */
export interface ArchivedClose {
  readonly s3Path: string;
  /** First message of the newest archive part. */
  readonly archiveTail?: number;
  readonly reason: ArchiveReason;
  readonly now: Date;
  /** When DynamoDB may delete the closed session's metadata (TTL, epoch seconds). */
  readonly expiresAt?: number;
}

/** Session writes made by archiving; each is conditional on the session not having changed. */
export interface SessionLifecycleStore {
  /**
   * Marks an active session closed and archived, dropping its bulky window.
   * `archiveTail`: first message of its newest archive part.
   */
  closeArchived(session: Session, change: ArchivedClose): Promise<Session>;
  /**
   * Keeps only `keep` in the window of an active session whose messages up to
   * `messageCount` are now in S3, the newest of them in the part starting at `archiveTail`.
   */
  trimArchived(
    session: Session,
    change: { archiveTail?: number; keep: readonly ChatMessage[]; now: Date },
  ): Promise<Session>;
  /** Reopens a closed session with `window` (from S3) as its recent messages. */
  reopen(session: Session, window: readonly ChatMessage[], now: Date): Promise<Session>;
  /** Stores an imported, already archived session; `ConflictError` if it exists. */
  putClosed(session: Session, change?: { expiresAt?: number }): Promise<void>;
  /**
   * Leaves an active session as it is but marks it to be archived with `reason`
   * by the next sweep (S3 failed while ending it). `ConflictError` if it changed.
   */
  deferClose(session: Session, reason: ArchiveReason): Promise<void>;
  /** Deletes an active session that never got a message; `ConflictError` if it changed. */
  dropEmpty(session: Session): Promise<void>;
  /**
   * Active sessions untouched since `before` (ISO) and those marked by
   * {@link deferClose} (first), via the sparse index: never a Scan.
   */
  findIdle(before: string, limit: number): Promise<IdleSession[]>;
}

/** A session the idle sweep should archive. */
export interface IdleSession extends SessionKey {
  /** Set when ending it was requested but S3 failed: archive it now, for this reason. */
  readonly pendingReason?: ArchiveReason;
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
  readonly pending?: readonly Update[];
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
export interface PendingUpdate {
  readonly update: Update;
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
   * @returns `"new"`, or the status it already had.
   */
  record(lane: string, update: Update, now: number): Promise<"new" | UpdateStatus>;
  /** The status of a recorded update; undefined when it was never recorded. */
  status(lane: string, updateId: number): Promise<UpdateStatus | undefined>;
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

/** Who the bot belongs to, as stored. */
export interface AccessState {
  /** The user who claimed the bot (closed-by-default mode); undefined until someone did. */
  readonly ownerId?: number;
  /** Ids an admin let in with `/allow`. */
  readonly allowed: readonly number[];
}

/** The bot's owner and allowed users. Reads never swallow errors. */
export interface AccessStore {
  get(): Promise<AccessState>;
  /** Records `userId` as the owner unless someone already is. @returns the owner after the write. */
  claimOwner(userId: number, now: Date): Promise<number>;
  /** Lets `userId` use the bot. */
  allow(userId: number): Promise<void>;
}
