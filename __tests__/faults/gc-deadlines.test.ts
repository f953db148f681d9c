import { describe, expect, it } from "@jest/globals";
import { type ChildExit, spawnLambda } from "./child-lambda.js";
import { useFaultBed } from "./fault-bed.js";
import { type Person, type PollSummary, person, repliesTo, storedConversation } from "./support.js";

/**
 * Deadlines under memory pressure: the bundle runs in its own process with a
 * full garbage collection every 250 ms and is killed at its timeout, as Lambda
 * kills it. A time limit that only a weak reference kept alive (Node 20's
 * `AbortSignal.any` holds `AbortSignal.timeout` that way) is collected before it
 * fires: the call it guards then hangs until the kill and the user is never told.
 */
describe("faults: deadlines hold while garbage is collected", () => {
  const { bed, guard } = useFaultBed({ resetOllama: true });
  const GC_EVERY_MS = 250;

  /** One poll invoke in a child process that collects garbage and dies at `timeoutMs`. */
  const pollUnderGc = async (
    timeoutMs: number,
    env: Readonly<Record<string, string>> = {},
  ): Promise<ChildExit> => {
    const child = spawnLambda({ ...bed.env, ...env }, {}, timeoutMs, {
      gcEveryMs: GC_EVERY_MS,
      killAtTimeout: true,
    });
    const exit = await child.exited;
    guard.recordChildLogs(child.output());
    return exit;
  };

  /** The invoke returned by itself (it was not killed at its timeout) and answered one update. */
  const expectAnsweredInTime = (exit: ChildExit) => {
    expect(exit.signal).toBeNull();
    expect(exit.result as PollSummary).toMatchObject({ status: "ok", handled: 1, failed: 0 });
  };

  const storedRoles = async (who: Person) =>
    (await storedConversation(bed, who.user.id)).map((m) => [m.role, m.failed]);

  it("Ollama accepts the connection and never answers: the call is cut off before the invoke's deadline, the user is told, the message is kept", async () => {
    // Arrange: the model call gets what is left of 25 s less the 10 s kept for delivery; an
    // update starts only with 20 s left, so the child has 5 s to start and fetch it.
    const ada = person("Ada");
    bed.telegram.pushText(ada.user, ada.chat, "hello to a server that never answers");
    bed.ollama.failNext({ kind: "hang" });

    // Act
    const exit = await pollUnderGc(25_000);

    // Assert
    expectAnsweredInTime(exit);
    expect(repliesTo(bed, ada)).toEqual([expect.stringContaining("took too long to answer")]);
    expect(await storedRoles(ada)).toEqual([["user", "timeout"]]);
  });

  /** `who` asks; Ollama streams two chunks, then says nothing; one poll under GC answers in time. */
  const stallAfterTwoTokens = async (
    who: Person,
    timeoutMs: number,
    env: Readonly<Record<string, string>> = {},
  ) => {
    bed.telegram.pushText(who.user, who.chat, "two tokens and then silence");
    bed.ollama.failNext({ kind: "stall", afterChunks: 2 });
    expectAnsweredInTime(await pollUnderGc(timeoutMs, { STREAM_REPLIES: "true", ...env }));
  };

  /** The two chunks (16 characters each) stay in the chat, then `reason`; the message is kept as `kind`. */
  const expectPartialThen = async (who: Person, reason: string, kind: string) => {
    expect(repliesTo(bed, who)).toEqual([
      "You said: two tokens and then si",
      expect.stringContaining(reason),
    ]);
    expect(await storedRoles(who)).toEqual([["user", kind]]);
  };

  it("the stream stalls after two tokens (stall limit longer than the invoke): the deadline cuts it, the partial answer stays, the user is told", async () => {
    // Arrange: the default stall limit (60 s) is longer than the invoke: only the deadline can end it.
    const bob = person("Bob");

    // Act
    await stallAfterTwoTokens(bob, 25_000);

    // Assert
    await expectPartialThen(bob, "took too long to answer", "timeout");
  });

  it("the stream stalls after two tokens (stall limit 1 s): the stall watch cuts it, the user is told it went silent", async () => {
    // Arrange
    const carol = person("Carol");

    // Act
    await stallAfterTwoTokens(carol, 60_000, { OLLAMA_STALL_SECONDS: "1" });

    // Assert
    await expectPartialThen(carol, "went silent mid-answer", "stalled");
  });

  it("Telegram takes a send and never answers: the call is abandoned after its timeout and retried in the same invoke, the turn stored once", async () => {
    // Arrange: delivered, then no answer for far longer than the invoke.
    const dave = person("Dave");
    bed.telegram.pushText(dave.user, dave.chat, "a send that hangs");
    bed.telegram.hang("sendMessage", 120_000, 1, { afterEffect: true });

    // Act: long enough for one call timeout (10 s), far shorter than the hang.
    const exit = await pollUnderGc(25_000, { STREAM_REPLIES: "false" });

    // Assert: one stray copy from the abandoned call (the Bot API has no idempotency key).
    expectAnsweredInTime(exit);
    const sends = bed.telegram
      .requests("sendMessage")
      .filter((r) => r.params.chat_id === dave.chat.id);
    expect(sends).toHaveLength(2);
    expect(repliesTo(bed, dave)).toEqual([
      "You said: a send that hangs",
      "You said: a send that hangs",
    ]);
    expect(await storedRoles(dave)).toEqual([
      ["user", undefined],
      ["assistant", undefined],
    ]);
    expect(bed.ollama.chats()).toHaveLength(1);
  });
});
