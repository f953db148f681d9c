import { describe, expect, it } from "@jest/globals";
import { coldStart } from "../harness/lambda.js";
import { useFaultBed } from "./fault-bed.js";
import {
  ledgerItem,
  person,
  poll,
  repliesTo,
  storedConversation,
  type UrlResponse,
  userItems,
} from "./support.js";

const SECRET = "allowlist-suite-secret-9876543210";

describe("faults: a stranger writes to a private bot (ALLOWED_USER_IDS)", () => {
  const owner = person("Owner");
  const friend = person("Friend");
  const { bed, guard } = useFaultBed({
    env: {
      ALLOWED_USER_IDS: `${owner.user.id}, ${friend.user.id}`,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
    },
  });

  it("allowlist: a stranger gets one polite refusal for a burst of messages; nothing reaches Ollama or the table; allowed users are served", async () => {
    // Arrange
    const stranger = person("Mallory");
    bed.telegram.pushText(stranger.user, stranger.chat, "hi, can I use you?");
    bed.telegram.pushText(owner.user, owner.chat, "owner here");
    bed.telegram.pushText(stranger.user, stranger.chat, "/start");
    bed.telegram.pushText(stranger.user, stranger.chat, "please?");
    bed.telegram.pushText(friend.user, friend.chat, "friend here");

    // Act
    const summary = await poll(bed, guard);

    // Assert
    expect(summary).toMatchObject({ status: "ok", updates: 5, failed: 0 });
    const refusals = repliesTo(bed, stranger);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatch(/^Sorry, this is a private bot/);
    expect(refusals[0]).toContain("Ask its owner to add your Telegram user id");
    const asked = bed.ollama.chats().flatMap((r) => r.body.messages.map((m) => m.content));
    expect(asked).toEqual(["owner here", "friend here"]);
    expect(await userItems(bed, stranger.user.id)).toEqual([]);
    expect(repliesTo(bed, owner)).toEqual(["You said: owner here"]);
    expect(repliesTo(bed, friend)).toEqual(["You said: friend here"]);
    expect((await storedConversation(bed, owner.user.id)).map((m) => m.content)).toEqual([
      "owner here",
      "You said: owner here",
    ]);
  });

  it("allowlist over the webhook: the stranger is refused once, nothing reaches Ollama or their part of the table", async () => {
    // Arrange
    const stranger = person("Trudy");
    const chatsBefore = bed.ollama.chats().length;
    const update = {
      update_id: 900_001,
      message: {
        message_id: 1,
        date: Math.floor(Date.now() / 1000),
        from: { ...stranger.user, is_bot: false },
        chat: stranger.chat,
        text: "let me in via the webhook",
      },
    };
    const request = {
      headers: { "x-telegram-bot-api-secret-token": SECRET },
      requestContext: { http: { method: "POST" } },
      body: JSON.stringify(update),
      isBase64Encoded: false,
    };

    // Act
    const response = await coldStart(bed.env).invoke<UrlResponse>(request);
    guard.record(response);

    // Assert
    expect(response.statusCode).toBe(200);
    expect(repliesTo(bed, stranger)).toEqual([
      expect.stringMatching(/^Sorry, this is a private bot/),
    ]);
    expect(bed.ollama.chats()).toHaveLength(chatsBefore);
    expect(await userItems(bed, stranger.user.id)).toEqual([]);
    // The bot's own bookkeeping (the webhook ledger) records the refused update as answered.
    expect(await ledgerItem(bed, stranger, update.update_id)).toMatchObject({ status: "done" });
  });
});
