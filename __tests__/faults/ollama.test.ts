import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { startTestBed, type TestBed } from "../harness/bed.js";
import type { OllamaFault } from "../harness/fake-ollama.js";
import {
  type Person,
  person,
  poll,
  repliesTo,
  type StoredMessage,
  storedConversation,
  TokenGuard,
} from "./support.js";

describe("faults: Ollama down, refusing, hanging or breaking mid-answer", () => {
  let bed: TestBed;
  const guard = new TokenGuard();

  beforeAll(async () => {
    bed = await startTestBed({ telegram: { flood: false } });
  });
  beforeEach(() => {
    bed.ollama.reset();
  });
  afterAll(async () => {
    guard.assertNoToken(bed.env.TELEGRAM_BOT_TOKEN ?? "");
    await bed.close();
  });

  /** Sends a failing message and a follow-up in one batch. */
  const failThenFollowUp = async (
    who: Person,
    fault: OllamaFault,
    options: { timeoutMs?: number } = {},
  ) => {
    bed.telegram.pushText(who.user, who.chat, "the question that fails");
    bed.telegram.pushText(who.user, who.chat, "the follow-up");
    bed.ollama.failNext(fault);
    const started = Date.now();
    const summary = await poll(bed, guard, options);
    return { summary, elapsed: Date.now() - started };
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
    const { summary, elapsed } = await failThenFollowUp(dave, { kind: "hang" }, { timeoutMs });

    // Assert
    expect(elapsed).toBeLessThan(timeoutMs);
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

    // Assert
    expect(summary).toMatchObject({ handled: 2, failed: 0 });
    const replies = repliesTo(bed, erin);
    const error = replies.find((t) => t.includes("stopped with an error mid-answer"));
    expect(error).toContain("llama runner process has terminated");
    expect(replies.at(-1)).toBe("You said: the follow-up");
    expectStored(await storedConversation(bed, erin.user.id), "stream_error");
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
