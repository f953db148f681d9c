import { describe, expect, it } from "@jest/globals";
import { useTestBed } from "../harness/bed.js";
import { envWith, invoke, newPerson } from "./support.js";

const TOPIC = 77;
const FORUM = { id: -100_900_1, type: "supergroup", title: "Forum", is_forum: true };

describe("forum topics: every reply goes to the topic the message came from", () => {
  const bed = useTestBed({ telegram: { flood: false } });

  /** A message of `from` in topic {@link TOPIC} of the forum. */
  const topicMessage = (from: ReturnType<typeof newPerson>, messageId: number, text: string) => ({
    message: {
      message_id: messageId,
      message_thread_id: TOPIC,
      is_topic_message: true,
      date: Math.floor(Date.now() / 1000),
      from: { ...from.user, is_bot: false },
      chat: FORUM,
      text,
      entities: text.startsWith("/")
        ? [{ type: "bot_command", offset: 0, length: text.split(" ")[0]?.length ?? 0 }]
        : [{ type: "mention", offset: 0, length: 16 }],
    },
  });

  it.each([
    ["auto", "one rich message"],
    ["off", "HTML and its continuation parts"],
  ])(
    "RICH_MESSAGES=%s: sends the streamed answer (%s), typing and documents to the topic",
    async (rich) => {
      // Arrange: an answer long enough to need a second HTML message
      const ada = newPerson("Ada");
      bed.ollama.setReply("llama3", () => "word ".repeat(1500));
      // The first token comes after the typing indicator's half-second delay (both timers run in
      // this process, so their order is fixed), so "typing…" is sent too.
      bed.ollama.latencyMs = 800;
      bed.telegram.pushUpdate(topicMessage(ada, 10, "@ollama_test_bot write a lot"));
      bed.telegram.pushUpdate(topicMessage(ada, 11, "/export"));
      bed.telegram.pushUpdate(topicMessage(ada, 12, "/nonsense"));

      const before = bed.telegram.requests().length;

      // Act
      await invoke(bed, { ...bed.env, RICH_MESSAGES: rich });

      // Assess
      const toForum = bed.telegram
        .requests()
        .slice(before)
        .filter((r) => Number(r.params.chat_id) === FORUM.id && r.method !== "editMessageText");
      const count = (method: string) => toForum.filter((r) => r.method === method).length;
      // The answer (one rich message, or two HTML parts) and the reply to /nonsense.
      expect(count("sendRichMessage")).toBe(rich === "auto" ? 1 : 0);
      expect(count("sendMessage")).toBeGreaterThanOrEqual(rich === "auto" ? 1 : 3);
      expect(count("sendChatAction")).toBeGreaterThanOrEqual(1);
      expect(count("sendDocument")).toBe(1);
      expect(toForum.map((r) => [r.method, Number(r.params.message_thread_id)])).toEqual(
        toForum.map((r) => [r.method, TOPIC]),
      );
    },
  );
  it("sends the parts of a reply Telegram found too long, re-split smaller, to the topic too", async () => {
    // Arrange: Telegram counts longer than the bot (entities expanded) and refuses long messages
    const bo = newPerson("Bo");
    const answer = Array.from({ length: 400 }, (_, i) => `word${i}`).join(" ");
    bed.ollama.setReply("llama3", () => answer);
    bed.telegram.failNext(
      "sendMessage",
      {
        status: 400,
        description: "Bad Request: message is too long",
        when: (p) => p.chat_id === FORUM.id && String(p.text).length > 2_048,
      },
      20,
    );
    bed.telegram.pushUpdate(topicMessage(bo, 20, "@ollama_test_bot count"));

    // Act
    await invoke(bed, envWith(bed, { STREAM_REPLIES: "false", RICH_MESSAGES: "off" }));

    // Assess: every word arrived, each part in the topic
    const parts = bed.telegram
      .requests("sendMessage")
      .filter((r) => r.status === 200 && Number(r.params.chat_id) === FORUM.id)
      .filter((r) => /word\d/.test(String(r.params.text)));
    expect(parts.length).toBeGreaterThan(1);
    const words = parts.flatMap((r) => String(r.params.text).split(/\s+/).filter(Boolean));
    expect(words).toEqual(answer.split(" "));
    expect(parts.map((r) => Number(r.params.message_thread_id))).toEqual(parts.map(() => TOPIC));
  });
});
