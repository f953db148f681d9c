import { describe, expect, it } from "@jest/globals";
import { useTestBed } from "../harness/bed.js";
import { conversationOf, invoke, newPerson, sessionItems, textsTo } from "./support.js";

/** A model that never stops: far past what the bot stores. */
const RUNAWAY = 150_000;

describe("bounded answers: a runaway answer cannot wedge a conversation", () => {
  const bed = useTestBed({ telegram: { flood: false } });

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
    const shown = textsTo(bed, bob.chat.id);
    const runaway = shown.filter((t) => t.includes("zzzz")).join("");
    expect(runaway.length).toBeLessThanOrEqual(20_000);
    expect(shown.join("\n")).toContain("the answer was cut here");
    expect(shown).toContain("short answer");
    expect(
      shown.some((t) => t.startsWith("📥 Imported a conversation with llama3 (4 messages)")),
    ).toBe(true);
    expect(shown.some((t) => t.startsWith("🆕 New conversation"))).toBe(true);
    expect(shown.some((t) => t.startsWith("📦 Conversation ended and archived (2 messages)"))).toBe(
      true,
    );
    expect(shown.some((t) => t.startsWith("▶️ Resumed your llama3 conversation"))).toBe(true);
    const stored = (await sessionItems(bed, bob.user.id)).flatMap(conversationOf);
    expect(Math.max(...stored.map((m) => m.content.length))).toBeLessThanOrEqual(20_000);
  });

  it("an answer Ollama stopped at num_predict (done_reason length) is marked cut off in the chat, the stored conversation and the export", async () => {
    // Arrange: the model stops after its first chunk (16 characters) because num_predict ran out.
    const cy = newPerson("Cy");
    bed.ollama.reset();
    bed.ollama.failNext({ kind: "length", afterChunks: 1 });
    bed.telegram.pushText(cy.user, cy.chat, "tell me a long story");

    // Act
    await invoke(bed);
    bed.telegram.pushText(cy.user, cy.chat, "/export");
    await invoke(bed);

    // Assess
    expect(textsTo(bed, cy.chat.id)[0]).toBe(
      "You said: tell m\n\n✂️ Cut off: the answer reached the length limit (2048 tokens). Ask me to continue, or raise the limit with /set num_predict.",
    );
    const stored = (await sessionItems(bed, cy.user.id)).flatMap(conversationOf);
    expect(stored.map((m) => [m.role, m.content, (m as { cut_off?: string }).cut_off])).toEqual([
      ["user", "tell me a long story", undefined],
      ["assistant", "You said: tell m", "length"],
    ]);
    const [exported] = bed.telegram.documents(cy.chat.id);
    const doc = JSON.parse(exported?.content.toString("utf8") ?? "{}") as {
      messages?: { role: string; cut_off?: string }[];
    };
    expect(doc.messages?.map((m) => [m.role, m.cut_off])).toEqual([
      ["user", undefined],
      ["assistant", "length"],
    ]);
  });

  it("a complete answer (done_reason stop) carries no cut-off mark", async () => {
    // Arrange
    const di = newPerson("Di");
    bed.ollama.reset();
    bed.telegram.pushText(di.user, di.chat, "short one");

    // Act
    await invoke(bed);

    // Assess
    expect(textsTo(bed, di.chat.id)).toEqual(["You said: short one"]);
    const stored = (await sessionItems(bed, di.user.id)).flatMap(conversationOf);
    expect(stored.map((m) => (m as { cut_off?: string }).cut_off)).toEqual([undefined, undefined]);
  });
});
