import { describe, expect, it } from "@jest/globals";
import { envWith, invoke, newPerson, say, textsTo } from "../chat/support.js";
import { useTestBed } from "../harness/bed.js";
import type { FakeOllama } from "../harness/fake-ollama.js";
import { buttonShown, repliesTo, waitFor } from "../harness/people.js";
import { ollamaUrl, useServers } from "./support.js";

/** How replies name a fake server: its public host and port. */
const host = (s: FakeOllama | undefined) => (s ? new URL(s.url).host : "?");

/**
 * /models, /status and /pull with three servers in OLLAMA_URL, through the
 * built bundle: each covers every server, naming each by its public host.
 */
describe("/models, /status and /pull cover every Ollama server", () => {
  const bed = useTestBed({ telegram: { flood: false } });
  const servers = useServers(bed, 2);
  const admin = newPerson("Admin");
  const env = () =>
    envWith(bed, {
      OLLAMA_URL: ollamaUrl(servers()),
      ADMIN_USER_IDS: String(admin.user.id),
    });

  it("/models lists each model once with the servers that have it, and names a server that does not answer", async () => {
    // Arrange
    const [a, b, c] = servers();
    a?.setModels(["llama3", "mistral"]);
    b?.setModels(["llama3", "llava"]);
    await c?.stop();
    const ana = newPerson("Ana");

    // Act
    await say(bed, ana, "/models", env());

    // Assess
    const [list] = repliesTo(bed, ana);
    const lines = list?.split("\n") ?? [];
    expect(lines.filter((l) => l.includes("llama3"))).toEqual([
      `✅ llama3 · 8.0B · 4.7 GB · text only · on ${host(a)}, ${host(b)}`,
    ]);
    expect(lines).toContain(`▫️ mistral · 8.0B · 4.7 GB · text only · on ${host(a)}`);
    expect(lines).toContain(`▫️ llava · 8.0B · 4.7 GB · vision · on ${host(b)}`);
    expect(lines.at(-1)).toBe(`⚠️ Not reachable now, so their models are not listed: ${host(c)}`);
  });

  it("/status shows each server by its host: reachable or not, its models, the answers in flight to it", async () => {
    // Arrange: Bo's answer streams from a while Cy asks for the status
    const [a, b, c] = servers();
    a?.setModels(["llama3"]);
    b?.setModels(["mistral", "phi3"]);
    await c?.stop();
    const [bo, cy] = [newPerson("Bo"), newPerson("Cy")];
    const held = a?.holdAfterFirstChunk(() => true);
    bed.telegram.pushText(bo.user, bo.chat, "tell me something long enough to stream");
    const running = invoke(bed, env());
    await waitFor(() => a?.chats()[0]?.firstChunkAt !== undefined, 20_000, "Bo's answer");

    // Act
    bed.telegram.pushText(cy.user, cy.chat, "/status");
    await waitFor(() => repliesTo(bed, cy).length > 0, 20_000, "Cy's status");
    held?.release();
    await running;

    // Assess
    const status = repliesTo(bed, cy)[0]?.split("\n") ?? [];
    expect(status.slice(0, 4)).toEqual([
      "Ollama servers:",
      `• ${host(a)}: ✅ reachable (1 model: llama3), 1 answer in flight`,
      `• ${host(b)}: ✅ reachable (2 models: mistral, phi3), 0 answers in flight`,
      expect.stringMatching(
        new RegExp(
          `^• ${host(c)}: ❌ not reachable \\(Ollama unreachable: .+\\), 0 answers in flight$`,
        ),
      ),
    ]);
    expect(status[4]).toBe("Model: llama3");
  });

  it("/pull pulls onto every server that answers and lacks the model, a line of progress each, and says which", async () => {
    // Arrange
    const [a, b, c] = servers();
    a?.setModels(["llama3"]);
    b?.setModels(["llama3"]);
    c?.setModels(["llama3", "gemma3"]);
    for (const s of [a, b]) if (s) s.pullDelayMs = 300;

    // Act
    await say(bed, admin, "/pull gemma3", env());

    // Assess
    const shown = [
      ...bed.telegram.requests("sendMessage"),
      ...bed.telegram.requests("editMessageText"),
    ]
      .filter((r) => Number(r.params.chat_id) === admin.chat.id && r.status === 200)
      .map((r) => String(r.params.text));
    expect(shown).toContainEqual(
      expect.stringMatching(
        new RegExp(`^⬇️ Pulling gemma3:\\n• ${host(a)}: \\d+% \\(.+\\)\\n• ${host(b)}: \\d+% \\(`),
      ),
    );
    expect(textsTo(bed, admin.chat.id).at(-1)).toBe(
      `✅ Pulled gemma3 onto ${host(a)}, ${host(b)}. Switch to it with /model gemma3.`,
    );
    expect([a, b, c].map((s) => s?.installed().includes("gemma3:latest"))).toEqual([
      true,
      true,
      true,
    ]);
    expect(c?.pulls()).toEqual([]);
  });

  it("/pull's one Cancel stops the download on every server", async () => {
    // Arrange
    const [a, b, c] = servers();
    for (const s of [a, b, c]) {
      s?.setModels(["llama3"]);
      s?.addToLibrary("slow-model", 9_000_000_000);
      if (s) {
        s.pullSteps = 400;
        s.pullDelayMs = 100; // forty seconds unless cancelled
      }
    }
    bed.telegram.pushText(admin.user, admin.chat, "/pull slow-model");
    const running = invoke(bed, env());
    const cancel = await buttonShown(bed, admin.chat.id, "pull:", "the Cancel button");
    await waitFor(
      () => [a, b, c].every((s) => (s?.pulls().length ?? 0) > 0),
      20_000,
      "a pull on every server",
    );

    // Act
    bed.telegram.pushPress(admin.user, admin.chat, cancel.messageId, cancel.data);
    await running;

    // Assess
    expect([a, b, c].map((s) => s?.pulls()[0]?.cancelledAt !== undefined)).toEqual([
      true,
      true,
      true,
    ]);
    expect([a, b, c].some((s) => s?.installed().includes("slow-model:latest"))).toBe(false);
    expect(textsTo(bed, admin.chat.id).at(-1)).toBe(
      "⏹ Download of slow-model cancelled. Send /pull slow-model again to continue: Ollama keeps what it downloaded.",
    );
  });

  it("/pull of a model every server already has says so instead of pulling", async () => {
    // Arrange
    const [a, b, c] = servers();
    for (const s of [a, b]) s?.setModels(["llama3", "gemma3"]);
    await c?.stop();

    // Act
    await say(bed, admin, "/pull gemma3", env());

    // Assess
    expect(textsTo(bed, admin.chat.id).at(-1)).toBe(
      `✅ gemma3 is already on every Ollama server I can reach (${host(a)}, ${host(b)}); not reachable now: ${host(c)}. Switch to it with /model gemma3.`,
    );
    expect([a, b].flatMap((s) => s?.pulls() ?? [])).toEqual([]);
  });
});
