/**
 * The storage ports the bot logic owns for conversations and people:
 * sessions and profiles, archives, archive lifecycle writes, access and usage.
 * (Where updates are tracked, the poller state and the webhook ledger, is in
 * `update-store-ports.ts`.) DynamoDB and S3 adapters in `handler/adapters/`
 * implement them. `ports.ts` re-exports them, so callers import every port
 * from one place.
 */
import type {
  ArchiveReason,
  ChatMessage,
  Session,
  SessionKey,
  SessionSettings,
  UserProfile,
} from "../domain/session.js";
import type { UpdateRef } from "../domain/update-stamp.js";
import type { Usage } from "../domain/usage.js";

/** Changes written together with new messages. */
export interface AppendChange {
  /** The update whose turn this is: the session is stamped with it (see `domain/update-stamp.ts`). */
  readonly update: UpdateRef;
  readonly now: Date;
  readonly usage?: {
    readonly promptTokens: number;
    readonly completionTokens: number;
    readonly totalMs: number;
  };
  readonly contextTrimWarned?: boolean;
  /** The public URL of the server that wrote this turn's answer: the session's `ollama_endpoint` from now on. */
  readonly answeredBy?: string;
}

/** Sessions and user profiles in the `ChatbotSessions` table. Reads never swallow errors. */
export interface SessionStore {
  getProfile(userId: number): Promise<UserProfile | undefined>;
  /** Writes the profile unless an update after the one it is stamped with already did (`ConflictError`). */
  saveProfile(profile: UserProfile): Promise<void>;
  getSession(key: SessionKey): Promise<Session | undefined>;
  /** Creates the item; `ConflictError` if it exists. */
  createSession(session: Session): Promise<void>;
  /**
   * Appends messages to an active session in one conditional write (constant
   * cost: only the new messages travel). `ConflictError` when the session is
   * closed or the update was already applied. An `unsaved` session is created
   * by this write, with the messages (`ConflictError` if it exists).
   */
  appendMessages(
    session: Session,
    messages: readonly ChatMessage[],
    change: AppendChange,
  ): Promise<Session>;
  /** Replaces per-session settings (system prompt, Ollama options). */
  updateSettings(session: Session, settings: SessionSettings, update: UpdateRef): Promise<Session>;
  /** Every session of a user (active and closed), newest first. */
  listSessions(userId: number): Promise<Session[]>;
}

/** Archived transcripts (S3). */
export interface ArchiveStore {
  put(key: string, body: string, contentType: string): Promise<void>;
  /** @returns undefined when there is no such object. */
  get(key: string): Promise<string | undefined>;
  /** Stores binary content (images a user sent). */
  putBytes(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** @returns undefined when there is no such object. */
  getBytes(key: string): Promise<Uint8Array | undefined>;
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

/** One answered turn, as counted against the daily limits. */
export interface UsageTurn {
  readonly userId: number;
  /** Answered turns counted by this write (1, or more when counts were held together). */
  readonly messages: number;
  /** Prompt plus answer tokens, as Ollama reported them, of those turns. */
  readonly tokens: number;
  /** The UTC day it counts for (`yyyy-mm-dd`). */
  readonly day: string;
  readonly name?: string;
}

/** Per-user usage counters (one item per user). Reads never swallow errors. */
export interface UsageStore {
  /** The user's counters; undefined before their first counted turn. */
  get(userId: number): Promise<Usage | undefined>;
  /**
   * Adds the turns' messages and tokens to the user's day and all-time counters
   * in one write (two at the first write of a UTC day, which restarts the day).
   * `knownDay` (the day last seen for this user) picks the write to try first.
   * @returns the counters after the write.
   */
  record(turn: UsageTurn, knownDay?: string): Promise<Usage>;
  /** The users with the most tokens on `day`, most first, at most `limit` (a bounded Query). */
  topOfDay(day: string, limit: number): Promise<Usage[]>;
}
