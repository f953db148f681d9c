import { beforeEach, describe, expect, it } from "@jest/globals";
import { waitFor } from "../faults/support.js";
import { useTestBed } from "../harness/bed.js";
import {
  conversationOf,
  invoke,
  newGroup,
  newPerson,
  requestsTo,
  sessionItems,
  textsTo,
} from "./support.js";

/** A Markdown answer long enough for several draft frames. */
const ANSWER = [
  "# Draft report",
  "",
  ...Array.from({ length: 12 }, (_, i) => `Line ${i + 1} has **bold ${i + 1}** in it.`),
].join("\n");

describe("STREAM_MODE=draft (the default): private chats stream into a native draft", () => {
  // HTML drafts (sendMessageDraft: RICH_MESSAGES=off, older servers); rich drafts are in rich.test.ts.
  const bed = useTestBed({ telegram: { flood: false }, env: { RICH_MESSAGES: "off" } });
  let releases: (() => void)[] = [];
  beforeEach(() => {
    for (const release of releases) release();
    releases = [];
    bed.ollama.reset();
    bed.ollama.chunkSize = 16;
    bed.ollama.setReply("llama3", () => ANSWER);
  });

  it("shows draft frames with Telegram's Stop, then one sendMessage with the final formatted text and no edits", async () => {
    // Arrange
    const ada = newPerson("Ada");
    bed.ollama.chunkSize = 12;
    bed.ollama.chunkDelayMs = 60; // ~30 chunks: about two seconds, so more than one frame
    bed.telegram.pushText(ada.user, ada.chat, "report please");

    // Act
    const summary = await invoke(bed);

    // Assess
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    const frames = bed.telegram.drafts(ada.chat.id);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(new Set(frames.map((f) => f.draftId)).size).toBe(1);
    expect(frames.every((f) => f.canStop && f.keepOnStop)).toBe(true);
    expect(frames.at(-1)?.text.length).toBeGreaterThan(frames[0]?.text.length ?? 0);
    expect(requestsTo(bed, "sendMessage", ada.chat.id)).toHaveLength(1);
    expect(requestsTo(bed, "editMessageText", ada.chat.id)).toEqual([]);
    const [message] = bed.telegram.sentMessages(ada.chat.id);
    expect(message?.html).toContain("<b>Draft report</b>");
    expect(message?.text).toContain("Line 12 has bold 12 in it.");
  });

  it("Telegram's own Stop on the draft (stopped_message_generation) stops the answer, keeping what was written", async () => {
    // Arrange
    const bob = newPerson("Bob");
    const hold = bed.ollama.holdAfterFirstChunk(
      (b) => b.messages.at(-1)?.content === "a long story",
    );
    releases.push(hold.release);
    bed.telegram.pushText(bob.user, bob.chat, "a long story");
    const running = invoke(bed);
    await waitFor(() => bed.telegram.drafts(bob.chat.id).length > 0, 20_000, "a draft frame");
    const draftId = bed.telegram.drafts(bob.chat.id)[0]?.draftId ?? 0;

    // Act
    bed.telegram.pushDraftStop(bob.user, draftId);
    const summary = await running;

    // Assess
    expect(summary).toMatchObject({ handled: 2, failed: 0 });
    expect(bed.ollama.chats().at(-1)?.cancelledAt).toBeDefined();
    const first = ANSWER.slice(0, 16).replace("# ", "").trim();
    expect(textsTo(bed, bob.chat.id)).toEqual([`${first}\n\n⏹ Stopped.`]);
    const [session] = await sessionItems(bed, bob.user.id);
    expect(conversationOf(session ?? {}).at(-1)).toMatchObject({
      role: "assistant",
      stopped: true,
    });
  });

  it("groups keep edit streaming: no drafts there", async () => {
    // Arrange
    const group = newGroup();
    const cleo = newPerson("Cleo");
    bed.telegram.pushText(cleo.user, group, "@ollama_test_bot hi all", {
      entities: [{ type: "mention", offset: 0, length: 16 }],
    });

    // Act
    await invoke(bed);

    // Assess
    expect(
      bed.telegram
        .requests("sendMessageDraft")
        .filter((r) => Number(r.params.chat_id) === group.id),
    ).toEqual([]);
    expect(textsTo(bed, group.id).at(-1)).toContain("Line 12 has bold 12 in it.");
  });
});

describe("STREAM_MODE=draft on a Bot API server without sendMessageDraft", () => {
  const bed = useTestBed({
    telegram: { flood: false, drafts: false },
    env: { RICH_MESSAGES: "off" },
  });

  it("falls back to edit streaming for the rest of the invoke and says so once in the log", async () => {
    // Arrange: two private chats answered in one invoke
    const dan = newPerson("Dan");
    const eve = newPerson("Eve");
    bed.ollama.setReply("llama3", () => ANSWER);
    bed.ollama.chunkSize = 12;
    bed.ollama.chunkDelayMs = 30;
    bed.telegram.pushText(dan.user, dan.chat, "first");
    bed.telegram.pushText(eve.user, eve.chat, "second");

    // Act
    const { result: summary, logs } = await bed.captureLogs(() =>
      invoke(bed, { ...bed.env, MAX_CONCURRENCY: "1" }),
    );

    // Assess
    expect(summary).toMatchObject({ handled: 2, failed: 0 });
    const drafts = bed.telegram.requests("sendMessageDraft");
    expect(drafts.map((r) => r.status)).toEqual([404]);
    for (const p of [dan, eve]) {
      expect(textsTo(bed, p.chat.id)).toEqual([
        expect.stringContaining("Line 12 has bold 12 in it."),
      ]);
      expect(requestsTo(bed, "editMessageText", p.chat.id).length).toBeGreaterThan(0);
    }
    const notices = logs.filter((l) => l.includes("has no sendMessageDraft"));
    expect(notices).toHaveLength(1);
  });
});
