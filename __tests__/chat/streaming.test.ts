import { beforeEach, describe, expect, it } from "@jest/globals";
import { type TestBed, useTestBed } from "../harness/bed.js";
import type { RecordedRequest } from "../harness/fake-telegram.js";
import { envWith, invoke, newGroup, newPerson, requestsTo, say, textsTo } from "./support.js";

/** A long Markdown answer: ~6,000 visible characters, numbered so nothing lost is unnoticed. */
const longAnswer = (): string => {
  const parts = ["# Streaming report", ""];
  for (let i = 1; i <= 60; i++) {
    parts.push(`Paragraph ${i} has **bold ${i}** and filler ${"lorem ipsum ".repeat(6)}end ${i}.`);
    parts.push("");
  }
  parts.push("```ts", "const done = true;", "```");
  return parts.join("\n");
};

/** Successful Bot API writes (send or edit) to one chat, in arrival order. */
const writes = (bed: TestBed, chatId: number): RecordedRequest[] =>
  [...requestsTo(bed, "sendMessage", chatId), ...requestsTo(bed, "editMessageText", chatId)].sort(
    (a, b) => a.at - b.at,
  );

/** Writes the fake's flood control refused (it holds Telegram's limits, so none is the pace kept). */
const refused = (requests: readonly RecordedRequest[]): RecordedRequest[] =>
  requests.filter((r) => r.status === 429);

/** Asserts that every 429 a write got was followed, after `retry_after`, by a successful retry. */
const expectEvery429Retried = (bed: TestBed, chatId: number): number => {
  const all = writes(bed, chatId);
  const limited = all.filter((r) => r.status === 429);
  for (const r of limited) {
    const retried = all.find(
      (later) =>
        later.at >= r.at + 1_000 &&
        later.method === r.method &&
        later.params.message_id === r.params.message_id &&
        later.status === 200,
    );
    expect({ limited: `429 on ${r.method} at ${r.at}`, retried: retried !== undefined }).toEqual({
      limited: `429 on ${r.method} at ${r.at}`,
      retried: true,
    });
  }
  return limited.length;
};

describe("streamed replies: the answer grows in the chat within Telegram's flood limits", () => {
  // Telegram's limits (1 write/s per chat after a burst of 3, 20/min per group), with
  // short penalties so a test that trips one does not wait tens of seconds. Edit streaming in
  // private chats too (drafts are the default there; see drafts.test.ts). HTML messages (their
  // 4096-character parts), as RICH_MESSAGES=off and older servers send them; rich.test.ts has rich.
  const bed = useTestBed({
    telegram: { flood: { retryAfterSeconds: 2 } },
    env: { STREAM_MODE: "edit", RICH_MESSAGES: "off" },
  });
  beforeEach(() => {
    bed.ollama.reset();
    bed.ollama.chunkSize = 24;
    bed.telegram.setFlood({ retryAfterSeconds: 2 });
  });

  it("shows a placeholder, edits it as tokens arrive, rolls over before 4096 characters and ends fully formatted", async () => {
    // Arrange
    const ada = newPerson("Ada");
    const answer = longAnswer();
    bed.ollama.setReply("llama3", () => answer);
    bed.ollama.chunkDelayMs = 20; // ~250 chunks: about five seconds of generation

    // Act
    const summary = await say(bed, ada, "write a long report");

    // Assess
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    const sends = requestsTo(bed, "sendMessage", ada.chat.id).filter((r) => r.status === 200);
    const edits = requestsTo(bed, "editMessageText", ada.chat.id).filter((r) => r.status === 200);
    const first = String(sends[0]?.params.text ?? "");
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(answer.length / 4); // a placeholder, not the answer
    expect(edits.length).toBeGreaterThanOrEqual(2);
    const messages = bed.telegram.sentMessages(ada.chat.id);
    expect(messages.length).toBeGreaterThanOrEqual(2); // rolled over…
    expect(sends[1]?.at).toBeLessThan(edits.at(-1)?.at ?? 0); // …while the answer was streaming
    expectEvery429Retried(bed, ada.chat.id);
    for (const m of messages) expect(m.text.length).toBeLessThanOrEqual(4096);
    const rejected = bed.telegram.requests().filter((r) => r.status === 400);
    expect(rejected).toEqual([]);
    const shown = messages.map((m) => m.text).join("\n");
    for (let i = 1; i <= 60; i++) expect(shown).toContain(`end ${i}.`);
    expect(shown).not.toContain("**");
    expect(messages[0]?.html).toContain("<b>Streaming report</b>");
    expect(messages[0]?.html).toContain("<b>bold 1</b>");
    expect(messages.at(-1)?.html).toContain('<pre><code class="language-ts">const done = true;');
  });

  it("edits a private chat within Telegram's pace (about once a second): the flood limit never refuses a write", async () => {
    // Arrange
    const bob = newPerson("Bob");
    bed.ollama.setReply("llama3", () => longAnswer());
    bed.ollama.chunkDelayMs = 20;

    // Act
    await say(bed, bob, "another long report");

    // Assess: several writes, none over the per-chat limit (3 at once, then 1/s).
    const all = writes(bed, bob.chat.id);
    expect(all.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(4);
    expect(refused(all)).toEqual([]);
  });

  it("edits a group chat at most once every three seconds: a group limit of 2 writes per 5 s never refuses one", async () => {
    // Arrange: a group window scaled down from 20/min, which a 1/s pace would break at once.
    bed.telegram.setFlood({ perGroupPerMinute: 2, groupWindowSeconds: 5, retryAfterSeconds: 2 });
    const group = newGroup();
    const carol = newPerson("Carol");
    bed.ollama.setReply("llama3", () => longAnswer().slice(0, 3000));
    bed.ollama.chunkDelayMs = 40; // ~125 chunks: five seconds
    bed.telegram.pushText(carol.user, group, "@ollama_test_bot tell me a story", {
      entities: [{ type: "mention", offset: 0, length: 16 }],
    });

    // Act
    await invoke(bed);

    // Assess
    const all = writes(bed, group.id);
    expect(all.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(3); // placeholder, an edit, the final text
    expect(refused(all)).toEqual([]);
    expect(textsTo(bed, group.id).some((t) => t.includes("end 20."))).toBe(true);
  });

  it("waits out every 429 Telegram sends and still delivers the complete answer", async () => {
    // Arrange
    const dan = newPerson("Dan");
    const answer = longAnswer();
    bed.ollama.setReply("llama3", () => answer);
    bed.ollama.chunkDelayMs = 15;
    const tooMany = { status: 429, description: "Too Many Requests: retry after 1", retryAfter: 1 };
    bed.telegram.failNext("editMessageText", tooMany, 2);

    // Act
    const summary = await say(bed, dan, "long answer under flood control");

    // Assess
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    expect(expectEvery429Retried(bed, dan.chat.id)).toBeGreaterThanOrEqual(2);
    const shown = textsTo(bed, dan.chat.id).join("\n");
    for (let i = 1; i <= 60; i++) expect(shown).toContain(`end ${i}.`);
    expect(shown).toContain("const done = true;");
  });

  it("leaves no stale partial message when the final text needs fewer characters than the stream showed", async () => {
    // Arrange: while the link streams, its raw URL pushes the text past 4096 characters;
    // once complete it renders as a short label and the whole answer fits in one message.
    const gus = newPerson("Gus");
    const body = Array.from({ length: 37 }, (_, i) => `Fact ${i + 1}: ${"z".repeat(90)}.`).join(
      "\n\n",
    );
    const url = `https://example.com/${"a".repeat(1500)}`;
    bed.ollama.setReply("llama3", () => `${body}\n\nSource: [the docs](${url}) — done.`);
    bed.ollama.chunkSize = 16;
    bed.ollama.chunkDelayMs = 20;

    // Act
    await say(bed, gus, "facts with a source");

    // Assess
    const messages = bed.telegram.sentMessages(gus.chat.id);
    const shown = messages.map((m) => m.text).join("\n");
    expect(shown).not.toContain("aaaaaaaaaa"); // no raw URL left anywhere
    expect(shown).not.toContain("](");
    for (let i = 1; i <= 37; i++) expect(shown.split(`Fact ${i}:`).length - 1).toBe(1);
    expect(messages.at(-1)?.text).toContain("the docs — done.");
    expect(messages.at(-1)?.html).toContain(`<a href="${url}">the docs</a>`);
  });

  it("sends the final answer as a new message when the streamed one can no longer be edited", async () => {
    // Arrange: the user deleted the placeholder while the answer was being written.
    const hal = newPerson("Hal");
    bed.ollama.setReply("llama3", () => longAnswer().slice(0, 1500));
    bed.ollama.chunkDelayMs = 20;
    const gone = { status: 400, description: "Bad Request: message to edit not found" };
    bed.telegram.failNext("editMessageText", gone, 10);

    // Act
    const summary = await say(bed, hal, "medium answer");
    await say(bed, hal, "/history");

    // Assess
    expect(summary).toMatchObject({ handled: 1, failed: 0, skipped: 0 });
    const messages = bed.telegram.sentMessages(hal.chat.id);
    const final = messages.at(-2); // before the /history answer
    expect(final?.html).toContain("<b>bold 10</b>");
    expect(final?.text).toContain("end 10.");
    expect(messages.at(-1)?.text).toContain("Last 2 of 2 messages"); // the answer was stored
  });

  it("treats 'message is not modified' as success, on the final edit too", async () => {
    // Arrange: the edit that writes the finished answer already shows it when Telegram
    // answers "not modified" (as after a retried edit whose first try went through).
    const eve = newPerson("Eve");
    bed.ollama.setReply("llama3", () => longAnswer().slice(0, 1500));
    bed.ollama.chunkDelayMs = 20;
    bed.telegram.failNext("editMessageText", {
      status: 400,
      description:
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
      // The finished answer ends with "end 10."; partial edits stop before it. (Should a
      // partial edit carry the whole text, the final edit repeats it and the fake answers
      // "not modified" by itself, as Telegram does.)
      when: (params) => params.parse_mode === "HTML" && String(params.text).includes("end 10."),
      afterEffect: true,
    });

    // Act
    const summary = await say(bed, eve, "medium answer");

    // Assess
    const notModified = bed.telegram.requests("editMessageText").filter((r) => r.status === 400);
    expect(notModified.length).toBeGreaterThanOrEqual(1);
    expect(summary).toMatchObject({ handled: 1, failed: 0, skipped: 0 });
    const shown = textsTo(bed, eve.chat.id).join("\n");
    expect(shown).toContain("end 10.");
    expect(shown).not.toContain("Telegram refused my answer");
    expect(bed.telegram.sentMessages(eve.chat.id).at(-1)?.html).toContain("<b>bold 10</b>");
  });
});

describe("STREAM_REPLIES=false: one final message, no edits", () => {
  const bed = useTestBed({ telegram: { flood: false }, env: { RICH_MESSAGES: "off" } });

  it("sends the formatted answer once, without a placeholder or edits", async () => {
    // Arrange
    const fay = newPerson("Fay");
    bed.ollama.setReply("llama3", () => "## Result\n\n**All** good, see `x`.");
    bed.ollama.chunkSize = 4;
    bed.ollama.chunkDelayMs = 10;

    // Act
    const summary = await say(bed, fay, "short answer", envWith(bed, { STREAM_REPLIES: "false" }));

    // Assess
    expect(summary).toMatchObject({ handled: 1 });
    const messages = bed.telegram.sentMessages(fay.chat.id);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.edits).toBe(0);
    expect(requestsTo(bed, "editMessageText", fay.chat.id)).toHaveLength(0);
    expect(messages[0]?.html).toBe("<b>Result</b>\n\n<b>All</b> good, see <code>x</code>.");
  });
});
