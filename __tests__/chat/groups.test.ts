import { beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { useTestBed } from "../harness/bed.js";
import type { TgChat, TgUser } from "../harness/fake-telegram.js";
import { invoke, newGroup, newPerson, sessionItems, textsTo } from "./support.js";

/** `@ollama_test_bot` as a mention entity at `offset`. */
const mentionAt = (offset: number) => ({ type: "mention", offset, length: 16 });

describe("group chats: the bot answers only when addressed, quoting the message", () => {
  const bed = useTestBed({ telegram: { flood: false } });
  let ada: TgUser;
  let bob: TgUser;
  beforeAll(async () => {
    ada = newPerson("Ada").user;
    bob = newPerson("Bob").user;
  });
  beforeEach(() => {
    bed.ollama.reset();
  });

  /** The bot's message in `group` as a `reply_to_message` object. */
  const botMessage = (group: TgChat, messageId: number) => ({
    message_id: messageId,
    from: { id: bed.telegram.botId, is_bot: true, first_name: "Ollama Test Bot" },
    chat: group,
    date: Math.floor(Date.now() / 1000),
    text: "an earlier answer",
  });

  it("stays silent when nobody mentions it", async () => {
    // Arrange
    const group = newGroup();
    bed.telegram.pushText(ada, group, "hello everyone, what's for lunch?");
    bed.telegram.pushText(bob, group, "pizza @someone_else", {
      entities: [{ type: "mention", offset: 6, length: 13 }],
    });

    // Act
    const summary = await invoke(bed);

    // Assess
    expect(summary).toMatchObject({ updates: 2, skipped: 2, handled: 0 });
    expect(bed.telegram.sentMessages(group.id)).toEqual([]);
    expect(bed.ollama.chats()).toEqual([]);
  });

  it("answers a mention, without the mention in the prompt, quoting the message", async () => {
    // Arrange
    const group = newGroup();
    bed.telegram.pushText(ada, group, "@ollama_test_bot what is 2+2?", {
      entities: [mentionAt(0)],
    }); // message 1 of the new group

    // Act
    const summary = await invoke(bed);

    // Assess
    expect(summary).toMatchObject({ handled: 1 });
    expect(bed.ollama.chats().at(-1)?.body.messages.at(-1)?.content).toBe("what is 2+2?");
    const [reply] = bed.telegram.sentMessages(group.id);
    expect(reply?.text).toBe("You said: what is 2+2?");
    expect(reply?.replyTo).toBe(1);
  });

  it("answers a mention in the middle of the text", async () => {
    // Arrange
    const group = newGroup();
    bed.telegram.pushText(bob, group, "hey @ollama_test_bot tell me a joke", {
      entities: [mentionAt(4)],
    });

    // Act
    await invoke(bed);

    // Assess
    const prompt = bed.ollama.chats().at(-1)?.body.messages.at(-1)?.content ?? "";
    expect(prompt).toContain("tell me a joke");
    expect(prompt).not.toContain("@ollama_test_bot");
    expect(textsTo(bed, group.id)).toHaveLength(1);
  });

  it("answers a reply to one of its own messages, quoting it", async () => {
    // Arrange
    const group = newGroup();
    bed.telegram.pushText(ada, group, "@ollama_test_bot first", { entities: [mentionAt(0)] });
    await invoke(bed);
    const first = bed.telegram.sentMessages(group.id)[0];

    // Act
    bed.telegram.pushText(ada, group, "and a follow-up without mention", {
      reply_to_message: botMessage(group, first?.messageId ?? 0),
    });
    const summary = await invoke(bed);

    // Assess
    expect(summary).toMatchObject({ handled: 1 });
    const messages = bed.telegram.sentMessages(group.id);
    expect(messages.at(-1)?.text).toBe("You said: and a follow-up without mention");
    expect(messages.at(-1)?.replyTo).toBe((first?.messageId ?? 0) + 1); // the follow-up
  });

  it("ignores a reply to another user's message", async () => {
    // Arrange
    const group = newGroup();
    bed.telegram.pushText(bob, group, "I agree", {
      reply_to_message: {
        message_id: 1,
        from: { ...ada, is_bot: false },
        chat: group,
        date: 0,
        text: "x",
      },
    });

    // Act
    const summary = await invoke(bed);

    // Assess
    expect(summary).toMatchObject({ skipped: 1, handled: 0 });
    expect(bed.telegram.sentMessages(group.id)).toEqual([]);
  });

  it("answers /help@ollama_test_bot, ignores /help@other_bot, and quotes the command", async () => {
    // Arrange
    const group = newGroup();
    bed.telegram.pushText(ada, group, "/help@other_bot"); // message 1
    bed.telegram.pushText(ada, group, "/help@ollama_test_bot"); // message 2

    // Act
    const summary = await invoke(bed);

    // Assess
    expect(summary).toMatchObject({ handled: 1, skipped: 1 });
    const messages = bed.telegram.sentMessages(group.id);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.text).toContain("/model");
    expect(messages[0]?.replyTo).toBe(2);
  });

  it("keeps a separate session per user in the same group", async () => {
    // Arrange
    const group = newGroup();
    const carol = newPerson("Carol").user;
    const dan = newPerson("Dan").user;
    bed.telegram.pushText(carol, group, "@ollama_test_bot my name is Carol", {
      entities: [mentionAt(0)],
    });
    bed.telegram.pushText(dan, group, "@ollama_test_bot my name is Dan", {
      entities: [mentionAt(0)],
    });
    await invoke(bed);

    // Act
    bed.telegram.pushText(carol, group, "@ollama_test_bot what is my name?", {
      entities: [mentionAt(0)],
    });
    await invoke(bed);

    // Assess
    const last = bed.ollama
      .chats()
      .at(-1)
      ?.body.messages.map((m) => m.content);
    expect(last).toEqual(["my name is Carol", "You said: my name is Carol", "what is my name?"]);
    const carolSessions = await sessionItems(bed, carol.id);
    const danSessions = await sessionItems(bed, dan.id);
    expect(carolSessions).toHaveLength(1);
    expect(danSessions).toHaveLength(1);
    expect(carolSessions[0]?.chat_id).toBe(group.id);
    expect(danSessions[0]?.message_count).toBe(2);
    expect(carolSessions[0]?.message_count).toBe(4);
  });

  it("quotes each user's own message when two are answered in one invoke", async () => {
    // Arrange
    const group = newGroup();
    bed.telegram.pushText(ada, group, "@ollama_test_bot one", { entities: [mentionAt(0)] });
    bed.telegram.pushText(bob, group, "@ollama_test_bot two", { entities: [mentionAt(0)] });

    // Act
    await invoke(bed);

    // Assess
    const messages = bed.telegram.sentMessages(group.id);
    expect(messages.map((m) => m.text)).toEqual(["You said: one", "You said: two"]);
    expect(messages.map((m) => m.replyTo)).toEqual([1, 2]);
  });
});
