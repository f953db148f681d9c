import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { startTestBed, type TestBed } from "../harness/bed.js";
import { conversationOf, invoke, newPerson, sessionItems, texts } from "./support.js";

/** A model that never stops: far past what the bot stores. */
const RUNAWAY = 150_000;

describe("bounded answers: a runaway answer cannot wedge a conversation", () => {
  let bed: TestBed;
  beforeAll(async () => {
    bed = await startTestBed({ telegram: { flood: false } });
  });
  afterAll(async () => {
    await bed.close();
  });

  it("sends a default num_predict, and a session's own value wins", async () => {
    // Arrange
    const ada = newPerson("Ada");
    bed.ollama.reset();
    bed.telegram.pushText(ada.user, ada.chat, "hi");
    bed.telegram.pushText(ada.user, ada.chat, "/set num_predict 64");
    bed.telegram.pushText(ada.user, ada.chat, "again");

    // Act
    await invoke(bed);

    // Assess
    const [first, second] = bed.ollama.chats().map((r) => r.body.options?.num_predict);
    expect(first).toBe(2048);
    expect(second).toBe(64);
  });

  it("after a 150,000-character answer the next message, /export, re-import, /new and /end all work", async () => {
    // Arrange
    const bob = newPerson("Bob");
    bed.ollama.reset();
    bed.ollama.setReply("llama3", (body) =>
      body.messages.at(-1)?.content === "go on and on" ? "z".repeat(RUNAWAY) : "short answer",
    );
    bed.telegram.pushText(bob.user, bob.chat, "go on and on");
    await invoke(bed);

    // Act
    bed.telegram.pushText(bob.user, bob.chat, "and now?");
    bed.telegram.pushText(bob.user, bob.chat, "/export");
    await invoke(bed);
    const [exported] = bed.telegram.documents(bob.chat.id);
    bed.telegram.pushDocument(bob.user, bob.chat, {
      fileName: exported?.fileName ?? "none.json",
      content: exported?.content ?? "",
    });
    bed.telegram.pushText(bob.user, bob.chat, "/new");
    bed.telegram.pushText(bob.user, bob.chat, "fresh start");
    bed.telegram.pushText(bob.user, bob.chat, "/end");
    bed.telegram.pushText(bob.user, bob.chat, "/resume 2");
    await invoke(bed);

    // Assess
    const shown = texts(bed, bob.chat.id);
    const runaway = shown.filter((t) => t.includes("zzzz")).join("");
    expect(runaway.length).toBeLessThanOrEqual(20_000);
    expect(shown.join("\n")).toContain("the answer was cut here");
    expect(shown).toContain("short answer");
    expect(
      shown.some((t) => t.startsWith("📥 Imported a llama3 conversation with 4 messages")),
    ).toBe(true);
    expect(shown.some((t) => t.startsWith("🆕 New conversation"))).toBe(true);
    expect(shown.some((t) => t.startsWith("📦 Conversation ended and archived (2 messages)"))).toBe(
      true,
    );
    expect(shown.some((t) => t.startsWith("▶️ Resumed your llama3 conversation"))).toBe(true);
    const stored = (await sessionItems(bed, bob.user.id)).flatMap(conversationOf);
    expect(Math.max(...stored.map((m) => m.content.length))).toBeLessThanOrEqual(20_000);
  });
});
