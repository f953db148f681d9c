import { describe, expect, it } from "@jest/globals";
import { useFaultBed } from "./fault-bed.js";
import { person, poll, repliesTo, storedConversation } from "./support.js";

/**
 * Failures that land after Telegram acted: a 5xx or a hang after the message was
 * delivered. The Bot API has no idempotency key, so the bot retries (a lost answer
 * is worse than a repeated one): each such failure may leave one stray copy, never more,
 * and the turn is stored once. See docs/guarantees.md ("Telegram trouble").
 */
describe("faults: Telegram fails after it delivered", () => {
  const { bed, guard } = useFaultBed();
  const noStreaming = { STREAM_REPLIES: "false" };

  it("sendMessage delivered, then 502: retried once, one stray copy at most, the turn stored once", async () => {
    // Arrange
    const ada = person("Ada");
    bed.telegram.pushText(ada.user, ada.chat, "bad gateway after delivery");
    bed.telegram.failNext("sendMessage", {
      status: 502,
      description: "Bad Gateway",
      afterEffect: true,
    });

    // Act
    const summary = await poll(bed, guard, { env: noStreaming });

    // Assert
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    const sends = bed.telegram
      .requests("sendMessage")
      .filter((r) => r.params.chat_id === ada.chat.id);
    expect(sends.map((r) => r.status)).toEqual([502, 200]);
    expect(repliesTo(bed, ada)).toEqual([
      "You said: bad gateway after delivery",
      "You said: bad gateway after delivery",
    ]);
    const stored = await storedConversation(bed, ada.user.id);
    expect(stored.map((m) => m.role)).toEqual(["user", "assistant"]);
  });

  it("the final streamed edit applied, then 502: the retry finds it 'not modified', no stray copy, nothing reported as failed", async () => {
    // Arrange: "You said: …" streams in three chunks; only the finished text contains "END".
    const bob = person("Bob");
    bed.telegram.pushText(bob.user, bob.chat, "stream then fail the last edit END");
    bed.telegram.failNext("editMessageText", {
      status: 502,
      description: "Bad Gateway",
      when: (params) => String(params.text).includes("END"),
      afterEffect: true,
    });

    // Act
    const summary = await poll(bed, guard, { env: { STREAM_MODE: "edit" } });

    // Assert
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    const edits = bed.telegram
      .requests("editMessageText")
      .filter((r) => r.params.chat_id === bob.chat.id);
    expect(edits.map((r) => r.status)).toEqual([502, 400]);
    expect(edits[1]?.description).toContain("message is not modified");
    expect(repliesTo(bed, bob)).toEqual(["You said: stream then fail the last edit END"]);
  });

  it("sendMessage delivered, then no answer: abandoned after the call timeout and retried in the same invoke, one stray copy, stored once", async () => {
    // Arrange: the answer to the first send never comes (within this invoke).
    const carol = person("Carol");
    bed.telegram.pushText(carol.user, carol.chat, "hang after delivery");
    bed.telegram.hang("sendMessage", 120_000, 1, { afterEffect: true });

    // Act: an invoke long enough for one call timeout, far shorter than the hang.
    const summary = await poll(bed, guard, { env: noStreaming, timeoutMs: 45_000 });

    // Assert: answered by this invoke (not left failed for the next one to ask the model again).
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    expect(repliesTo(bed, carol)).toEqual([
      "You said: hang after delivery",
      "You said: hang after delivery",
    ]);
    const stored = await storedConversation(bed, carol.user.id);
    expect(stored.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(
      bed.ollama.chats().filter((r) => JSON.stringify(r.body).includes("hang after delivery")),
    ).toHaveLength(1);
  });
});
