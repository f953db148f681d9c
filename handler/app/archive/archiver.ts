import type { ArchiveReason, ChatMessage, Session } from "../../domain/session.js";
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

/** Limits of {@link Archiver}. */
export interface ArchiverSettings {
  readonly archiveAfterMessages: number;
  readonly archiveAfterBytes: number;
  /** Messages kept in DynamoDB after a size-triggered archive. */
  readonly keepMessages: number;
  readonly idleMs: number;
  /** How long closed-session metadata stays (0: forever). */
  readonly closedRetentionSeconds: number;
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
    return buildArchive(session, await this.transcript(session), this.settings.now().toISOString());
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
    const bytes = session.conversation.reduce(
      (sum, m) => sum + Buffer.byteLength(m.content, "utf8") + 64,
      0,
    );
    return (
      session.conversation.length > this.settings.archiveAfterMessages ||
      bytes > this.settings.archiveAfterBytes
    );
  }

  /** Moves all but the most recent messages of an active session to S3; the session stays active. */
  async trim(session: Session): Promise<Session> {
    const now = this.settings.now();
    const all = await this.transcript(session);
    const s3Path = await this.write(session, all, now);
    let keep = session.conversation.slice(-this.settings.keepMessages);
    // The window must also fit the byte bound, or it would be trimmed again at once.
    while (
      keep.length > 2 &&
      keep.reduce((s, m) => s + Buffer.byteLength(m.content, "utf8") + 64, 0) >
        this.settings.archiveAfterBytes / 2
    ) {
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

  /** Archives and closes sessions idle for longer than the configured time. Never lets one failure stop the rest. */
  async sweepIdle(limit: number): Promise<{ archived: number; failed: number }> {
    const cutoff = new Date(this.settings.now().getTime() - this.settings.idleMs).toISOString();
    const keys = await this.lifecycle.findIdle(cutoff, limit);
    let archived = 0;
    let failed = 0;
    for (const key of keys) {
      try {
        const session = await this.sessions.getSession(key);
        if (session?.status !== "active" || session.lastMessageTs >= cutoff) continue;
        await this.close(session, "idle");
        archived++;
      } catch (err) {
        failed++;
        this.log.warn("idle archive failed; will retry on a later invoke", {
          ...key,
          ...errorFields(err),
        });
      }
    }
    return { archived, failed };
  }

  /** Reads and validates a session's archive document; undefined if none. */
  async readArchive(
    session: Pick<Session, "userId" | "model" | "sessionId">,
  ): Promise<ArchiveDocument | undefined> {
    const raw = await this.objects.get(
      `${archiveKeyBase(session.userId, session.model, session.sessionId)}.json`,
    );
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
    const doc = buildArchive(session, messages, now.toISOString());
    const base = archiveKeyBase(session.userId, session.model, session.sessionId);
    await this.objects.put(
      `${base}.json`,
      `${JSON.stringify(doc, null, 2)}\n`,
      "application/json; charset=utf-8",
    );
    await this.objects.put(`${base}.txt`, renderTranscript(doc), "text/plain; charset=utf-8");
    return this.objects.uri(`${base}.json`);
  }
}
