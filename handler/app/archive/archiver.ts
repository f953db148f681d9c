import {
  type ArchiveReason,
  type ChatMessage,
  messagesBytes,
  type Session,
} from "../../domain/session.js";
import { errorFields, type Logger } from "../../log.js";
import type { ArchiveStore, SessionLifecycleStore, SessionStore } from "../ports.js";
import { ArchiveIntegrityError, ArchiveStorageError } from "./errors.js";
import { type ArchiveDocument, buildArchive, mergeMessages } from "./format.js";
import { SessionHistory } from "./history.js";

/** What {@link Archiver.end} did. */
export type EndResult =
  | { readonly deferred: false; readonly session: Session }
  /** S3 failed: the session is unchanged and will be archived by a later invoke's sweep. */
  | { readonly deferred: true; readonly session: Session };

/** Limits of {@link Archiver}. */
export interface ArchiverSettings {
  readonly archiveAfterMessages: number;
  readonly archiveAfterBytes: number;
  /** Messages kept in DynamoDB after a size-triggered archive. */
  readonly keepMessages: number;
  readonly idleMs: number;
  /** How long closed-session metadata stays (0: forever). */
  readonly closedRetentionSeconds: number;
  /** Ollama parameters in effect when a session sets none (e.g. `num_ctx`), recorded in archives. */
  readonly modelDefaults?: Readonly<Record<string, number>>;
  readonly now: () => Date;
}

/**
 * Moves conversations from DynamoDB (live) to S3 (history). While a session is
 * active, each trim appends only the messages it moves, as a new part; when it
 * ends, the parts and the window are composed into the complete archive. S3 is
 * written first; DynamoDB changes only after S3 confirmed, with a write
 * conditional on the message counts the S3 objects were built from. Parts and
 * archives hold messages by `seq`, so re-running either after a crash writes
 * the same messages again.
 */
export class Archiver {
  private readonly history: SessionHistory;

  constructor(
    private readonly sessions: SessionStore,
    private readonly lifecycle: SessionLifecycleStore,
    objects: ArchiveStore,
    private readonly settings: ArchiverSettings,
    private readonly log: Logger,
  ) {
    this.history = new SessionHistory(objects, settings.modelDefaults);
  }

  /** The full transcript so far: what S3 holds plus the live window (reads every part). */
  async transcript(session: Session): Promise<ChatMessage[]> {
    const merged = mergeMessages(await this.history.archived(session), session.conversation);
    const missing = merged.length === 0 ? 0 : merged.length - (merged.at(-1)?.seq ?? 0);
    if (missing !== 0) {
      throw new ArchiveIntegrityError(
        `Session ${session.sessionId} has gaps: ${merged.length} messages for seq 1..${merged.at(-1)?.seq}.`,
      );
    }
    return merged;
  }

  /** The archive document of a session as it stands (for /export of a live session). */
  async document(session: Session): Promise<ArchiveDocument> {
    return buildArchive(
      session,
      await this.transcript(session),
      this.settings.now().toISOString(),
      this.settings.modelDefaults,
    );
  }

  /**
   * Archives and closes a session its user is done with (`/end`, `/new`,
   * `/resume`). When S3 fails the session stays exactly as it was, marked so
   * that the next invoke's sweep archives it: the user never waits for S3.
   */
  async end(session: Session, reason: ArchiveReason): Promise<EndResult> {
    try {
      return { deferred: false, session: await this.close(session, reason) };
    } catch (err) {
      if (!(err instanceof ArchiveStorageError)) throw err;
      await this.lifecycle.deferClose(session, reason);
      this.log.warn("archive storage failed; the session will be archived on a later invoke", {
        sessionId: session.sessionId,
        userId: session.userId,
        reason,
        ...errorFields(err),
      });
      return { deferred: true, session };
    }
  }

  /**
   * Archives and closes a session (`/end`, `/new`, idle): the window's new
   * messages become the last part (so the parts alone always hold the whole
   * conversation), then the complete archive is composed. A failure at any
   * step leaves DynamoDB unchanged, so the session stays active and whole.
   */
  async close(session: Session, reason: ArchiveReason): Promise<Session> {
    const now = this.settings.now();
    const closing: Session = {
      ...session,
      status: "closed",
      closedAt: now.toISOString(),
      archiveReason: reason,
    };
    const archiveTail = await this.history.append(session);
    const s3Path = await this.history.writeComposed(closing, await this.transcript(session), now);
    const retention = this.settings.closedRetentionSeconds;
    const closed = await this.lifecycle.closeArchived(session, {
      s3Path,
      archiveTail,
      reason,
      now,
      expiresAt: retention > 0 ? Math.floor(now.getTime() / 1000) + retention : undefined,
    });
    this.log.info("session archived", {
      sessionId: session.sessionId,
      userId: session.userId,
      reason,
      s3Path,
      messages: session.messageCount,
    });
    return closed;
  }

  /** True when the live window passed a bound and older messages should move to S3. */
  isOversized(session: Session): boolean {
    return (
      session.conversation.length > this.settings.archiveAfterMessages ||
      messagesBytes(session.conversation) > this.settings.archiveAfterBytes
    );
  }

  /**
   * True when the window is so far past its bound that earlier trims must have
   * failed (S3 down): it has to move to S3 before anything more is written, or
   * the item would eventually pass DynamoDB's 400 KB and refuse every write.
   */
  mustTrimFirst(session: Session): boolean {
    return (
      messagesBytes(session.conversation) >
      Math.min(4 * this.settings.archiveAfterBytes, HARD_WINDOW_BYTES)
    );
  }

  /**
   * Moves all but the most recent messages of an active session to S3; the
   * session stays active. Only the messages not yet in S3 are written (one new
   * part), and nothing is read: the cost is the same at message 200 and 30,000.
   */
  async trim(session: Session): Promise<Session> {
    const now = this.settings.now();
    const archiveTail = await this.history.append(session);
    let keep = session.conversation.slice(-this.settings.keepMessages);
    // The window must also fit the byte bound, or it would be trimmed again at once.
    while (keep.length > 2 && messagesBytes(keep) > this.settings.archiveAfterBytes / 2) {
      keep = keep.slice(1);
    }
    const trimmed = await this.lifecycle.trimArchived(session, { archiveTail, keep, now });
    this.log.info("older messages archived", {
      sessionId: session.sessionId,
      userId: session.userId,
      kept: keep.length,
      archived: session.messageCount - session.archivedCount,
      archivedTotal: session.messageCount,
    });
    return trimmed;
  }

  /**
   * Archives and closes sessions idle for longer than the configured time, and
   * those whose ending waits for S3. Sessions that never got a message are
   * deleted instead (an empty archive helps nobody). Never lets one failure stop the rest.
   */
  async sweepIdle(limit: number): Promise<{ archived: number; dropped: number; failed: number }> {
    const cutoff = new Date(this.settings.now().getTime() - this.settings.idleMs).toISOString();
    const found = await this.lifecycle.findIdle(cutoff, limit);
    let archived = 0;
    let dropped = 0;
    let failed = 0;
    for (const { pendingReason, ...key } of found) {
      try {
        const session = await this.sessions.getSession(key);
        if (session?.status !== "active") continue;
        if (!pendingReason && session.lastMessageTs >= cutoff) continue;
        if (session.messageCount === 0) {
          await this.lifecycle.dropEmpty(session);
          dropped++;
          continue;
        }
        await this.close(session, pendingReason ?? "idle");
        archived++;
      } catch (err) {
        failed++;
        this.log.warn("idle archive failed; will retry on a later invoke", {
          ...key,
          ...errorFields(err),
        });
      }
    }
    return { archived, dropped, failed };
  }

  /** The last `count` messages of a closed session, reading only the newest parts. */
  recent(session: Session, count: number): Promise<ChatMessage[] | undefined> {
    return this.history.recent(session, count);
  }

  /** Reads and validates a session's composed archive; undefined if none. */
  readArchive(
    session: Pick<Session, "userId" | "model" | "sessionId">,
  ): Promise<ArchiveDocument | undefined> {
    return this.history.readComposed(session);
  }

  /** Writes the complete archive of `messages` (an import). @returns the JSON's s3 path. */
  write(session: Session, messages: readonly ChatMessage[], now: Date): Promise<string> {
    return this.history.writeComposed(session, messages, now);
  }
}

/** Window size past which nothing more is written before a trim succeeds (DynamoDB's limit is 400 KB). */
const HARD_WINDOW_BYTES = 256 * 1024;
