import { describe, expect, it } from "@jest/globals";
import { useFaultBed } from "./fault-bed.js";
import { person, poll, pollerItem, repliesTo, storedConversation } from "./support.js";

/**
 * Telegram's flood limit asks for pauses of tens of seconds. One that fits in
 * the invoke is waited out (faults/telegram); one that does not must neither
 * loop until the deadline nor cost the update its attempts: it is answered later.
 */
describe("faults: a flood limit longer than the invoke", () => {
  const { bed, guard } = useFaultBed();
  // One attempt only: a flood-limited update that counted as a failed attempt would be given up.
  const env = { STREAM_REPLIES: "false", MAX_UPDATE_ATTEMPTS: "1" };

  it("429 retry_after 60 in a 25 s invoke: one request, no wait, the update kept with its attempts and answered once by the next invoke", async () => {
    // Arrange
    const ada = person("Ada");
    const updateId = bed.telegram.pushText(ada.user, ada.chat, "hello under a long flood limit");
    bed.telegram.failNext("sendMessage", {
      status: 429,
      description: "Too Many Requests: retry after 60",
      retryAfter: 60,
    });

    // Act
    const limited = await poll(bed, guard, { env, timeoutMs: 25_000 });
    const offsetAfter = (await pollerItem(bed))?.next_offset;
    const next = await poll(bed, guard, { env });

    // Assert
    expect(limited).toMatchObject({ handled: 0, failed: 1, givenUp: 0 });
    expect(limited.errors.join("\n")).toContain("429");
    expect(offsetAfter).toBe(updateId);
    expect(next).toMatchObject({ handled: 1, failed: 0, givenUp: 0 });
    const sends = bed.telegram
      .requests("sendMessage")
      .filter((r) => r.params.chat_id === ada.chat.id);
    expect(sends.map((r) => r.status)).toEqual([429, 200]);
    expect(repliesTo(bed, ada)).toEqual(["You said: hello under a long flood limit"]);
    const stored = await storedConversation(bed, ada.user.id);
    expect(stored.map((m) => m.role)).toEqual(["user", "assistant"]);
  });
});
