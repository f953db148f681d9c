import { beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { useTestBed } from "../harness/bed.js";
import { envWith, newPerson, OllamaProxy, say, sessionItems, textsTo } from "./support.js";

const TRIM_WARNING = "longer than the model's context";

/** A user message of about 60 tokens, numbered. */
const longMessage = (n: number): string => `Message ${n}: ${"some context words ".repeat(11)}`;

describe("context budget: the history sent to the model fits num_ctx", () => {
  const bed = useTestBed({ telegram: { flood: false } });
  /** Reports a prompt that filled the whole context, as Ollama does after truncating silently. */
  let truncating: OllamaProxy;
  beforeAll(async () => {
    truncating = await OllamaProxy.start(bed.ollama.url, {
      line: (line, request) =>
        line.done === true ? { ...line, prompt_eval_count: request.options?.num_ctx ?? 0 } : line,
    });
  });
  bed.beforeClose(async () => {
    await truncating.close();
  });
  beforeEach(() => {
    bed.ollama.reset();
  });

  it("drops the oldest turns first, always keeps the system prompt, and warns the user once", async () => {
    // Arrange
    const ada = newPerson("Ada");
    const env = envWith(bed, { OLLAMA_NUM_CTX: "512" });
    await say(bed, ada, "/system You are a careful assistant.", env);

    // Act
    for (let n = 1; n <= 6; n++) await say(bed, ada, longMessage(n), env);

    // Assess
    const last = bed.ollama.chats().at(-1)?.body;
    const contents = last?.messages.map((m) => m.content) ?? [];
    expect(last?.messages[0]).toEqual({
      role: "system",
      content: "You are a careful assistant.",
    });
    expect(contents.at(-1)).toBe(longMessage(6));
    expect(contents.some((c) => c.includes("Message 1:"))).toBe(false);
    expect(contents.length).toBeLessThan(12); // not the whole history
    expect(last?.options?.num_ctx).toBe(512);
    const warnings = textsTo(bed, ada.chat.id).filter((t) => t.includes(TRIM_WARNING));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("(512 tokens)");
    const [session] = await sessionItems(bed, ada.user.id);
    expect(session?.context_trim_warned).toBe(true);
  });

  it("keeps the latest whole turns in order when trimming: no gaps, no answer without its question", async () => {
    // Arrange
    const bob = newPerson("Bob");
    const env = envWith(bed, { OLLAMA_NUM_CTX: "600" });

    // Act
    for (let n = 1; n <= 5; n++) await say(bed, bob, longMessage(n), env);

    // Assess, with the budget worked out by hand from the documented estimate (⌈chars / 3.5⌉ + 4):
    // a question is 209 characters (64 tokens), its echoed answer (trailing space trimmed) 218
    // (67 tokens). num_ctx 600
    // keeps 150 for the answer (a quarter) and 64 for the new question: 386 for history. From
    // the newest back: answer 4 (67), question 4 (64), answer 3 (67), question 3 (64) = 262;
    // answer 2 (67) still fits (329), question 2 (64) does not (393), and an answer cannot
    // stay without its question, so answer 2 goes too.
    const sent = bed.ollama.chats().at(-1)?.body.messages ?? [];
    expect(sent.map((m) => [m.role, m.content])).toEqual([
      ["user", longMessage(3)],
      ["assistant", `You said: ${longMessage(3).trimEnd()}`],
      ["user", longMessage(4)],
      ["assistant", `You said: ${longMessage(4).trimEnd()}`],
      ["user", longMessage(5)],
    ]);
  });

  it("sends at most CONTEXT_MESSAGES of history, with num_ctx set explicitly", async () => {
    // Arrange
    const cyd = newPerson("Cyd");
    const env = envWith(bed, { CONTEXT_MESSAGES: "4", OLLAMA_NUM_CTX: "4096" });

    // Act
    for (let n = 1; n <= 5; n++) await say(bed, cyd, `short ${n}`, env);

    // Assess
    const last = bed.ollama.chats().at(-1)?.body;
    expect(last?.messages.map((m) => m.content)).toEqual([
      "short 3",
      "You said: short 3",
      "short 4",
      "You said: short 4",
      "short 5",
    ]);
    expect(last?.options?.num_ctx).toBe(4096);
    const [session] = await sessionItems(bed, cyd.user.id);
    expect(session?.message_count).toBe(10); // everything is still stored
  });

  it("warns once when Ollama's prompt_eval_count shows the prompt filled the context", async () => {
    // Arrange
    const dee = newPerson("Dee");
    const env = envWith(bed, { OLLAMA_URL: truncating.url, OLLAMA_NUM_CTX: "2048" });

    // Act
    await say(bed, dee, "first question", env);
    await say(bed, dee, "second question", env);
    await say(bed, dee, "third question", env);

    // Assess
    const shown = textsTo(bed, dee.chat.id);
    expect(shown.filter((t) => t.includes(TRIM_WARNING))).toHaveLength(1);
    expect(shown.filter((t) => t.startsWith("You said:"))).toHaveLength(3);
    expect(shown.findIndex((t) => t.includes(TRIM_WARNING))).toBe(1); // right after the first answer
  });

  it("does not warn while the conversation fits", async () => {
    // Arrange
    const eve = newPerson("Eve");

    // Act
    for (let n = 1; n <= 3; n++) await say(bed, eve, `hello ${n}`);

    // Assess
    expect(textsTo(bed, eve.chat.id).filter((t) => t.includes(TRIM_WARNING))).toEqual([]);
    expect(bed.ollama.chats().at(-1)?.body.messages).toHaveLength(5);
  });
});
