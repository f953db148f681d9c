import { beforeAll, describe, expect, it } from "@jest/globals";
import {
  archiveAt,
  conversationOf,
  expectedKeyBase,
  ISO,
  isContiguous,
  keyOf,
  lastText,
  person,
  profileItem,
  repliesTo,
  s3Keys,
  s3Text,
  say,
  sessionItems,
  useArchiveBed,
} from "./support.js";

const DAY_S = 86_400;

describe("/end and /new archive the session to S3 and close it in DynamoDB", () => {
  const bed = useArchiveBed();
  beforeAll(async () => {
    bed.ollama.setModels(["llama3:latest", "llama3:8b", "mistral:latest"]);
  });

  it("/end writes the full transcript with model, parameters, user and usage to <user>/model_llama3_8b/session_<id>.json", async () => {
    // Arrange
    const ada = person(3001, "Ada");
    await say(bed, ada, [
      "/model llama3:8b",
      "/system You are a terse pirate.",
      "/set temperature 0.3",
      "Hello there",
      "What is 2+2?",
    ]);
    const [live] = await sessionItems(bed, ada.user.id);
    const calls = bed.ollama.chats().filter((c) => c.body.model === "llama3:8b");
    const before = Date.now();

    // Act
    await say(bed, ada, "/end");

    // Assess: what the user sees
    const base = expectedKeyBase(ada.user.id, "llama3_8b", live?.session_id);
    const reply = lastText(bed, ada.chat.id);
    expect(reply).toContain("Conversation ended and archived (4 messages)");
    expect(reply).toContain(`s3://${bed.aws.bucket}/${base}.json`);

    // Assess: exactly the two objects, at the documented keys
    expect(await s3Keys(bed, `${ada.user.id}/`)).toEqual([`${base}.json`, `${base}.txt`]);
    const doc = await archiveAt(bed, `${base}.json`);
    expect(doc).toMatchObject({
      format: "telegram-ollama-chatbot/session",
      version: 1,
      session: {
        id: live?.session_id,
        model: "llama3:8b",
        status: "closed",
        started_at: live?.created_at,
        archive_reason: "ended",
        ollama_endpoint: bed.env.OLLAMA_URL,
      },
      user: {
        id: ada.user.id,
        chat_id: ada.chat.id,
        username: "ada",
        first_name: "Ada",
        language_code: "en",
      },
      parameters: {
        system_prompt: "You are a terse pirate.",
        options: { temperature: 0.3, num_ctx: 8192 },
      },
      message_count: 4,
    });
    expect(doc.messages.map((m) => [m.seq, m.role, m.content])).toEqual([
      [1, "user", "Hello there"],
      [2, "assistant", "You said: Hello there"],
      [3, "user", "What is 2+2?"],
      [4, "assistant", "You said: What is 2+2?"],
    ]);
    for (const m of doc.messages) expect(m.timestamp).toMatch(ISO);
    const times = doc.messages.map((m) => m.timestamp);
    expect([...times].sort()).toEqual(times);
    expect(doc.session.started_at <= (times[0] ?? "")).toBe(true);
    expect(doc.session.last_message_at).toBe(times.at(-1));
    expect(doc.session.ended_at).toMatch(ISO);
    expect(doc.session.archived_at).toMatch(ISO);
    expect(Date.parse(doc.session.archived_at ?? "")).toBeGreaterThanOrEqual(before - 1000);

    // The parameters recorded are the ones the model was really called with.
    expect(calls).toHaveLength(2);
    for (const c of calls) {
      expect(c.body.options).toEqual(doc.parameters.options);
      expect(c.body.messages[0]).toEqual({ role: "system", content: "You are a terse pirate." });
    }
    const promptTokens = calls.reduce(
      (sum, c) => sum + c.body.messages.reduce((n, m) => n + Math.ceil(m.content.length / 4), 0),
      0,
    );
    expect(doc.usage).toEqual({
      prompt_tokens: promptTokens,
      completion_tokens: 84,
      total_duration_ms: 2500,
      replies: 2,
    });

    // Assess: the DynamoDB item is closed metadata pointing at S3
    const [closed] = await sessionItems(bed, ada.user.id);
    expect(closed).toMatchObject({
      status: "closed",
      s3_path: `s3://${bed.aws.bucket}/${base}.json`,
      message_count: 4,
      archived_count: 4,
      archive_reason: "ended",
      closed_at: doc.session.ended_at,
      archived_at: doc.session.archived_at,
      model_name: "llama3:8b",
    });
    expect(closed).not.toHaveProperty("conversation");
    expect(closed).not.toHaveProperty("GSI1PK");
    const expiresAt = Number(closed?.expires_at);
    expect(expiresAt).toBeGreaterThan(Date.now() / 1000 + 364 * DAY_S);
    expect(expiresAt).toBeLessThan(Date.now() / 1000 + 366 * DAY_S);
    const profile = await profileItem(bed, ada);
    expect(profile?.active_sessions).not.toHaveProperty("llama3:8b");
  });

  it("/end writes a readable .txt: a header, then one timestamped block per message", async () => {
    // Arrange
    const grace = person(3002, "Grace");
    await say(bed, grace, ["/system Be brief.", "First question", "Second question"]);
    const [live] = await sessionItems(bed, grace.user.id);

    // Act
    await say(bed, grace, "/end");

    // Assess
    expect(lastText(bed, grace.chat.id)).toContain("Conversation ended and archived (4 messages)");
    const base = expectedKeyBase(grace.user.id, "llama3", live?.session_id);
    const doc = await archiveAt(bed, `${base}.json`);
    const txt = (await s3Text(bed, `${base}.txt`)) ?? "";
    const [header = "", body = ""] = txt.split(`${"=".repeat(72)}\n`);
    expect(header).toContain("Conversation with llama3");
    expect(header).toContain(`User: @grace (id ${grace.user.id}, chat ${grace.chat.id})`);
    expect(header).toContain(`Session: ${live?.session_id}`);
    expect(header).toContain("(ended)");
    expect(header).toContain("4 messages");
    expect(header).toContain("System prompt: Be brief.");
    const blocks = body.trim().split("\n\n");
    expect(blocks).toEqual(
      doc.messages.map(
        (m) => `[${m.timestamp}] ${m.role === "user" ? "@grace" : "llama3"}:\n${m.content}`,
      ),
    );
    expect(blocks[0]).toMatch(/^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] @grace:\nFirst question$/);
  });

  it("/new archives the current conversation, starts an empty one, and the model no longer sees the old messages", async () => {
    // Arrange
    const linus = person(3003, "Linus");
    await say(bed, linus, "remember the number 42");
    const [old] = await sessionItems(bed, linus.user.id);

    // Act
    await say(bed, linus, "/new");
    const newReply = lastText(bed, linus.chat.id);
    await say(bed, linus, "what was the number?");

    // Assess: the user sees it
    expect(newReply).toContain("New conversation with llama3");
    expect(newReply).toContain("The previous one (2 messages) is archived");
    expect(bed.ollama.chats().at(-1)?.body.messages).toEqual([
      { role: "user", content: "what was the number?" },
    ]);

    // Assess: S3 holds the old session, DynamoDB the closed one and a fresh active one
    const base = expectedKeyBase(linus.user.id, "llama3", old?.session_id);
    expect(await s3Keys(bed, `${linus.user.id}/`)).toEqual([`${base}.json`, `${base}.txt`]);
    const doc = await archiveAt(bed, `${base}.json`);
    expect(doc.session.archive_reason).toBe("new");
    expect(doc.messages.map((m) => m.content)).toEqual([
      "remember the number 42",
      "You said: remember the number 42",
    ]);
    const [closed, fresh] = await sessionItems(bed, linus.user.id);
    expect(closed).toMatchObject({ session_id: old?.session_id, status: "closed" });
    expect(closed).not.toHaveProperty("conversation");
    expect(fresh).toMatchObject({ status: "active", message_count: 2 });
    expect(conversationOf(fresh).map((m) => m.content)).toEqual([
      "what was the number?",
      "You said: what was the number?",
    ]);
    const profile = await profileItem(bed, linus);
    expect(profile?.active_sessions).toEqual({ llama3: fresh?.session_id });
  });

  it("/end with nothing to end says so and writes nothing to S3", async () => {
    // Arrange
    const ken = person(3004, "Ken");

    // Act
    await say(bed, ken, "/end");

    // Assess
    expect(lastText(bed, ken.chat.id)).toContain("There is no conversation to end");
    expect(await s3Keys(bed, `${ken.user.id}/`)).toEqual([]);
    expect(await sessionItems(bed, ken.user.id)).toEqual([]);
  });

  it("after /end the next message starts a new session, and a second /end archives only that one", async () => {
    // Arrange
    const barbara = person(3005, "Barbara");
    await say(bed, barbara, ["one", "/end"]);

    // Act
    await say(bed, barbara, ["two", "/end"]);

    // Assess
    const items = await sessionItems(bed, barbara.user.id);
    expect(items.map((i) => i.status)).toEqual(["closed", "closed"]);
    const docs = await Promise.all(items.map((i) => archiveAt(bed, keyOf(bed, i.s3_path))));
    expect(docs.map((d) => d.messages.map((m) => m.content))).toEqual([
      ["one", "You said: one"],
      ["two", "You said: two"],
    ]);
    for (const d of docs) expect(isContiguous(d.messages)).toBe(true);
    expect(await s3Keys(bed, `${barbara.user.id}/`)).toHaveLength(4);
    expect(repliesTo(bed, barbara).filter((t) => t.includes("archived (2 messages)"))).toHaveLength(
      2,
    );
  });
});
