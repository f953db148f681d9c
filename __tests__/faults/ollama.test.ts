import { describe, expect, it } from "@jest/globals";
import type { OllamaFault } from "../harness/fake-ollama.js";
import { useFaultBed } from "./fault-bed.js";
import {
  type Person,
  person,
  poll,
  repliesTo,
  type StoredMessage,
  storedConversation,
} from "./support.js";

describe("faults: Ollama down, refusing, hanging or breaking mid-answer", () => {
  const { bed, guard } = useFaultBed({ resetOllama: true });

  /** Sends a failing message and a follow-up in one batch. */
  const failThenFollowUp = async (
    who: Person,
    fault: OllamaFault,
    options: { timeoutMs?: number; env?: Record<string, string> } = {},
  ) => {
    bed.telegram.pushText(who.user, who.chat, "the question that fails");
    bed.telegram.pushText(who.user, who.chat, "the follow-up");
    bed.ollama.failNext(fault);
    const summary = await poll(bed, guard, options);
    return { summary };
  };

  /** Both user messages stored, the first marked with the failure, the follow-up answered. */
  const expectStored = (stored: StoredMessage[], kind: string) => {
    expect(stored.map((m) => [m.role, m.content, m.failed])).toEqual([
      ["user", "the question that fails", kind],
      ["user", "the follow-up", undefined],
      ["assistant", "You said: the follow-up", undefined],
    ]);
  };

  it("Ollama down: the user is told it is unreachable, the message is kept, the next update is served", async () => {
    // Arrange
    const ada = person("Ada");
    bed.telegram.pushText(ada.user, ada.chat, "the question that fails");
    await bed.ollama.stop();

    // Act
    const down = await poll(bed, guard);
    await bed.ollama.start();
    bed.telegram.pushText(ada.user, ada.chat, "the follow-up");
    const up = await poll(bed, guard);

    // Assert
    expect(down).toMatchObject({ handled: 1, failed: 0 });
    expect(up).toMatchObject({ handled: 1, failed: 0 });
    const replies = repliesTo(bed, ada);
    expect(replies).toHaveLength(2);
    expect(replies[0]).toContain(`I can't reach the Ollama server at ${bed.ollama.url}`);
    expect(replies[0]).toContain("Your message is saved");
    expect(replies[1]).toBe("You said: the follow-up");
    expectStored(await storedConversation(bed, ada.user.id), "unreachable");
  });

  it("Ollama 404 (model not pulled): the reply says how to pull it, the message is kept, the next update is served", async () => {
    // Arrange
    const bob = person("Bob");

    // Act
    const { summary } = await failThenFollowUp(bob, {
      kind: "status",
      status: 404,
      error: 'model "llama3" not found, try pulling it first',
    });

    // Assert
    expect(summary).toMatchObject({ handled: 2, failed: 0 });
    const [failed, answer, ...rest] = repliesTo(bed, bob);
    expect(failed).toContain('The model "llama3" is not installed');
    expect(failed).toContain("ollama pull llama3");
    expect(answer).toBe("You said: the follow-up");
    expect(rest).toEqual([]);
    expectStored(await storedConversation(bed, bob.user.id), "not_found");
  });

  it("Ollama 503 (busy): the reply says to try again shortly, the message is kept, the next update is served", async () => {
    // Arrange
    const carol = person("Carol");

    // Act
    const { summary } = await failThenFollowUp(carol, {
      kind: "status",
      status: 503,
      error: "server busy, please try again. maximum pending requests exceeded",
    });

    // Assert
    expect(summary).toMatchObject({ handled: 2, failed: 0 });
    const [failed, answer, ...rest] = repliesTo(bed, carol);
    expect(failed).toContain("The Ollama server is busy");
    expect(answer).toBe("You said: the follow-up");
    expect(rest).toEqual([]);
    expectStored(await storedConversation(bed, carol.user.id), "busy");
  });

  it("Ollama hangs: the call is cut off before the Lambda timeout, the user is told, the message is kept, the next update is served", async () => {
    // Arrange
    const dave = person("Dave");
    const timeoutMs = 21_000;

    // Act
    const { summary } = await failThenFollowUp(dave, { kind: "hang" }, { timeoutMs });

    // Assert: the hang never ends by itself, so an answered invoke means the call was cut off.
    expect(summary).toMatchObject({ handled: 1, failed: 0, deferred: 1 });
    expect(repliesTo(bed, dave)).toEqual([expect.stringContaining("took too long to answer")]);
    const stored = await storedConversation(bed, dave.user.id);
    expect(stored.map((m) => [m.role, m.content, m.failed])).toEqual([
      ["user", "the question that fails", "timeout"],
    ]);
    const next = await poll(bed, guard);
    expect(next).toMatchObject({ handled: 1, failed: 0 });
    expect(repliesTo(bed, dave).at(-1)).toBe("You said: the follow-up");
    expectStored(await storedConversation(bed, dave.user.id), "timeout");
  });

  it("Ollama error mid-stream: the partial answer is followed by the error, the message is kept, the next update is served", async () => {
    // Arrange
    const erin = person("Erin");

    // Act
    const { summary } = await failThenFollowUp(erin, {
      kind: "midstream",
      error: "llama runner process has terminated: signal: killed",
      afterChunks: 1,
    });

    // Assert: the first chunk (16 characters) stays in the chat, then the error, then the follow-up.
    expect(summary).toMatchObject({ handled: 2, failed: 0 });
    expect(repliesTo(bed, erin)).toEqual([
      "You said: the qu",
      expect.stringContaining(
        "stopped with an error mid-answer: llama runner process has terminated",
      ),
      "You said: the follow-up",
    ]);
    expectStored(await storedConversation(bed, erin.user.id), "stream_error");
  });

  it("NDJSON split at arbitrary byte boundaries (inside multi-byte characters too): the answer arrives intact", async () => {
    // Arrange: 3-byte pieces cut most 2- and 4-byte characters in two.
    const gus = person("Gus");
    const answer = "Привет, мир! 👋🏽 Ünïcödé — ✓ ça va? 日本語のテキスト";
    bed.ollama.setReply("llama3", () => answer);
    bed.ollama.fragmentBytes = 3;
    bed.telegram.pushText(gus.user, gus.chat, "say something in many scripts");

    // Act
    const summary = await poll(bed, guard);

    // Assert
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    expect(repliesTo(bed, gus)).toEqual([answer]);
    const stored = await storedConversation(bed, gus.user.id);
    expect(stored.map((m) => [m.role, m.content, m.failed])).toEqual([
      ["user", "say something in many scripts", undefined],
      ["assistant", answer, undefined],
    ]);
  });

  it("Ollama stalls after the first tokens: given up after the stall limit, the partial answer stays, the user is told, the message is kept", async () => {
    // Arrange
    const hal = person("Hal");

    // Act
    const { summary } = await failThenFollowUp(
      hal,
      { kind: "stall", afterChunks: 1 },
      { env: { OLLAMA_STALL_SECONDS: "1" } },
    );

    // Assert: "stalled", not "timeout": the stall limit cut it, not the invoke's deadline.
    expect(summary).toMatchObject({ handled: 2, failed: 0 });
    expect(repliesTo(bed, hal)).toEqual([
      "You said: the qu",
      expect.stringContaining('The model "llama3" went silent mid-answer'),
      "You said: the follow-up",
    ]);
    expectStored(await storedConversation(bed, hal.user.id), "stalled");
  });

  it("Ollama ends the stream with neither a final line nor an error: the answer counts as cut off, not complete", async () => {
    // Arrange
    const ida = person("Ida");

    // Act
    const { summary } = await failThenFollowUp(ida, { kind: "truncated", afterChunks: 1 });

    // Assert: no assistant message is stored for the cut answer; the user is told it stopped early.
    expect(summary).toMatchObject({ handled: 2, failed: 0 });
    expect(repliesTo(bed, ida)).toEqual([
      "You said: the qu",
      expect.stringContaining("the answer stopped before its end"),
      "You said: the follow-up",
    ]);
    expectStored(await storedConversation(bed, ida.user.id), "stream_error");
  });

  it("Ollama sends a malformed line: the user is told Ollama sent a malformed line, the message is kept, the next update is served", async () => {
    // Arrange
    const fay = person("Fay");

    // Act
    const { summary } = await failThenFollowUp(fay, { kind: "malformed" });

    // Assert
    expect(summary).toMatchObject({ handled: 2, failed: 0 });
    const replies = repliesTo(bed, fay);
    const error = replies.find((t) => t.startsWith("⚠️"));
    expect(error).toContain('Ollama sent a malformed line (not a JSON object): "{not json"');
    expect(replies.at(-1)).toBe("You said: the follow-up");
    expectStored(await storedConversation(bed, fay.user.id), "stream_error");
  });
});
