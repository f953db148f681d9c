import { describe, expect, it } from "@jest/globals";
import { useTestBed } from "../harness/bed.js";
import { putUsageItem, storesTurn } from "../harness/items.js";
import {
  conversationOf,
  envWith,
  invoke,
  lastText,
  newPerson,
  say,
  sessionItems,
  textsTo,
} from "./support.js";

describe("a new session is stored by its first message", () => {
  const bed = useTestBed({ telegram: { flood: false }, resetOllama: true });

  /** The session writes for `userId` since request `from`: each PutItem and append, in order. */
  const sessionWrites = (userId: number, from: number) =>
    bed.aws
      .dynamoRequests()
      .slice(from)
      .filter(
        (c) =>
          (c.operation === "PutItem" || c.operation === "UpdateItem") &&
          c.body.includes(`"USER#${userId}"`) &&
          c.body.includes('"MODEL#'),
      )
      .map((c) => `${c.operation}${storesTurn(c.operation, c.body) ? " with the turn" : ""}`);

  /** Stores a usage item saying the user sent 1 message today (the limit, in these tests). */
  const atLimit = (userId: number) =>
    putUsageItem(bed, userId, {
      day: new Date().toISOString().slice(0, 10),
      dayMessages: 1,
      dayTokens: 10,
      messages: 1,
      tokens: 10,
    });

  it("creates the session and stores the first turn in one PutItem; later turns append", async () => {
    // Arrange
    const ada = newPerson("Ada");
    const before = bed.aws.dynamoRequests().length;

    // Act
    await say(bed, ada, "hello");
    await say(bed, ada, "again");

    // Assess
    expect(sessionWrites(ada.user.id, before)).toEqual([
      "PutItem with the turn",
      "UpdateItem with the turn",
    ]);
    const [session] = await sessionItems(bed, ada.user.id);
    expect(conversationOf(session).map((m) => m.content)).toEqual([
      "hello",
      "You said: hello",
      "again",
      "You said: again",
    ]);
    expect(session).toMatchObject({ status: "active", message_count: 4, replies: 2 });
  });

  it("stores the session when a command needs it, after a first message that was refused (nothing to store)", async () => {
    // Arrange: the user is at today's message limit, so their first message is refused
    const bo = newPerson("Bo");
    await atLimit(bo.user.id);
    const env = envWith(bed, { DAILY_MESSAGE_LIMIT: "1" });
    bed.telegram.pushText(bo.user, bo.chat, "hi");
    bed.telegram.pushText(bo.user, bo.chat, "/system Be brief.");

    // Act: both in one invoke, so the refused message's session is still in memory
    await invoke(bed, env);

    // Assess
    expect(bed.ollama.chats()).toHaveLength(0);
    expect(textsTo(bed, bo.chat.id)[0]).toContain("today's limit of 1 message");
    expect(lastText(bed, bo.chat.id)).toContain("System prompt set");
    const [session] = await sessionItems(bed, bo.user.id);
    expect(session).toMatchObject({
      status: "active",
      system_prompt: "Be brief.",
      message_count: 0,
    });
  });

  it("writes nothing for a user's messages refused by a daily limit: no profile, no session", async () => {
    // Arrange: a user at today's limit who has no session
    const cy = newPerson("Cy");
    await atLimit(cy.user.id);
    const env = envWith(bed, { DAILY_MESSAGE_LIMIT: "1" });
    const before = bed.aws.dynamoRequests().length;

    // Act: two messages, in two invokes
    await say(bed, cy, "anyone?", env);
    await say(bed, cy, "still there?", env);

    // Assess
    expect(textsTo(bed, cy.chat.id)).toHaveLength(2);
    const writes = bed.aws
      .dynamoRequests()
      .slice(before)
      .filter(
        (c) =>
          ["PutItem", "UpdateItem"].includes(c.operation) &&
          c.body.includes(`"USER#${cy.user.id}"`),
      );
    expect(writes).toEqual([]);
    expect(await sessionItems(bed, cy.user.id)).toEqual([]);
  });
});
