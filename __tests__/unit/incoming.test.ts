import type { Update } from "@grammyjs/types";
import { describe, expect, it } from "@jest/globals";
import {
  type AddressedMessage,
  addressUpdate,
  type BotIdentity,
  needsIdentity,
  type Skip,
} from "../../handler/app/intake/addressing.js";
import { type CheckedUpdate, checkUpdate } from "../../handler/app/intake/checked-update.js";

const BOT: BotIdentity = { id: 999, username: "OllamaBot" };

interface Entity {
  type: string;
  offset: number;
  length: number;
  user?: { id: number };
}

/** A message update as Telegram sends it, checked as at the edge; `extra` overrides or adds fields. */
function update(extra: Record<string, unknown> = {}, chatType = "private"): CheckedUpdate {
  const message = {
    message_id: 10,
    date: 1_700_000_000,
    from: { id: 42, is_bot: false, username: "alice", first_name: "Alice", language_code: "en" },
    chat: { id: chatType === "private" ? 42 : -100, type: chatType },
    ...extra,
  };
  return checkUpdate({ update_id: 7, message } as unknown as Update, 1_700_000_000_500);
}

/** A text update with entities computed from `@mentions` and a leading `/command`. */
function textUpdate(
  text: string,
  chatType = "private",
  entities: Entity[] = [],
  extra: Record<string, unknown> = {},
): CheckedUpdate {
  return update({ text, entities, ...extra }, chatType);
}

function command(text: string): Entity {
  const length = text.split(/\s/)[0]?.length ?? 0;
  return { type: "bot_command", offset: 0, length };
}

function isAddressed(result: AddressedMessage | Skip): result is AddressedMessage {
  return !("skip" in result);
}

function expectAddressed(result: AddressedMessage | Skip): AddressedMessage {
  if (!isAddressed(result)) throw new Error(`expected an addressed message, got ${result.skip}`);
  return result;
}

describe("app/incoming addressUpdate", () => {
  it("turns a private text message into a text request with who and where", () => {
    // Act
    const result = expectAddressed(addressUpdate(textUpdate("hello"), undefined));

    // Assess
    expect(result).toEqual({
      updateId: 7,
      receivedAt: 1_700_000_000_500,
      messageId: 10,
      userId: 42,
      chatId: 42,
      isGroup: false,
      user: { id: 42, username: "alice", firstName: "Alice", languageCode: "en" },
      incoming: { kind: "text", text: "hello" },
    });
  });

  it("parses a command with its arguments, lower-casing the name", () => {
    // Prepare
    const text = "/Model   llama3:8b  ";

    // Act
    const result = expectAddressed(
      addressUpdate(textUpdate(text, "private", [command(text)]), BOT),
    );

    // Assess
    expect(result.incoming).toEqual({ kind: "command", name: "model", args: "llama3:8b" });
  });

  it("accepts a command addressed to this bot by @username, case-insensitively", () => {
    // Prepare
    const text = "/start@ollamabot now";

    // Act
    const result = expectAddressed(addressUpdate(textUpdate(text, "group", [command(text)]), BOT));

    // Assess
    expect(result.isGroup).toBe(true);
    expect(result.incoming).toEqual({ kind: "command", name: "start", args: "now" });
  });

  it("ignores a command addressed to another bot", () => {
    // Prepare
    const text = "/start@OtherBot";

    // Act
    const result = addressUpdate(textUpdate(text, "supergroup", [command(text)]), BOT);

    // Assess
    expect(result).toEqual({ skip: "not_addressed" });
  });

  it("ignores a command addressed to some bot when its own identity is unknown", () => {
    // Prepare
    const text = "/start@OllamaBot";

    // Act
    const result = addressUpdate(textUpdate(text, "private", [command(text)]), undefined);

    // Assess
    expect(result).toEqual({ skip: "not_addressed" });
  });

  it("accepts a bare command in a group when the bot knows who it is", () => {
    // Prepare
    const text = "/help";

    // Act
    const result = expectAddressed(addressUpdate(textUpdate(text, "group", [command(text)]), BOT));

    // Assess
    expect(result.incoming).toEqual({ kind: "command", name: "help", args: "" });
  });

  it("does not treat a slash without a bot_command entity as a command", () => {
    // Act
    const result = expectAddressed(addressUpdate(textUpdate("/notacommand"), BOT));

    // Assess
    expect(result.incoming).toEqual({ kind: "text", text: "/notacommand" });
  });

  it("does not treat a bot_command entity later in the text as a command", () => {
    // Act
    const result = expectAddressed(
      addressUpdate(
        textUpdate("see /help", "private", [{ type: "bot_command", offset: 4, length: 5 }]),
        BOT,
      ),
    );

    // Assess
    expect(result.incoming).toEqual({ kind: "text", text: "see /help" });
  });

  it("answers a group message that mentions the bot, with the mention removed and no double space left", () => {
    // Prepare
    const text = "hey @OllamaBot what is 2+2?";
    const mention = { type: "mention", offset: 4, length: 10 };

    // Act
    const result = expectAddressed(addressUpdate(textUpdate(text, "group", [mention]), BOT));

    // Assess
    expect(result.incoming).toEqual({ kind: "text", text: "hey what is 2+2?" });
  });

  it("answers a group text_mention of the bot found by user id", () => {
    // Prepare
    const mention = { type: "text_mention", offset: 0, length: 6, user: { id: BOT.id } };

    // Act
    const result = expectAddressed(
      addressUpdate(textUpdate("Ollama, explain", "group", [mention]), BOT),
    );

    // Assess
    expect(result.incoming).toEqual({ kind: "text", text: ", explain" });
  });

  it("keeps the whole text when the message is only the mention", () => {
    // Prepare
    const mention = { type: "mention", offset: 0, length: 10 };

    // Act
    const result = expectAddressed(
      addressUpdate(textUpdate("@OllamaBot", "group", [mention]), BOT),
    );

    // Assess
    expect(result.incoming).toEqual({ kind: "text", text: "@OllamaBot" });
  });

  it("does not answer a group message whose @username is plain text without an entity", () => {
    expect(addressUpdate(textUpdate("@OllamaBot hi", "group"), BOT)).toEqual({
      skip: "not_addressed",
    });
  });

  it("does not answer a group message mentioning someone else", () => {
    // Prepare
    const mention = { type: "mention", offset: 0, length: 6 };

    // Act
    const result = addressUpdate(textUpdate("@alice hi", "group", [mention]), BOT);

    // Assess
    expect(result).toEqual({ skip: "not_addressed" });
  });

  it("answers a group reply to one of the bot's messages", () => {
    // Prepare
    const extra = { reply_to_message: { message_id: 5, from: { id: BOT.id, is_bot: true } } };

    // Act
    const result = expectAddressed(addressUpdate(textUpdate("and then?", "group", [], extra), BOT));

    // Assess
    expect(result.incoming).toEqual({ kind: "text", text: "and then?" });
  });

  it("ignores a group reply to somebody else", () => {
    // Prepare
    const extra = { reply_to_message: { message_id: 5, from: { id: 1 } } };

    // Act
    const result = addressUpdate(textUpdate("and then?", "group", [], extra), BOT);

    // Assess
    expect(result).toEqual({ skip: "not_addressed" });
  });

  it("ignores group messages when the bot identity is unknown", () => {
    // Prepare
    const mention = { type: "mention", offset: 0, length: 10 };

    // Act
    const result = addressUpdate(textUpdate("@OllamaBot hi", "group", [mention]), undefined);

    // Assess
    expect(result).toEqual({ skip: "not_addressed" });
  });

  it("turns a private document into a document request", () => {
    // Prepare
    const doc = { file_id: "F1", file_name: "notes.json", mime_type: "application/json" };

    // Act
    const result = expectAddressed(
      addressUpdate(update({ document: { ...doc, file_size: 1234 } }), BOT),
    );

    // Assess
    expect(result.incoming).toEqual({
      kind: "document",
      fileId: "F1",
      fileName: "notes.json",
      size: 1234,
      mimeType: "application/json",
    });
  });

  it("fills in a name and size for a document that lacks them", () => {
    // Act
    const result = expectAddressed(addressUpdate(update({ document: { file_id: "F2" } }), BOT));

    // Assess
    expect(result.incoming).toEqual({ kind: "document", fileId: "F2", fileName: "file", size: 0 });
  });

  it("ignores a group document unless it replies to the bot", () => {
    // Prepare
    const document = { file_id: "F3" };
    const reply = { reply_to_message: { from: { id: BOT.id } } };

    // Act
    const ignored = addressUpdate(update({ document }, "group"), BOT);
    const answered = addressUpdate(update({ document, ...reply }, "group"), BOT);

    // Assess
    expect(ignored).toEqual({ skip: "not_addressed" });
    expect(expectAddressed(answered).incoming.kind).toBe("document");
  });

  it("turns a photo into a photo request with every size, smallest first, and its caption", () => {
    // Prepare
    const photo = [
      { file_id: "S", file_unique_id: "s", width: 90, height: 60, file_size: 1200 },
      { file_id: "L", file_unique_id: "l", width: 1280, height: 853, file_size: 98_000 },
    ];

    // Act
    const result = expectAddressed(addressUpdate(update({ photo, caption: "what is it?" }), BOT));

    // Assess
    expect(result.incoming).toEqual({
      kind: "photo",
      sizes: [
        { fileId: "S", width: 90, height: 60, size: 1200 },
        { fileId: "L", width: 1280, height: 853, size: 98_000 },
      ],
      caption: "what is it?",
    });
  });

  it("answers a group photo whose caption mentions the bot (the mention removed), and skips one that does not", () => {
    // Prepare
    const photo = [{ file_id: "P", width: 90, height: 60 }];
    const caption = `@${BOT.username} what is this?`;
    const mention = { type: "mention", offset: 0, length: BOT.username.length + 1 };

    // Act
    const mentioned = addressUpdate(
      update({ photo, caption, caption_entities: [mention] }, "group"),
      BOT,
    );
    const other = addressUpdate(update({ photo, caption: "nice" }, "group"), BOT);

    // Assess
    expect(expectAddressed(mentioned).incoming).toEqual({
      kind: "photo",
      sizes: [{ fileId: "P", width: 90, height: 60 }],
      caption: "what is this?",
    });
    expect(other).toEqual({ skip: "not_addressed" });
  });

  it("turns a voice note and an audio file into audio to hear, with Telegram's duration, size and type", () => {
    // Prepare
    const voice = { file_id: "V", duration: 7, mime_type: "audio/ogg", file_size: 12_345 };
    const audio = { file_id: "A", duration: 200, file_name: "talk.mp3", mime_type: "audio/mpeg" };

    // Act
    const note = expectAddressed(addressUpdate(update({ voice, caption: "in French" }), BOT));
    const file = expectAddressed(addressUpdate(update({ audio }), BOT));

    // Assess
    expect(note.incoming).toEqual({
      kind: "voice",
      source: "voice",
      fileId: "V",
      seconds: 7,
      size: 12_345,
      mimeType: "audio/ogg",
      caption: "in French",
    });
    expect(file.incoming).toEqual({
      kind: "voice",
      source: "audio",
      fileId: "A",
      seconds: 200,
      mimeType: "audio/mpeg",
      fileName: "talk.mp3",
    });
  });

  it("hears a group voice note only when it replies to the bot or its caption mentions it; a voice without a duration is malformed", () => {
    // Prepare
    const voice = { file_id: "V", duration: 3 };
    const toBot = { from: { id: BOT.id } };

    // Act
    const plain = addressUpdate(update({ voice }, "group"), BOT);
    const reply = addressUpdate(update({ voice, reply_to_message: toBot }, "group"), BOT);
    const broken = addressUpdate(update({ voice: { file_id: "V" } }), BOT);

    // Assess
    expect(plain).toEqual({ skip: "not_addressed" });
    expect(expectAddressed(reply).incoming).toMatchObject({ kind: "voice", fileId: "V" });
    expect(broken).toMatchObject({ skip: "malformed", detail: expect.stringContaining("voice") });
  });

  it.each(["sticker", "video_note", "video", "location", "poll"])(
    "reports a %s message as unsupported",
    (kind) => {
      // Act
      const result = expectAddressed(addressUpdate(update({ [kind]: {} }), BOT));

      // Assess
      expect(result.incoming).toEqual({ kind: "unsupported", what: kind });
    },
  );

  it("reports an unknown non-text message generically", () => {
    // Act
    const result = expectAddressed(addressUpdate(update({ dice: { value: 3 } }), BOT));

    // Assess
    expect(result.incoming).toEqual({ kind: "unsupported", what: "message" });
  });

  it("skips updates without a message", () => {
    // Prepare
    const edited = checkUpdate({ update_id: 8, edited_message: {} } as unknown as Update, 0);

    // Act
    const result = addressUpdate(edited, BOT);

    // Assess
    expect(result).toEqual({ skip: "no_message" });
  });

  it("skips messages sent by bots", () => {
    // Act
    const result = addressUpdate(
      update({ text: "hi", from: { id: 5, is_bot: true, first_name: "B" } }),
      BOT,
    );

    // Assess
    expect(result).toEqual({ skip: "from_bot" });
  });

  it.each([
    ["without a sender", { from: undefined }],
    ["with a non-numeric message id", { message_id: "ten" }],
    ["with a negative entity offset", { entities: [{ type: "bold", offset: -1, length: 1 }] }],
    ["with a non-string text", { text: 12 }],
    ["without a chat", { chat: undefined }],
  ])("rejects a malformed message %s with a reason", (_what, extra) => {
    // Act
    const result = addressUpdate(update({ text: "hi", ...extra }), BOT);

    // Assess
    expect(result).toMatchObject({ skip: "malformed" });
    expect(isAddressed(result) ? undefined : result.detail).toEqual(expect.any(String));
  });

  it("names the offending field in the reason for a malformed message", () => {
    // Act
    const result = addressUpdate(update({ text: "hi", from: undefined }), BOT);

    // Assess
    expect(result).toMatchObject({ skip: "malformed" });
    expect(isAddressed(result) ? "" : result.detail).toMatch(/\bfrom\b/);
  });
});

describe("app/incoming needsIdentity", () => {
  it("needs the bot identity only for group and supergroup messages", () => {
    expect(needsIdentity(update({ text: "x" }, "group"))).toBe(true);
    expect(needsIdentity(update({ text: "x" }, "supergroup"))).toBe(true);
    expect(needsIdentity(update({ text: "x" }, "private"))).toBe(false);
    expect(needsIdentity(checkUpdate({ update_id: 1 } as Update, 0))).toBe(false);
  });
});
