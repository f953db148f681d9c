import { describe, expect, it } from "@jest/globals";
import {
  archiveAt,
  conversationOf,
  isContiguous,
  keyOf,
  onlySession,
  partMessages,
  partsOf,
  partsPrefixOf,
  person,
  repliesTo,
  reread,
  s3Keys,
  say,
  useArchiveBed,
} from "./support.js";

const turn = (i: number) => `message ${i}`;
const echo = (i: number) => `You said: message ${i}`;

describe("large sessions: older messages move to S3, the recent window stays live", () => {
  const bed = useArchiveBed({
    ARCHIVE_AFTER_MESSAGES: "4",
    ARCHIVE_AFTER_KB: "64",
    CONTEXT_MESSAGES: "20",
  });

  it("past ARCHIVE_AFTER_MESSAGES the item keeps the recent window, stays active, and S3 holds everything in appended parts", async () => {
    // Arrange
    const ada = person(5001, "Ada");

    // Act
    await say(bed, ada, [turn(1), turn(2), turn(3), turn(4), turn(5)]);

    // Assess: every message answered
    expect(repliesTo(bed, ada)).toEqual([1, 2, 3, 4, 5].map(echo));

    // Assess: DynamoDB keeps the last 4 messages and points at the newest part
    const item = await onlySession(bed, ada);
    expect(item).toMatchObject({
      status: "active",
      message_count: 10,
      archived_count: 10,
      archive_tail: 9,
    });
    expect(item).not.toHaveProperty("s3_path"); // no composed archive while the session is active
    expect(conversationOf(item).map((m) => [m.seq, m.content])).toEqual([
      [7, turn(4)],
      [8, echo(4)],
      [9, turn(5)],
      [10, echo(5)],
    ]);

    // Assess: S3 has the whole conversation once, in three appended parts, and no
    // archive under <user_id>/ that a reader could take for a complete one
    expect(await s3Keys(bed, `${ada.user.id}/`)).toEqual([]);
    const prefix = partsPrefixOf(item);
    const parts = await partsOf(bed, item);
    expect(parts.map((p) => p.key)).toEqual([
      `${prefix}000000001-000000006.json`,
      `${prefix}000000007-000000008.json`,
      `${prefix}000000009-000000010.json`,
    ]);
    expect(parts.map((p) => p.part.previous_first_seq)).toEqual([null, 1, 7]);
    const archived = parts.flatMap((p) => p.part.messages);
    expect(isContiguous(archived)).toBe(true);
    expect(archived.map((m) => m.content)).toEqual(
      [1, 2, 3, 4, 5].flatMap((i) => [turn(i), echo(i)]),
    );

    // Assess: the model saw the recent context, not the archived start
    expect(
      bed.ollama
        .chats()
        .at(-1)
        ?.body.messages.map((m) => m.content),
    ).toEqual([turn(3), echo(3), turn(4), echo(4), turn(5)]);
  });

  it("after a cold start the model still gets the recent window, and /end archives old and new messages exactly once", async () => {
    // Arrange
    const bob = person(5002, "Bob");
    await say(bed, bob, [turn(1), turn(2), turn(3)]);

    // Act
    await say(bed, bob, turn(4));
    const contextAfterColdStart = bed.ollama
      .chats()
      .at(-1)
      ?.body.messages.map((m) => m.content);
    await say(bed, bob, "/end");

    // Assess
    expect(contextAfterColdStart).toEqual([turn(2), echo(2), turn(3), echo(3), turn(4)]);
    expect(repliesTo(bed, bob).at(-1)).toContain("Conversation ended and archived (8 messages)");
    const item = await onlySession(bed, bob);
    expect(item).toMatchObject({ status: "closed", archive_reason: "ended", message_count: 8 });
    expect(item).not.toHaveProperty("conversation");
    const doc = await archiveAt(bed, keyOf(bed, item.s3_path));
    expect(doc.session.status).toBe("closed");
    expect(isContiguous(doc.messages)).toBe(true);
    expect(doc.messages.map((m) => m.content)).toEqual(
      [1, 2, 3, 4].flatMap((i) => [turn(i), echo(i)]),
    );
  });

  it("/export of a live session whose older messages are in S3 sends the whole conversation and changes nothing", async () => {
    // Arrange
    const eli = person(5004, "Eli");
    await say(bed, eli, [turn(1), turn(2), turn(3), turn(4)]);
    const before = await onlySession(bed, eli);
    const stored = await partsOf(bed, before);

    // Act
    await say(bed, eli, "/export");

    // Assess: the file has all 8 messages, S3's and the live window's
    const file = bed.telegram.documents(eli.chat.id).at(-1);
    expect(file?.caption).toContain("llama3 · 8 messages");
    const doc = JSON.parse(file?.content.toString() ?? "{}") as Awaited<
      ReturnType<typeof archiveAt>
    >;
    expect(doc.session).toMatchObject({ id: before.session_id, status: "active" });
    expect(isContiguous(doc.messages)).toBe(true);
    expect(doc.messages.map((m) => m.content)).toEqual(
      [1, 2, 3, 4].flatMap((i) => [turn(i), echo(i)]),
    );

    // Assess: exporting is read-only
    expect(await reread(bed, before)).toEqual(before);
    expect(await partsOf(bed, before)).toEqual(stored);
    expect(await s3Keys(bed, `${eli.user.id}/`)).toEqual([]);
  });

  it("S3 down when the window overflows: answers still arrive, messages stay in DynamoDB, and a later message moves them to S3", async () => {
    // Arrange
    const cy = person(5003, "Cy");
    await say(bed, cy, [turn(1), turn(2)]);
    await bed.aws.stopS3();

    // Act
    await say(bed, cy, [turn(3), turn(4)]);
    const whileDown = await onlySession(bed, cy);
    await bed.aws.startS3();
    await say(bed, cy, turn(5));

    // Assess: nothing was lost while S3 was down
    expect(repliesTo(bed, cy)).toEqual([1, 2, 3, 4, 5].map(echo));
    expect(whileDown).toMatchObject({ status: "active", message_count: 8, archived_count: 0 });
    expect(conversationOf(whileDown).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);

    // Assess: once S3 is back, everything is archived once and the window is bounded again
    const item = await reread(bed, whileDown);
    expect(item).toMatchObject({ status: "active", message_count: 10, archived_count: 10 });
    expect(conversationOf(item).map((m) => m.seq)).toEqual([7, 8, 9, 10]);
    const archived = await partMessages(bed, item ?? {});
    expect(isContiguous(archived)).toBe(true);
    expect(archived).toHaveLength(10);
  });
});

describe("large sessions by size: ARCHIVE_AFTER_KB bounds the bytes kept in DynamoDB", () => {
  const bed = useArchiveBed({
    ARCHIVE_AFTER_MESSAGES: "1000",
    ARCHIVE_AFTER_KB: "4",
    CONTEXT_MESSAGES: "20",
  });

  it("moves older messages to S3 once the window passes 4 KB, keeping it under the bound", async () => {
    // Arrange
    const dee = person(5101, "Dee");
    const texts = [1, 2, 3, 4, 5, 6].map((i) => `${i}:${"x".repeat(1000)}`);

    // Act
    await say(bed, dee, texts);

    // Assess
    expect(repliesTo(bed, dee)).toEqual(texts.map((t) => `You said: ${t}`));
    const item = await onlySession(bed, dee);
    expect(item).toMatchObject({ status: "active", message_count: 12 });
    const window = conversationOf(item);
    const windowBytes = window.reduce((n, m) => n + Buffer.byteLength(m.content), 0);
    expect(windowBytes).toBeLessThanOrEqual(4096);
    expect(window.at(-1)?.seq).toBe(12);
    const archived = await partMessages(bed, item);
    expect(isContiguous(archived)).toBe(true);
    expect(archived.length).toBeGreaterThanOrEqual(12 - window.length);
    expect(archived.filter((m) => m.role === "user").map((m) => m.content)).toEqual(
      texts.slice(0, archived.filter((m) => m.role === "user").length),
    );
  });
});
