import { beforeAll, describe, expect, it } from "@jest/globals";
import { FakeOllama } from "../harness/fake-ollama.js";
import { lastText, type Person, person, say, useArchiveBed } from "./support.js";

/** A well-formed archive file, as /export writes it, with `overrides` applied. */
function archiveFile(args: {
  endpoint: string;
  options?: Record<string, number>;
  systemPrompt?: string | null;
}): string {
  const ts = "2026-11-01T10:00:00.000Z";
  return JSON.stringify({
    format: "telegram-ollama-chatbot/session",
    version: 1,
    session: {
      id: "20261101T100000Z-aaaaaa",
      model: "llama3",
      status: "closed",
      started_at: ts,
      last_message_at: ts,
      ended_at: ts,
      archived_at: ts,
      archive_reason: "ended",
      ollama_endpoint: args.endpoint,
    },
    user: { id: 1, chat_id: 1, username: null, first_name: null, language_code: null },
    parameters: { system_prompt: args.systemPrompt ?? null, options: args.options ?? {} },
    usage: { prompt_tokens: 0, completion_tokens: 0, total_duration_ms: 0, replies: 1 },
    message_count: 2,
    messages: [
      { seq: 1, role: "user", content: "imported question", timestamp: ts },
      { seq: 2, role: "assistant", content: "imported answer", timestamp: ts },
    ],
  });
}

describe("an imported file is data: it never chooses the server or the settings", () => {
  const bed = useArchiveBed();
  let elsewhere: FakeOllama;
  beforeAll(async () => {
    elsewhere = await FakeOllama.start();
  });
  bed.beforeClose(() => elsewhere.close());

  /** Sends `who` an export file made of `args`, resumes it, and returns what the import said. */
  const importAndResume = async (who: Person, args: Parameters<typeof archiveFile>[0]) => {
    bed.telegram.pushDocument(who.user, who.chat, {
      fileName: "session.json",
      content: archiveFile(args),
    });
    await say(bed, who, "/resume 1");
    bed.ollama.reset();
    return bed.telegram.sentMessages(who.chat.id)[0]?.text ?? "";
  };

  it("a resumed import talks to the configured OLLAMA_URL, and /status probes only that", async () => {
    // Arrange
    const ada = person(9101, "Ada");
    await importAndResume(ada, { endpoint: elsewhere.url });

    // Act
    await say(bed, ada, ["continue please", "/status"]);

    // Assess
    expect(elsewhere.requests()).toEqual([]);
    expect(bed.ollama.chats()).toHaveLength(1);
    expect(bed.ollama.chats()[0]?.body.messages.map((m) => m.content)).toContain(
      "imported question",
    );
    expect(lastText(bed, ada.chat.id)).toContain("reachable");
  });

  it("imported options pass the /set checks: unknown names and out-of-range values are dropped", async () => {
    // Arrange
    const bob = person(9102, "Bob");
    const told = await importAndResume(bob, {
      endpoint: bed.ollama.url,
      options: { temperature: 0.5, top_k: 5000, num_gpu: 99, num_ctx: 100 },
    });

    // Act
    await say(bed, bob, "hello");

    // Assess
    const options = bed.ollama.chats()[0]?.body.options ?? {};
    expect(options.temperature).toBe(0.5);
    expect(options).not.toHaveProperty("top_k");
    expect(options).not.toHaveProperty("num_gpu");
    expect(options.num_ctx).not.toBe(100);
    expect(told).toContain("Ignored settings that /set would not accept: top_k, num_gpu, num_ctx");
  });

  it("imported num_ctx and num_predict above the admin's ceilings are dropped, as /set refuses them", async () => {
    // Arrange
    const dee = person(9104, "Dee");
    const told = await importAndResume(dee, {
      endpoint: bed.ollama.url,
      options: { num_ctx: 131_072, num_predict: 16_384, temperature: 0.2 },
    });

    // Act
    await say(bed, dee, "hello");

    // Assess
    expect(told).toContain("Ignored settings that /set would not accept: num_ctx, num_predict");
    expect(bed.ollama.chats()[0]?.body.options).toMatchObject({
      temperature: 0.2,
      num_ctx: 8192,
      num_predict: 2048,
    });
  });

  it("an import whose system prompt is longer than /system allows is refused", async () => {
    // Arrange
    const cy = person(9103, "Cy");

    // Act
    bed.telegram.pushDocument(cy.user, cy.chat, {
      fileName: "long.json",
      content: archiveFile({ endpoint: bed.ollama.url, systemPrompt: "x".repeat(4001) }),
    });
    await say(bed, cy, "/sessions");

    // Assess
    const [refusal, listing] = bed.telegram.sentMessages(cy.chat.id).map((m) => m.text);
    expect(refusal).toContain("I couldn't import long.json: it is not a valid archive");
    expect(refusal).toContain("system_prompt");
    expect(listing).toBe("You have no conversations yet.");
  });
});
