import { describe, expect, it } from "@jest/globals";
import { useTestBed } from "../harness/bed.js";
import { userItems } from "../harness/items.js";
import { envWith, newPerson, say } from "./support.js";

const tooLong = { status: 400, description: "Bad Request: message is too long" };

/**
 * Replies Telegram refuses while they are being delivered (400: too long after
 * entity parsing, can't parse entities) are re-split or resent as plain text;
 * when nothing works, the turn is stored with the answer marked failed and the
 * user is told, instead of a retried update and a partial answer on screen.
 */
describe("delivery: replies Telegram refuses", () => {
  // Refusals of HTML messages (RICH_MESSAGES=off, older servers); rich.test.ts has rich refusals.
  const bed = useTestBed({
    telegram: { flood: false },
    env: { RICH_MESSAGES: "off" },
    resetOllama: true,
  });

  const conversation = async (userId: number) =>
    (await userItems(bed, userId))
      .flatMap((i) => (Array.isArray(i.conversation) ? i.conversation : []))
      .map((m: { role: string; failed?: string }) => [m.role, m.failed ?? null]);

  for (const stream of ["true", "false"])
    it(`a message Telegram finds too long after entity parsing is re-split smaller, nothing lost (STREAM_REPLIES=${stream})`, async () => {
      // Arrange: Telegram counts longer than we do (say, entities expanded) and refuses long messages
      const ivy = newPerson(`Ivy${stream}`);
      const answer = Array.from({ length: 400 }, (_, i) => `word${i}`).join(" ");
      bed.ollama.setReply("llama3", () => answer);
      bed.telegram.failNext(
        "sendMessage",
        { ...tooLong, when: (p) => p.chat_id === ivy.chat.id && String(p.text).length > 2_048 },
        20,
      );
      bed.telegram.failNext(
        "editMessageText",
        { ...tooLong, when: (p) => p.chat_id === ivy.chat.id && String(p.text).length > 2_048 },
        20,
      );

      // Act
      const summary = await say(bed, ivy, "count", envWith(bed, { STREAM_REPLIES: stream }));

      // Assess
      expect(summary).toMatchObject({ handled: 1, failed: 0, givenUp: 0 });
      const messages = bed.telegram.sentMessages(ivy.chat.id).map((m) => m.text);
      expect(messages.length).toBeGreaterThan(1);
      const words = messages.join(" ").split(/\s+/).filter(Boolean);
      expect(words).toEqual(answer.split(" "));
      expect(await conversation(ivy.user.id)).toEqual([
        ["user", null],
        ["assistant", null],
      ]);
    });

  it("when Telegram refuses the answer every way, the turn is stored marked failed and the user is told", async () => {
    // Arrange: every message carrying this answer is refused, HTML or plain, whole or split
    const jon = newPerson("Jon");
    bed.ollama.setReply("llama3", () => "**Refused** answer for Jon");
    bed.telegram.failNext(
      "sendMessage",
      { ...tooLong, when: (p) => String(p.text).includes("answer for Jon") },
      50,
    );

    // Act
    const summary = await say(bed, jon, "try me", envWith(bed, { STREAM_REPLIES: "false" }));

    // Assess
    expect(summary).toMatchObject({ handled: 1, failed: 0, givenUp: 0 });
    const shown = bed.telegram.sentMessages(jon.chat.id).map((m) => m.text);
    expect(shown[0]).toMatch(/Telegram refused my answer/);
    expect(shown.some((t) => t.includes("answer for Jon"))).toBe(false);
    expect(await conversation(jon.user.id)).toEqual([
      ["user", null],
      ["assistant", "undelivered"],
    ]);
  });
});
