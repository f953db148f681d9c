import { beforeEach, describe, expect, it } from "@jest/globals";
import { useTestBed } from "../harness/bed.js";
import { lastText, newPerson, type Person, say, sessionItems } from "./support.js";

const REPLY = { content: "It is 42.", thinking: "Six sevens are forty-two." };

describe("/think: reasoning per conversation, sent as Ollama's think", () => {
  const bed = useTestBed({ telegram: { flood: false } });
  beforeEach(() => {
    bed.ollama.reset();
    bed.ollama.setModels(["llama3", "qwen3:8b", "gpt-oss:20b"]);
    for (const model of ["llama3", "qwen3:8b", "gpt-oss:20b"])
      bed.ollama.setReply(model, () => REPLY);
  });

  /** What Ollama was sent as `think` for the last answer. */
  const lastThink = () => bed.ollama.chats().at(-1)?.body.think;

  const onModel = async (who: Person, model: string) => {
    await say(bed, who, `/model ${model}`);
  };

  it("sets a level on a thinking model, sends it, shows it in /status, and turns reasoning off", async () => {
    // Arrange
    const ada = newPerson("Ada");
    await onModel(ada, "qwen3:8b");

    // Act
    await say(bed, ada, "/think high");
    const setHigh = lastText(bed, ada.chat.id);
    await say(bed, ada, "6 x 7?");
    const sentHigh = lastThink();
    await say(bed, ada, "/status");
    const status = lastText(bed, ada.chat.id);
    await say(bed, ada, "/think off");
    await say(bed, ada, "again?");

    // Assess
    expect(setHigh).toBe("✅ Reasoning for this conversation: on, high effort.");
    expect(sentHigh).toBe("high");
    expect(status).toContain("Reasoning (/think): on, high effort");
    expect(lastThink()).toBe(false);
    // Told not to think, the model wrote no reasoning: no reasoning block in the answer.
    const answer = bed.telegram.sentMessages(ada.chat.id).at(-1);
    expect(answer?.rich?.map((b) => b.type)).toEqual(["paragraph"]);
    expect(answer?.text).toBe("It is 42.");
  });

  it("on an Ollama older than 0.17.7 (levels for gpt-oss only), a level on qwen3 is answered with reasoning on, not a 400", async () => {
    // Arrange
    const bo = newPerson("Bo");
    await onModel(bo, "qwen3:8b");
    bed.ollama.levelsOnlyForHarmony = true;

    // Act
    await say(bed, bo, "/think low");
    await say(bed, bo, "6 x 7?");

    // Assess: refused as a level, then asked again with true; the user sees the answer only
    expect(bed.ollama.chats().map((c) => c.body.think)).toEqual(["low", true]);
    expect(lastText(bed, bo.chat.id)).toContain("It is 42.");
  });

  it("leaves think to the model until /think is used, and /think reset goes back to that", async () => {
    // Arrange
    const bob = newPerson("Bob");
    await onModel(bob, "qwen3:8b");

    // Act
    await say(bed, bob, "first");
    const before = bed.ollama.chats().at(-1)?.body;
    await say(bed, bob, "/think on");
    await say(bed, bob, "second");
    const on = lastThink();
    await say(bed, bob, "/think reset");
    await say(bed, bob, "third");

    // Assess
    expect(before).not.toHaveProperty("think");
    expect(on).toBe(true);
    expect(bed.ollama.chats().at(-1)?.body).not.toHaveProperty("think");
    // By default a thinking model reasons: the answer leads, the reasoning folded after it.
    expect(bed.telegram.sentMessages(bob.chat.id).at(-1)?.rich?.at(-1)).toMatchObject({
      type: "details",
    });
  });

  it("refuses /think for a model without the thinking capability, and sends no think", async () => {
    // Arrange
    const cyd = newPerson("Cyd");

    // Act
    await say(bed, cyd, "/think on");
    const refusal = lastText(bed, cyd.chat.id);
    await say(bed, cyd, "hello");
    await say(bed, cyd, "/status");

    // Assess
    expect(refusal).toContain('llama3 doesn\'t reason (Ollama lists no "thinking" capability');
    expect(bed.ollama.chats().at(-1)?.body).not.toHaveProperty("think");
    expect(lastText(bed, cyd.chat.id)).not.toContain("Reasoning");
  });

  it("gives gpt-oss levels only: on is sent as medium, off is refused with a way out", async () => {
    // Arrange
    const dee = newPerson("Dee");
    await onModel(dee, "gpt-oss:20b");

    // Act
    await say(bed, dee, "/think off");
    const refusal = lastText(bed, dee.chat.id);
    await say(bed, dee, "/think on");
    await say(bed, dee, "question");

    // Assess
    expect(refusal).toBe(
      "gpt-oss:20b always reasons (it takes only levels): /think low keeps its reasoning short.",
    );
    expect(lastThink()).toBe("medium");
  });

  it("answers a wrong argument with the usage", async () => {
    // Arrange
    const eve = newPerson("Eve");

    // Act
    await say(bed, eve, "/think hard");

    // Assess
    expect(lastText(bed, eve.chat.id)).toBe(
      "Usage: /think on|off|low|medium|high, or /think reset for the model's default.",
    );
  });

  it("keeps the setting in exports, and an import brings it back", async () => {
    // Arrange
    const fay = newPerson("Fay");
    const gus = newPerson("Gus");
    await onModel(fay, "qwen3:8b");
    await say(bed, fay, ["/think low", "hi"]);

    // Act
    await say(bed, fay, "/export");
    const exported = bed.telegram.documents(fay.chat.id).at(-1);
    bed.telegram.pushDocument(gus.user, gus.chat, {
      fileName: exported?.fileName ?? "x.json",
      content: exported?.content ?? "",
      mimeType: "application/json",
    });
    await say(bed, gus, "/sessions");

    // Assess
    expect(JSON.parse(exported?.content.toString() ?? "{}").parameters.think).toBe("low");
    const [imported] = await sessionItems(bed, gus.user.id);
    expect(imported).toMatchObject({ archive_reason: "imported", think: "low" });
  });
});
