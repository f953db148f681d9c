import { describe, expect, it } from "@jest/globals";
import {
  ageSessions,
  archiveAt,
  conversationOf,
  expectedKeyBase,
  invoke,
  keyOf,
  lastText,
  onlySession,
  person,
  repliesTo,
  reread,
  s3Keys,
  say,
  sessionItems,
  useArchiveBed,
} from "./support.js";

/** A session is idle after an hour; tests age sessions (ageSessions) instead of sleeping. */
const IDLE_MINUTES = "60";

describe("idle sessions are archived on a later invoke, even if their user never writes again", () => {
  const bed = useArchiveBed({ SESSION_IDLE_MINUTES: IDLE_MINUTES });

  it("archives Ada's idle session when Bob's message triggers an invoke, finding it through the index (no Scan)", async () => {
    // Arrange
    const ada = person(4001, "Ada");
    const bob = person(4002, "Bob");
    await say(bed, ada, "Ada's only message");
    const live = await onlySession(bed, ada);
    await ageSessions(bed, ada);
    const callsBefore = bed.aws.dynamoCalls().length;

    // Act
    await say(bed, bob, "hi, I'm Bob");

    // Assess: Bob is answered as usual; Ada's session is closed and in S3
    expect(lastText(bed, bob.chat.id)).toBe("You said: hi, I'm Bob");
    const closed = await reread(bed, live);
    const base = expectedKeyBase(ada.user.id, "llama3", live.session_id);
    expect(closed).toMatchObject({
      status: "closed",
      archive_reason: "idle",
      s3_path: `s3://${bed.aws.bucket}/${base}.json`,
      message_count: 2,
    });
    expect(closed).not.toHaveProperty("conversation");
    expect(closed).not.toHaveProperty("GSI1PK");
    expect(await s3Keys(bed, `${ada.user.id}/`)).toEqual([`${base}.json`, `${base}.txt`]);
    const doc = await archiveAt(bed, `${base}.json`);
    expect(doc.session).toMatchObject({ status: "closed", archive_reason: "idle" });
    expect(doc.messages.map((m) => m.content)).toEqual([
      "Ada's only message",
      "You said: Ada's only message",
    ]);
    // Ada was not messaged: she is not around.
    expect(lastText(bed, ada.chat.id)).toBe("You said: Ada's only message");

    // Assess: found with a Query on the sparse index, never a Scan
    const calls = bed.aws.dynamoCalls().slice(callsBefore);
    expect(calls.map((c) => c.operation)).not.toContain("Scan");
    expect(calls).toContainEqual({ operation: "Query", indexName: "ActiveByLastMessage" });
  });

  it("an empty poll (no updates at all) archives idle sessions too", async () => {
    // Arrange
    const carol = person(4003, "Carol");
    await say(bed, carol, "Carol writes once");
    const live = await onlySession(bed, carol);
    await ageSessions(bed, carol);

    // Act
    const summary = await invoke(bed);

    // Assess: nobody was messaged; Carol's session is archived
    expect(summary).toMatchObject({ status: "ok", updates: 0 });
    expect(repliesTo(bed, carol)).toEqual(["You said: Carol writes once"]);
    const closed = await reread(bed, live);
    expect(closed).toMatchObject({ status: "closed", archive_reason: "idle" });
    const doc = await archiveAt(bed, keyOf(bed, closed?.s3_path));
    expect(doc.messages.map((m) => m.content)).toEqual([
      "Carol writes once",
      "You said: Carol writes once",
    ]);
  });

  it("a user who comes back after the idle archive gets a new session; /sessions shows the old one as archived (idle)", async () => {
    // Arrange
    const dan = person(4004, "Dan");
    await say(bed, dan, "before the break");
    await ageSessions(bed, dan);
    await invoke(bed);

    // Act
    await say(bed, dan, ["after the break", "/sessions"]);
    const afterBreak = bed.ollama.chats().at(-1);

    // Assess
    expect(afterBreak?.body.messages).toEqual([{ role: "user", content: "after the break" }]);
    const [old, fresh] = await sessionItems(bed, dan.user.id);
    expect(old).toMatchObject({ status: "closed", archive_reason: "idle" });
    expect(fresh).toMatchObject({ status: "active", message_count: 2 });
    expect(conversationOf(fresh).map((m) => m.content)).toEqual([
      "after the break",
      "You said: after the break",
    ]);
    const listing = lastText(bed, dan.chat.id);
    expect(listing).toMatch(/1\. llama3 · 🟢 active, current · 2 msgs/);
    expect(listing).toMatch(/2\. llama3 · 📦 archived \(idle\) · 2 msgs/);
  });

  it("an idle session without any message is removed instead of leaving an empty archive", async () => {
    // Arrange: /status opens a session, nothing is ever said in it
    const eve = person(4005, "Eve");
    await say(bed, eve, "/status");
    const empty = await onlySession(bed, eve);
    await ageSessions(bed, eve);

    // Act
    await invoke(bed);

    // Assess
    const after = await reread(bed, empty);
    expect(after?.status ?? "deleted").not.toBe("active");
    expect(await s3Keys(bed, `${eve.user.id}/`)).toEqual([]);
    await say(bed, eve, "/sessions");
    expect(lastText(bed, eve.chat.id)).not.toContain("0 msgs");
  });

  it("S3 down during the idle sweep: the session stays active and unchanged, and a later invoke archives it once S3 is back", async () => {
    // Arrange
    const fay = person(4006, "Fay");
    await say(bed, fay, "Fay's message");
    await ageSessions(bed, fay);
    const live = await onlySession(bed, fay);
    await bed.aws.stopS3();

    // Act
    const whileDown = await invoke(bed);
    const untouched = await reread(bed, live);
    await bed.aws.startS3();
    await invoke(bed);

    // Assess: Fay was not bothered, and nothing changed while S3 was down
    expect(repliesTo(bed, fay)).toEqual(["You said: Fay's message"]);
    expect(whileDown).toMatchObject({ status: "ok" });
    expect(untouched).toEqual(live);
    const closed = await reread(bed, live);
    expect(closed).toMatchObject({ status: "closed", archive_reason: "idle" });
    const base = expectedKeyBase(fay.user.id, "llama3", live.session_id);
    expect(await s3Keys(bed, `${fay.user.id}/`)).toEqual([`${base}.json`, `${base}.txt`]);
    const doc = await archiveAt(bed, `${base}.json`);
    expect(doc.messages.map((m) => [m.seq, m.content])).toEqual([
      [1, "Fay's message"],
      [2, "You said: Fay's message"],
    ]);
  });
});

describe("sessions in use are not idle", () => {
  const bed = useArchiveBed({ SESSION_IDLE_MINUTES: "5" });

  it("keeps a session that is younger than SESSION_IDLE_MINUTES active across invokes, with its context", async () => {
    // Arrange
    const gus = person(4101, "Gus");
    await say(bed, gus, "first");

    // Act
    await invoke(bed);
    await say(bed, gus, "second");

    // Assess
    expect(repliesTo(bed, gus)).toEqual(["You said: first", "You said: second"]);
    const live = await onlySession(bed, gus);
    expect(live).toMatchObject({ status: "active", message_count: 4 });
    expect(live).not.toHaveProperty("s3_path");
    expect(await s3Keys(bed, `${gus.user.id}/`)).toEqual([]);
    expect(
      bed.ollama
        .chats()
        .at(-1)
        ?.body.messages.map((m) => m.content),
    ).toEqual(["first", "You said: first", "second"]);
  });
});
