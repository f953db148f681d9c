import {
  type ArchiveReason,
  type ChatMessage,
  messagesBytes,
  type Session,
} from "../../domain/session.js";
import { BotError } from "../../errors.js";
import { errorFields, type Logger } from "../../log.js";
import type { ArchiveStore, SessionLifecycleStore, SessionStore } from "../ports.js";
import {
  type ArchiveDocument,
  archiveKeyBase,
  archiveMessages,
  archiveSchema,
  buildArchive,
  mergeMessages,
  renderTranscript,
} from "./format.js";

/** An archive in S3 is missing messages the session says it holds. */
export class ArchiveIntegrityError extends BotError {
  override readonly name = "ArchiveIntegrityError";
}

/** The archive storage (S3) failed; DynamoDB was not changed. */
export class ArchiveStorageError extends BotError {
  override readonly name = "ArchiveStorageError";
}

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
 * Moves conversations from DynamoDB (live) to S3 (history). S3 is written
 * first; DynamoDB changes only after S3 confirmed, with a write conditional on
 * the message count the archive was built from. Archives are merged by `seq`,
 * so re-running one after a crash writes the same objects.
 */
export class Archiver {
  constructor(
    private readonly sessions: SessionStore,
    private readonly lifecycle: SessionLifecycleStore,
    private readonly objects: ArchiveStore,
    private readonly settings: ArchiverSettings,
    private readonly log: Logger,
  ) {}

  /** The full transcript so far: what S3 holds plus the live window. */
  async transcript(session: Session): Promise<ChatMessage[]> {
    const archived = session.archivedCount > 0 ? await this.readArchive(session) : undefined;
    const merged = mergeMessages(archived ? archiveMessages(archived) : [], session.conversation);
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

  /** Archives and closes a session (`/end`, `/new`, idle). */
  async close(session: Session, reason: ArchiveReason): Promise<Session> {
    const now = this.settings.now();
    const closing: Session = {
      ...session,
      status: "closed",
      closedAt: now.toISOString(),
      archiveReason: reason,
    };
    const s3Path = await this.write(closing, await this.transcript(session), now);
    const retention = this.settings.closedRetentionSeconds;
    const closed = await this.lifecycle.closeArchived(session, {
      s3Path,
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

  /** Moves all but the most recent messages of an active session to S3; the session stays active. */
  async trim(session: Session): Promise<Session> {
    const now = this.settings.now();
    const all = await this.transcript(session);
    const s3Path = await this.write(session, all, now);
    let keep = session.conversation.slice(-this.settings.keepMessages);
    // The window must also fit the byte bound, or it would be trimmed again at once.
    while (keep.length > 2 && messagesBytes(keep) > this.settings.archiveAfterBytes / 2) {
      keep = keep.slice(1);
    }
    const trimmed = await this.lifecycle.trimArchived(session, { s3Path, keep, now });
    this.log.info("older messages archived", {
      sessionId: session.sessionId,
      userId: session.userId,
      s3Path,
      kept: keep.length,
      archived: all.length,
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

  /** Reads and validates a session's archive document; undefined if none. */
  async readArchive(
    session: Pick<Session, "userId" | "model" | "sessionId">,
  ): Promise<ArchiveDocument | undefined> {
    const key = `${archiveKeyBase(session.userId, session.model, session.sessionId)}.json`;
    const raw = await this.storage("read", key, () => this.objects.get(key));
    if (raw === undefined) return undefined;
    const parsed = archiveSchema.safeParse(JSON.parse(raw));
    if (!parsed.success)
      throw new ArchiveIntegrityError(
        `The archive of session ${session.sessionId} is not valid: ${parsed.error.issues[0]?.message}`,
      );
    return parsed.data;
  }

  /** Writes both objects (JSON first, then the readable TXT). @returns the JSON's s3 path. */
  async write(session: Session, messages: readonly ChatMessage[], now: Date): Promise<string> {
    const doc = buildArchive(session, messages, now.toISOString(), this.settings.modelDefaults);
    const base = archiveKeyBase(session.userId, session.model, session.sessionId);
    await this.storage("write", `${base}.json`, () =>
      this.objects.put(
        `${base}.json`,
        `${JSON.stringify(doc, null, 2)}\n`,
        "application/json; charset=utf-8",
      ),
    );
    await this.storage("write", `${base}.txt`, () =>
      this.objects.put(`${base}.txt`, renderTranscript(doc), "text/plain; charset=utf-8"),
    );
    return this.objects.uri(`${base}.json`);
  }

  /** Runs one S3 call; any failure becomes an {@link ArchiveStorageError}. */
  private async storage<T>(what: string, key: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw new ArchiveStorageError(
        `Could not ${what} ${key} in the archive storage: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
  }
}

/** Window size past which nothing more is written before a trim succeeds (DynamoDB's limit is 400 KB). */
const HARD_WINDOW_BYTES = 256 * 1024;
