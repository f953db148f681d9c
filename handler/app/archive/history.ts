import type { ChatMessage, Session } from "../../domain/session.js";
import { runPool } from "../intake/polling/concurrency.js";
import type { ArchiveStore } from "../ports.js";
import { ArchiveIntegrityError, inStorage } from "./errors.js";
import {
  type ArchiveDocument,
  archiveKeyBase,
  archiveMessages,
  archiveSchema,
  buildArchive,
} from "./format.js";
import {
  type ArchivePart,
  buildPart,
  coverOf,
  partKey,
  partMessages,
  partRange,
  partSchema,
  partsPrefix,
  serializePart,
} from "./parts.js";
import { renderTranscript } from "./transcript.js";

/** Parts read at once when a whole conversation is composed. */
const PARALLEL_READS = 8;

type SessionRef = Pick<Session, "userId" | "model" | "sessionId">;

/**
 * A session's history in S3: the parts appended while it is active and the
 * composed archive (`session_<id>.json` and `.txt`) written when it ends. Every
 * storage failure becomes an `ArchiveStorageError`; a missing or malformed
 * piece the session says exists is an {@link ArchiveIntegrityError}.
 */
export class SessionHistory {
  constructor(
    private readonly objects: ArchiveStore,
    private readonly modelDefaults?: Readonly<Record<string, number>>,
  ) {}

  /**
   * Writes the messages not yet in S3 (those after `archivedCount`, all in the
   * live window) as one new part: the cost is that of the new messages only.
   * @returns the first message of the newest part afterwards (unchanged when
   * there was nothing new), to be recorded with the session.
   */
  async append(session: Session): Promise<number | undefined> {
    const fresh = session.conversation.filter((m) => m.seq > session.archivedCount);
    if (fresh.length === 0) return session.archiveTail;
    const contiguous = fresh.every((m, i) => m.seq === session.archivedCount + 1 + i);
    if (!contiguous || fresh.at(-1)?.seq !== session.messageCount) {
      throw new ArchiveIntegrityError(
        `Session ${session.sessionId}: the live window does not hold messages ${session.archivedCount + 1}..${session.messageCount}.`,
      );
    }
    const part = buildPart(session.sessionId, fresh, session.archiveTail);
    const key = partKey(this.prefix(session), part.first_seq, part.last_seq);
    await inStorage("write", key, () =>
      this.objects.put(key, serializePart(part), "application/json; charset=utf-8"),
    );
    return part.first_seq;
  }

  /**
   * Messages 1..`archivedCount`: the parts (listed once, read in parallel), and
   * for sessions whose parts start later, the composed archive before them.
   */
  async archived(session: Session): Promise<ChatMessage[]> {
    const through = session.archivedCount;
    if (through === 0) return [];
    const prefix = this.prefix(session);
    const keys = await inStorage("list", prefix, () => this.objects.list(prefix));
    const ranges = keys.flatMap((k) => partRange(prefix, k) ?? []).filter((r) => r.last <= through);
    const { parts, composedThrough } = coverOf(ranges, through);
    const older = composedThrough > 0 ? await this.composedThrough(session, composedThrough) : [];
    const read: ChatMessage[][] = [];
    await runPool([...parts.keys()], PARALLEL_READS, async (i) => {
      const range = parts[i];
      if (!range) return;
      const part = await this.readPart(session, range.first, range.last);
      if (!part) throw this.missing(session, range.first, range.last);
      read[i] = partMessages(part);
    });
    return [...older, ...read.flat()];
  }

  /**
   * The last `count` archived messages, reading backwards from the newest part
   * only as far as needed. @returns undefined when storage lacks a piece.
   */
  async recent(session: Session, count: number): Promise<ChatMessage[] | undefined> {
    const found: ChatMessage[] = [];
    let last = session.archivedCount;
    let first = session.archiveTail;
    while (last > 0 && found.length < count) {
      if (first === undefined) {
        // No part before this point: the composed archive holds messages 1..last.
        const doc = await this.readComposed(session);
        if (!doc || doc.messages.length < last) return undefined;
        found.unshift(...archiveMessages(doc).slice(0, last));
        break;
      }
      const part = await this.readPart(session, first, last);
      if (!part) return undefined;
      found.unshift(...partMessages(part));
      last = first - 1;
      first = part.previous_first_seq ?? undefined;
    }
    return found.slice(-count);
  }

  /** Reads and validates the composed archive; undefined if there is none. */
  async readComposed(session: SessionRef): Promise<ArchiveDocument | undefined> {
    const key = `${archiveKeyBase(session.userId, session.model, session.sessionId)}.json`;
    const raw = await inStorage("read", key, () => this.objects.get(key));
    if (raw === undefined) return undefined;
    const parsed = archiveSchema.safeParse(JSON.parse(raw));
    if (!parsed.success)
      throw new ArchiveIntegrityError(
        `The archive of session ${session.sessionId} is not valid: ${parsed.error.issues[0]?.message}`,
      );
    return parsed.data;
  }

  /**
   * Writes the composed archive of the whole conversation `messages`: the JSON
   * first, then the readable TXT. Each object is replaced whole (S3 never shows
   * half an object). @returns the JSON's s3 path.
   */
  async writeComposed(
    session: Session,
    messages: readonly ChatMessage[],
    now: Date,
  ): Promise<string> {
    const doc = buildArchive(session, messages, now.toISOString(), this.modelDefaults);
    const base = archiveKeyBase(session.userId, session.model, session.sessionId);
    await inStorage("write", `${base}.json`, () =>
      this.objects.put(
        `${base}.json`,
        `${JSON.stringify(doc, null, 2)}\n`,
        "application/json; charset=utf-8",
      ),
    );
    await inStorage("write", `${base}.txt`, () =>
      this.objects.put(`${base}.txt`, renderTranscript(doc), "text/plain; charset=utf-8"),
    );
    return this.objects.uri(`${base}.json`);
  }

  private prefix(session: SessionRef): string {
    return partsPrefix(session.userId, session.model, session.sessionId);
  }

  private async composedThrough(session: Session, through: number): Promise<ChatMessage[]> {
    const doc = await this.readComposed(session);
    if (!doc || doc.messages.length < through) throw this.missing(session, 1, through);
    return archiveMessages(doc).slice(0, through);
  }

  /** Reads one part; undefined if it does not exist. */
  private async readPart(
    session: SessionRef,
    first: number,
    last: number,
  ): Promise<ArchivePart | undefined> {
    const key = partKey(this.prefix(session), first, last);
    const raw = await inStorage("read", key, () => this.objects.get(key));
    if (raw === undefined) return undefined;
    const parsed = partSchema.safeParse(JSON.parse(raw));
    if (
      !parsed.success ||
      parsed.data.first_seq !== first ||
      parsed.data.last_seq !== last ||
      parsed.data.session_id !== session.sessionId
    ) {
      throw new ArchiveIntegrityError(
        `The archive part ${key} is not valid: ${parsed.success ? "it holds other messages than its name says" : parsed.error.issues[0]?.message}`,
      );
    }
    return parsed.data;
  }

  private missing(session: SessionRef, first: number, last: number): ArchiveIntegrityError {
    return new ArchiveIntegrityError(
      `Messages ${first}..${last} of session ${session.sessionId} are in neither an archive part nor the composed archive.`,
    );
  }
}
