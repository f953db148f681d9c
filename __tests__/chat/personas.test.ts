import { describe, expect, it } from "@jest/globals";
import { useTestBed } from "../harness/bed.js";
import type { ChatBody } from "../harness/fake-ollama.js";
import {
  conversationOf,
  envWith,
  lastText,
  newPerson,
  type Person,
  say,
  sessionItems,
} from "./support.js";

describe("personas and parameters: /system, /set and /retry", () => {
  const bed = useTestBed({ telegram: { flood: false }, resetOllama: true });

  const activeSession = async (p: Person) => {
    const items = await sessionItems(bed, p.user.id);
    return items.find((i) => i.status === "active");
  };
  const lastChat = (): ChatBody | undefined => bed.ollama.chats().at(-1)?.body;
  /** Sends `text` from `p` in one invoke and returns the bot's last message to them. */
  const replyTo = async (p: Person, text: string) => {
    await say(bed, p, text);
    return lastText(bed, p.chat.id);
  };

  it("sets a system prompt, stores it in the session and sends it first with every request", async () => {
    // Arrange
    const ada = newPerson("Ada");

    // Act
    const confirmation = await replyTo(ada, "/system You are a pirate. Answer in pirate speak.");
    await say(bed, ada, "hello");
    await say(bed, ada, "how are you?");

    // Assess
    expect(confirmation).toContain("System prompt set");
    expect((await activeSession(ada))?.system_prompt).toBe(
      "You are a pirate. Answer in pirate speak.",
    );
    const [first, second] = bed.ollama.chats().map((c) => c.body.messages);
    expect(first?.[0]).toEqual({
      role: "system",
      content: "You are a pirate. Answer in pirate speak.",
    });
    expect(second?.[0]?.role).toBe("system");
    expect(second?.filter((m) => m.role === "system")).toHaveLength(1);
    expect(second?.map((m) => m.content).slice(1)).toEqual([
      "hello",
      "You said: hello",
      "how are you?",
    ]);
  });

  it("shows the system prompt with /system alone, and /system reset clears it everywhere", async () => {
    // Arrange
    const bob = newPerson("Bob");
    await say(bed, bob, "/system Be terse.");

    // Act
    const shown = await replyTo(bob, "/system");
    const cleared = await replyTo(bob, "/system reset");
    const none = await replyTo(bob, "/system");
    await say(bed, bob, "question");

    // Assess
    expect(shown).toContain("System prompt:\nBe terse.");
    expect(cleared).toContain("System prompt cleared");
    expect(none).toContain("No system prompt is set");
    expect((await activeSession(bob))?.system_prompt).toBeUndefined();
    expect(lastChat()?.messages.map((m) => m.role)).toEqual(["user"]);
  });

  it("stores /set temperature, num_ctx and num_predict in the session and sends them in options", async () => {
    // Arrange
    const cyd = newPerson("Cyd");

    // Act
    await say(bed, cyd, "/set temperature 0.3");
    await say(bed, cyd, "/set num_ctx 8192");
    const confirmation = await replyTo(cyd, "/set num_predict 512");
    await say(bed, cyd, "be precise");

    // Assess
    expect(confirmation).toContain("temperature = 0.3, num_ctx = 8192, num_predict = 512");
    expect((await activeSession(cyd))?.options).toEqual({
      temperature: 0.3,
      num_ctx: 8192,
      num_predict: 512,
    });
    expect(lastChat()?.options).toMatchObject({
      temperature: 0.3,
      num_ctx: 8192,
      num_predict: 512,
    });
  });

  it("refuses out-of-range values with the allowed range and keeps the stored options", async () => {
    // Arrange
    const dee = newPerson("Dee");
    await say(bed, dee, "/set temperature 0.7");

    // Act
    const temperature = await replyTo(dee, "/set temperature 5");
    const numCtx = await replyTo(dee, "/set num_ctx 100");
    const numPredict = await replyTo(dee, "/set num_predict 0");
    const fraction = await replyTo(dee, "/set num_ctx 4096.5");
    const unknown = await replyTo(dee, "/set colour blue");

    // Assess
    expect(temperature).toBe(
      "temperature must be a number from 0 to 2 (randomness: 0 = focused, 2 = wild).",
    );
    expect(numCtx).toContain("num_ctx must be a whole number from 256 to 16384");
    expect(numPredict).toContain("num_predict must be a whole number from 1 to 8192");
    expect(fraction).toContain("num_ctx must be a whole number from 256 to 16384");
    expect(unknown).toContain("Parameters: temperature, num_ctx, num_predict");
    expect((await activeSession(dee))?.options).toEqual({ temperature: 0.7 });
  });

  it("holds num_ctx and num_predict to the admin's ceilings, naming them, in /set and in every request", async () => {
    // Arrange: a session set under higher ceilings, which the admin then lowers to the defaults
    const fay = newPerson("Fay");
    const generous = envWith(bed, { OLLAMA_MAX_NUM_CTX: "65536", OLLAMA_MAX_NUM_PREDICT: "16384" });
    await say(bed, fay, ["/set num_ctx 65536", "/set num_predict 16000"], generous);
    const allowed = lastText(bed, fay.chat.id);

    // Act
    const refusedCtx = await replyTo(fay, "/set num_ctx 131072");
    const refusedPredict = await replyTo(fay, "/set num_predict 8193");
    const listing = await replyTo(fay, "/set");
    await say(bed, fay, "a long one please");

    // Assess
    expect(allowed).toContain("num_ctx = 65536, num_predict = 16000");
    expect(refusedCtx).toBe(
      "num_ctx must be a whole number from 256 to 16384 (context window in tokens). 16384 is this bot's ceiling, set by its admin (OLLAMA_MAX_NUM_CTX).",
    );
    expect(refusedPredict).toBe(
      "num_predict must be a whole number from 1 to 8192 (longest answer in tokens). 8192 is this bot's ceiling, set by its admin (OLLAMA_MAX_NUM_PREDICT).",
    );
    expect(listing).toContain("num_ctx: 256–16384, context window in tokens");
    expect(listing).toContain("num_predict: 1–8192, longest answer in tokens");
    expect(lastChat()?.options).toMatchObject({ num_ctx: 16_384, num_predict: 8_192 });
  });

  it("regenerates the last answer with /retry: same user message once, without the old answer", async () => {
    // Arrange
    const eve = newPerson("Eve");
    let n = 0;
    bed.ollama.setReply("llama3", () => `Joke number ${++n}`);
    await say(bed, eve, "what is 2+2?");
    await say(bed, eve, "tell me a joke");

    // Act
    await say(bed, eve, "/retry");
    const retried = lastChat();
    const shown = lastText(bed, eve.chat.id);
    await say(bed, eve, "another one");

    // Assess
    expect(retried?.messages.map((m) => m.content)).toEqual([
      "what is 2+2?",
      "Joke number 1",
      "tell me a joke",
    ]);
    expect(shown).toBe("Joke number 3");
    const stored = conversationOf((await activeSession(eve)) ?? {});
    expect(stored.map((m) => `${m.role}: ${m.content}`)).toEqual([
      "user: what is 2+2?",
      "assistant: Joke number 1",
      "user: tell me a joke",
      "assistant: Joke number 2",
      "assistant: Joke number 3",
      "user: another one",
      "assistant: Joke number 4",
    ]);
    expect(lastChat()?.messages.map((m) => m.content)).toEqual([
      "what is 2+2?",
      "Joke number 1",
      "tell me a joke",
      "Joke number 3",
      "another one",
    ]);
  });

  it("answers with /retry after the model failed, without sending the failed message twice", async () => {
    // Arrange
    const fay = newPerson("Fay");
    bed.ollama.failNext({
      kind: "status",
      status: 500,
      error: "llama runner process has terminated",
    });
    const failure = await replyTo(fay, "summarise this");

    // Act
    await say(bed, fay, "/retry");
    const retried = lastChat();
    await say(bed, fay, "thanks");

    // Assess
    expect(failure).toContain("The Ollama server failed");
    expect(retried?.messages.map((m) => m.content)).toEqual(["summarise this"]);
    expect(lastText(bed, fay.chat.id)).toBe("You said: thanks");
    expect(lastChat()?.messages.map((m) => m.content)).toEqual([
      "summarise this",
      "You said: summarise this",
      "thanks",
    ]);
  });

  it("tells the user there is nothing to retry in an empty conversation", async () => {
    // Arrange
    const gus = newPerson("Gus");

    // Act
    await say(bed, gus, "/retry");

    // Assess
    expect(lastText(bed, gus.chat.id)).toContain("nothing to retry");
    expect(bed.ollama.chats()).toHaveLength(0);
  });
});
