import { describe, expect, it } from "@jest/globals";
import {
  type ArchiveJson,
  archiveAt,
  conversationOf,
  expectedKeyBase,
  invoke,
  isContiguous,
  lastText,
  onlySession,
  person,
  profileItem,
  putItem,
  repliesTo,
  reread,
  s3Keys,
  s3Text,
  say,
  sessionItems,
  useArchiveBed,
} from "./support.js";

/** The parts of an archive that must not change when it is written again. */
function content(doc: ArchiveJson): unknown {
  const { archived_at: _a, ended_at: _e, ...session } = doc.session;
  return { ...doc, session };
}

/** The TXT without its header (which carries the archive time). */
const transcriptBody = (txt: string | undefined): string =>
  (txt ?? "").split(`${"=".repeat(72)}\n`)[1] ?? "";

describe("S3 failures never lose a conversation; the archive is retried later", () => {
  // Small windows, so sessions here already have older messages in S3.
  const bed = useArchiveBed({ ARCHIVE_AFTER_MESSAGES: "4" });
  bed.beforeClose(async () => {
    await bed.aws.startS3();
  });

  it("S3 down during /end: the user is told, the session stays active and unchanged, and a later invoke archives it once S3 is back", async () => {
    // Arrange
    const ada = person(7001, "Ada");
    await say(bed, ada, ["one", "two"]);
    const before = await onlySession(bed, ada);
    await bed.aws.stopS3();

    // Act
    const failed = await say(bed, ada, "/end");
    const whileDown = await reread(bed, before);
    const toldWhileDown = lastText(bed, ada.chat.id);
    await say(bed, ada, "/sessions");
    const listedWhileDown = lastText(bed, ada.chat.id);
    await bed.aws.startS3();
    const later = await invoke(bed);

    // Assess: the user was told, and nothing changed while S3 was down
    expect(failed).toMatchObject({ handled: 1, failed: 0 });
    expect(toldWhileDown).toMatch(/couldn't (reach|save to) the archive storage/i);
    expect(toldWhileDown).toContain("Nothing is lost");
    expect(whileDown).toMatchObject({
      status: "active",
      message_count: 4,
      conversation: before.conversation,
    });
    expect(whileDown).not.toHaveProperty("s3_path");
    expect(listedWhileDown).toContain("⏳ being archived");

    // Assess: the later invoke archived it, every message once
    expect(later).toMatchObject({ status: "ok", updates: 0 });
    const closed = await reread(bed, before);
    const base = expectedKeyBase(ada.user.id, "llama3", before.session_id);
    expect(closed).toMatchObject({
      status: "closed",
      archive_reason: "ended",
      s3_path: `s3://${bed.aws.bucket}/${base}.json`,
    });
    expect(closed).not.toHaveProperty("conversation");
    expect(await s3Keys(bed, `${ada.user.id}/`)).toEqual([`${base}.json`, `${base}.txt`]);
    const doc = await archiveAt(bed, `${base}.json`);
    expect(doc.messages.map((m) => [m.seq, m.content])).toEqual([
      [1, "one"],
      [2, "You said: one"],
      [3, "two"],
      [4, "You said: two"],
    ]);
  });

  it("S3 failing in the middle of /end (JSON stored, TXT not): nothing is lost and the retry writes both objects with every message once", async () => {
    // Arrange: three turns, so the older messages are already in S3
    const bob = person(7002, "Bob");
    await say(bed, bob, ["b1", "b2", "b3"]);
    await say(bed, bob, "b4");
    const before = await onlySession(bed, bob);
    const base = expectedKeyBase(bob.user.id, "llama3", before.session_id);
    expect(before.archived_count).toBe(8);
    const stopAfterJson = bed.aws.onS3Put((key) => {
      if (key === `${base}.json`) void bed.aws.stopS3();
    });

    // Act
    await say(bed, bob, "/end");
    stopAfterJson();
    const whileDown = await reread(bed, before);
    await bed.aws.startS3();
    await invoke(bed);

    // Assess: the failed attempt changed nothing in DynamoDB, and Bob was told
    expect(lastText(bed, bob.chat.id)).toContain("Nothing is lost");
    expect(whileDown).toMatchObject({ status: "active", message_count: 8 });
    expect(conversationOf(whileDown).map((m) => m.seq)).toEqual([5, 6, 7, 8]);

    // Assess: the retry completed the archive: both objects, no duplicates, no gaps
    const closed = await reread(bed, before);
    expect(closed).toMatchObject({ status: "closed", archive_reason: "ended", archived_count: 8 });
    expect(await s3Keys(bed, `${bob.user.id}/`)).toEqual([`${base}.json`, `${base}.txt`]);
    const doc = await archiveAt(bed, `${base}.json`);
    expect(isContiguous(doc.messages)).toBe(true);
    expect(doc.messages.map((m) => m.content)).toEqual(
      ["b1", "b2", "b3", "b4"].flatMap((t) => [t, `You said: ${t}`]),
    );
    const txt = await s3Text(bed, `${base}.txt`);
    for (const t of ["b1", "b2", "b3", "b4"])
      expect(transcriptBody(txt).split(`:\n${t}\n`)).toHaveLength(2);
  });

  it("re-running an archive after a crash between the S3 write and the DynamoDB update writes the same objects", async () => {
    // Arrange: archive once, then put DynamoDB back as if the process died before its write
    const cy = person(7003, "Cy");
    await say(bed, cy, ["c1", "c2", "c3"]);
    const sessionBefore = await onlySession(bed, cy);
    const profileBefore = await profileItem(bed, cy);
    await say(bed, cy, "/end");
    const base = expectedKeyBase(cy.user.id, "llama3", sessionBefore.session_id);
    const firstJson = await archiveAt(bed, `${base}.json`);
    const firstTxt = await s3Text(bed, `${base}.txt`);
    await putItem(bed, sessionBefore);
    if (profileBefore) await putItem(bed, profileBefore);

    // Act
    await say(bed, cy, "/end");

    // Assess
    const secondJson = await archiveAt(bed, `${base}.json`);
    expect(await s3Keys(bed, `${cy.user.id}/`)).toEqual([`${base}.json`, `${base}.txt`]);
    expect(content(secondJson)).toEqual(content(firstJson));
    expect(secondJson.messages).toHaveLength(6);
    expect(transcriptBody(await s3Text(bed, `${base}.txt`))).toBe(transcriptBody(firstTxt));
    expect(await reread(bed, sessionBefore)).toMatchObject({ status: "closed" });
    expect(repliesTo(bed, cy).filter((t) => t.includes("archived (6 messages)"))).toHaveLength(2);
  });

  it("/new with S3 down starts a fresh conversation at once; the previous one is archived when S3 is back", async () => {
    // Arrange
    const dee = person(7004, "Dee");
    await say(bed, dee, "old topic");
    const old = await onlySession(bed, dee);
    await bed.aws.stopS3();

    // Act
    await say(bed, dee, ["/new", "new topic"]);
    const whileDown = await sessionItems(bed, dee.user.id);
    await bed.aws.startS3();
    await invoke(bed);

    // Assess: the user got their new conversation without waiting for S3
    const texts = repliesTo(bed, dee);
    expect(texts[1]).toContain("New conversation with llama3");
    expect(texts[1]).toContain("Nothing is lost");
    expect(texts[2]).toBe("You said: new topic");
    expect(bed.ollama.chats().at(-1)?.body.messages).toEqual([
      { role: "user", content: "new topic" },
    ]);
    expect(whileDown.map((i) => [i.session_id, i.status, i.message_count])).toEqual([
      [old.session_id, "active", 2],
      [expect.any(String), "active", 2],
    ]);

    // Assess: the old one is archived now, the new one untouched
    const [closed, fresh] = await sessionItems(bed, dee.user.id);
    expect(closed).toMatchObject({ session_id: old.session_id, status: "closed" });
    expect(closed?.archive_reason).toBe("new");
    expect(fresh).toMatchObject({ status: "active", message_count: 2 });
    const doc = await archiveAt(
      bed,
      `${expectedKeyBase(dee.user.id, "llama3", old.session_id)}.json`,
    );
    expect(doc.messages.map((m) => m.content)).toEqual(["old topic", "You said: old topic"]);
  });
});
