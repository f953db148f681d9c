import { beforeAll, describe, expect, it } from "@jest/globals";
import {
  type ArchiveJson,
  archiveAt,
  conversationOf,
  expectedKeyBase,
  invoke,
  isContiguous,
  keyOf,
  lastText,
  type Person,
  person,
  reread,
  s3Keys,
  say,
  sessionItems,
  useArchiveBed,
} from "./support.js";

const DATE = "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d";

describe("/sessions, /archives, /export, import and /resume", () => {
  const bed = useArchiveBed({ CONTEXT_MESSAGES: "4" });
  beforeAll(async () => {
    bed.ollama.setModels(["llama3:latest", "mistral:latest"]);
  });

  /** The documents the bot sent to `who`. */
  const documents = (who: Person) => bed.telegram.documents(who.chat.id);
  const parse = (content: Buffer | string): ArchiveJson =>
    JSON.parse(content.toString()) as ArchiveJson;

  const ada = person(8001, "Ada");

  it("/sessions lists live and archived sessions newest first, with model, status, message count and dates", async () => {
    // Arrange
    await say(bed, ada, ["/model mistral", "hi mistral", "/end"]);
    await say(bed, ada, ["/model llama3", "hello llama", "and again"]);

    // Act
    await say(bed, ada, "/sessions");

    // Assess: the listing matches what is stored
    const stored = await sessionItems(bed, ada.user.id);
    expect(stored.map((i) => [i.model_name, i.status, i.message_count])).toEqual([
      ["mistral", "closed", 2],
      ["llama3", "active", 4],
    ]);
    const listing = lastText(bed, ada.chat.id);
    expect(listing).toContain("Your conversations");
    expect(listing).toMatch(
      new RegExp(`1\\. llama3 · 🟢 active, current · 4 msgs · ${DATE} → ${DATE}`),
    );
    expect(listing).toMatch(
      new RegExp(`2\\. mistral · 📦 archived \\(ended\\) · 2 msgs · ${DATE} → ${DATE}`),
    );
  });

  it("/sessions marks the current conversation when each model has an active one", async () => {
    // Arrange: an active conversation with each model; llama3 is the current model.
    const ivy = person(8009, "Ivy");
    await say(bed, ivy, ["/model mistral", "hi mistral", "/model llama3", "hi llama"]);

    // Act
    await say(bed, ivy, "/sessions");

    // Assess
    const lines = lastText(bed, ivy.chat.id).split("\n");
    expect(lines.filter((l) => l.includes("🟢 active"))).toEqual([
      expect.stringMatching(/^1\. llama3 · 🟢 active, current · 2 msgs/),
      expect.stringMatching(/^2\. mistral · 🟢 active · 2 msgs/),
    ]);
    expect(lastText(bed, ivy.chat.id)).toContain("The current one gets your messages");
  });

  it("/archives lists the archived sessions with their S3 paths, numbered as in /sessions, and says so", async () => {
    // Arrange
    const [mistral] = await sessionItems(bed, ada.user.id);

    // Act
    await say(bed, ada, "/archives");

    // Assess
    const base = expectedKeyBase(ada.user.id, "mistral", mistral?.session_id);
    expect(lastText(bed, ada.chat.id)).toContain("numbered as in /sessions");
    expect(lastText(bed, ada.chat.id)).toContain(
      `2. mistral · 2 msgs · s3://${bed.aws.bucket}/${base}.json`,
    );
    expect(lastText(bed, ada.chat.id)).not.toContain("llama3");
  });

  it("/export <n> sends the archive as a JSON document identical to the S3 object", async () => {
    // Arrange
    const [mistral] = await sessionItems(bed, ada.user.id);
    const stored = await archiveAt(bed, keyOf(bed, mistral?.s3_path));

    // Act
    await say(bed, ada, "/export 2");

    // Assess
    const doc = documents(ada).at(-1);
    expect(doc?.fileName).toBe(`session_${mistral?.session_id}.json`);
    expect(doc?.caption).toContain("mistral · 2 messages");
    expect(parse(doc?.content ?? "{}")).toEqual(stored);
    expect(stored.messages.map((m) => m.content)).toEqual(["hi mistral", "You said: hi mistral"]);
  });

  it("/export without a number sends the live conversation as it stands, without archiving it", async () => {
    // Arrange
    const [, live] = await sessionItems(bed, ada.user.id);

    // Act
    await say(bed, ada, "/export");

    // Assess: still live, nothing written for it in S3
    expect(await reread(bed, live ?? {})).toEqual(live);
    expect(await s3Keys(bed, `${ada.user.id}/model_llama3/`)).toEqual([]);
    const sent = documents(ada).at(-1);
    expect(sent?.caption).toContain("live conversation, not archived");
    const doc = parse(sent?.content ?? "{}");
    expect(doc.session).toMatchObject({ model: "llama3", status: "active", ended_at: null });
    expect(doc.session).not.toHaveProperty("archived_at");
    expect(doc.session).not.toHaveProperty("archive_reason");
    expect(doc.session).toHaveProperty("exported_at");
    expect(doc.messages.map((m) => m.content)).toEqual([
      "hello llama",
      "You said: hello llama",
      "and again",
      "You said: and again",
    ]);
  });

  it("/export with a number that is not in /sessions says so instead of sending a file", async () => {
    // Arrange
    const before = documents(ada).length;

    // Act
    await say(bed, ada, "/export 9");

    // Assess
    expect(lastText(bed, ada.chat.id)).toContain("There is no conversation number 9");
    expect(documents(ada)).toHaveLength(before);
  });

  it("sending an exported file back imports it as an archived session of the sender", async () => {
    // Arrange
    const bob = person(8002, "Bob");
    const exported = documents(ada).find((d) => parse(d.content).session.model === "mistral");
    const original = parse(exported?.content ?? "{}");

    // Act
    bed.telegram.pushDocument(bob.user, bob.chat, {
      fileName: exported?.fileName ?? "x.json",
      content: exported?.content ?? "",
      mimeType: "application/json",
    });
    await say(bed, bob, "/sessions");

    // Assess: Bob is told, and sees it in /sessions
    const [told, listing] = bed.telegram.sentMessages(bob.chat.id).map((m) => m.text);
    expect(told).toContain("Imported a conversation with mistral (2 messages)");
    expect(listing).toMatch(/1\. mistral · 📦 archived \(imported\) · 2 msgs/);

    // Assess: stored as Bob's closed session, with its own objects in S3
    const [imported] = await sessionItems(bed, bob.user.id);
    expect(imported).toMatchObject({
      PK: `USER#${bob.user.id}`,
      status: "closed",
      archive_reason: "imported",
      model_name: "mistral",
      message_count: 2,
    });
    expect(imported).not.toHaveProperty("conversation");
    // Expires like every closed session (CLOSED_SESSION_RETENTION_DAYS, 365 by default).
    const inAYear = Date.now() / 1000 + 365 * 86_400;
    expect(Math.abs(Number(imported?.expires_at) - inAYear)).toBeLessThan(300);
    const base = expectedKeyBase(bob.user.id, "mistral", imported?.session_id);
    expect(imported?.s3_path).toBe(`s3://${bed.aws.bucket}/${base}.json`);
    expect(await s3Keys(bed, `${bob.user.id}/`)).toEqual([`${base}.json`, `${base}.txt`]);
    const copy = await archiveAt(bed, `${base}.json`);
    expect(copy.messages).toEqual(original.messages);
    expect(copy.session).toMatchObject({ archive_reason: "imported", status: "closed" });
    expect(copy.user).toMatchObject({ id: bob.user.id, chat_id: bob.chat.id, first_name: "Bob" });
  });

  it("a file that is not an export is read as a document, never imported", async () => {
    // Arrange
    const carol = person(8003, "Carol");

    // Act
    bed.telegram.pushDocument(carol.user, carol.chat, { fileName: "notes.txt", content: "hi" });
    bed.telegram.pushDocument(carol.user, carol.chat, {
      fileName: "data.json",
      content: JSON.stringify({ hello: "world" }),
    });
    bed.telegram.pushDocument(carol.user, carol.chat, {
      fileName: "broken.json",
      content: "{ not json",
    });
    await invoke(bed);

    // Assess: each went to the model as text; nothing was imported or archived
    const texts = bed.telegram.sentMessages(carol.chat.id).map((m) => m.text);
    expect(texts).toEqual([
      expect.stringContaining('<document name="notes.txt">\nhi\n</document>'),
      expect.stringContaining('<document name="data.json">\n{"hello":"world"}\n</document>'),
      expect.stringContaining('<document name="broken.json">\n{ not json\n</document>'),
    ]);
    const stored = await sessionItems(bed, carol.user.id);
    expect(stored.map((i) => [i.status, i.message_count])).toEqual([["active", 6]]);
    expect(await s3Keys(bed, `${carol.user.id}/`)).toEqual([]);
  });

  it("an archive that was tampered with (a message missing, a bad model name) is refused", async () => {
    // Arrange
    const dan = person(8004, "Dan");
    const good = parse(documents(ada).at(0)?.content ?? "{}");
    const gap = { ...good, messages: good.messages.slice(1) };
    const badModel = { ...good, session: { ...good.session, model: "../../etc/passwd" } };

    // Act
    bed.telegram.pushDocument(dan.user, dan.chat, {
      fileName: "gap.json",
      content: JSON.stringify(gap),
    });
    bed.telegram.pushDocument(dan.user, dan.chat, {
      fileName: "model.json",
      content: JSON.stringify(badModel),
    });
    await invoke(bed);

    // Assess
    const texts = bed.telegram.sentMessages(dan.chat.id).map((m) => m.text);
    expect(texts).toEqual([
      expect.stringContaining("I couldn't import gap.json: it is not a valid archive"),
      expect.stringContaining("I couldn't import model.json: it is not a valid archive"),
    ]);
    expect(await sessionItems(bed, dan.user.id)).toEqual([]);
    expect(await s3Keys(bed, `${dan.user.id}/`)).toEqual([]);
  });

  it("a .json file over 20 MB (Telegram's download limit) is refused with its size, without being downloaded", async () => {
    // Arrange
    const eve = person(8005, "Eve");
    const getFilesBefore = bed.telegram.requests("getFile").length;

    // Act
    bed.telegram.pushDocument(eve.user, eve.chat, {
      fileName: "huge.json",
      content: Buffer.alloc(21 * 1024 * 1024, " "),
    });
    await invoke(bed);

    // Assess
    expect(lastText(bed, eve.chat.id)).toBe("That file is 21.0 MB; I read files up to 20.0 MB.");
    expect(bed.telegram.requests("getFile")).toHaveLength(getFilesBefore);
    expect(await sessionItems(bed, eve.user.id)).toEqual([]);
  });

  it("/resume <n> reopens an archived session: its recent window comes back from S3 and the model sees it", async () => {
    // Arrange: an archived conversation, then a new one in progress
    const fay = person(8006, "Fay");
    await say(bed, fay, ["f1", "f2", "f3", "/end", "something else"]);
    const [archived, current] = await sessionItems(bed, fay.user.id);

    // Act
    await say(bed, fay, "/resume 2");
    const told = lastText(bed, fay.chat.id);
    const reopened = await reread(bed, archived ?? {});
    await say(bed, fay, "what did I say?");

    // Assess: the user sees it
    expect(told).toContain("Resumed your llama3 conversation");
    expect(told).toContain("(6 messages). The model sees its last 4.");

    // Assess: DynamoDB has the window from S3 back, the session is live again
    expect(reopened).toMatchObject({ status: "active", message_count: 6, GSI1PK: "ACTIVE" });
    expect(reopened).not.toHaveProperty("archive_reason");
    expect(reopened).not.toHaveProperty("expires_at");
    expect(conversationOf(reopened).map((m) => [m.seq, m.content])).toEqual([
      [3, "f2"],
      [4, "You said: f2"],
      [5, "f3"],
      [6, "You said: f3"],
    ]);

    // Assess: the model got that context
    expect(
      bed.ollama
        .chats()
        .at(-1)
        ?.body.messages.map((m) => m.content),
    ).toEqual(["f2", "You said: f2", "f3", "You said: f3", "what did I say?"]);

    // Assess: the conversation that was in progress was archived first, not lost
    const before = await reread(bed, current ?? {});
    expect(before).toMatchObject({ status: "closed", archive_reason: "new" });
    const beforeDoc = await archiveAt(bed, keyOf(bed, before?.s3_path));
    expect(beforeDoc.messages.map((m) => m.content)).toEqual([
      "something else",
      "You said: something else",
    ]);
  });

  it("a resumed session archived again holds its old and new messages exactly once", async () => {
    // Arrange
    const gil = person(8007, "Gil");
    await say(bed, gil, ["g1", "g2", "/end"]);
    await say(bed, gil, ["/resume 1", "g3"]);

    // Act
    await say(bed, gil, "/end");

    // Assess
    expect(lastText(bed, gil.chat.id)).toContain("Conversation ended and archived (6 messages)");
    const [only] = await sessionItems(bed, gil.user.id);
    expect(only).toMatchObject({ status: "closed", archive_reason: "ended", message_count: 6 });
    const doc = await archiveAt(bed, keyOf(bed, only?.s3_path));
    expect(isContiguous(doc.messages)).toBe(true);
    expect(doc.messages.map((m) => m.content)).toEqual(
      ["g1", "g2", "g3"].flatMap((t) => [t, `You said: ${t}`]),
    );
    expect(await s3Keys(bed, `${gil.user.id}/`)).toHaveLength(2);
  });

  it("/resume on the active conversation says so; without a valid number it explains the usage", async () => {
    // Arrange
    const hal = person(8008, "Hal");
    await say(bed, hal, "still talking");

    // Act
    await say(bed, hal, ["/resume 1", "/resume abc", "/resume 2"]);

    // Assess
    const [, active, word, beyond] = bed.telegram.sentMessages(hal.chat.id).map((m) => m.text);
    expect(active).toBe("Conversation 1 is already active: just keep writing.");
    expect(word).toContain("Usage: /resume <n>");
    expect(beyond).toContain("Usage: /resume <n>");
    const [live] = await sessionItems(bed, hal.user.id);
    expect(live).toMatchObject({ status: "active", message_count: 2 });
  });
});
