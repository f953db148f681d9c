import { describe, expect, it } from "@jest/globals";
import type { PollSummary } from "../../handler/app/intake/polling/poller.js";
import { type Person, person, repliesTo, storedConversation, waitFor } from "../faults/support.js";
import { useTestBed } from "../harness/bed.js";
import type { ChatBody } from "../harness/fake-ollama.js";
import { coldStart } from "../harness/lambda.js";

const lastQuestion = (body: ChatBody) =>
  body.messages.filter((m) => m.role === "user").at(-1)?.content ?? "";

describe("polling: one invoke keeps listening while it answers", () => {
  // Edit streaming: these tests watch the answer's message grow (drafts show none until the end).
  const bed = useTestBed({
    env: { STREAM_REPLIES: "true", STREAM_MODE: "edit" },
    telegram: { flood: false },
    resetOllama: true,
  });

  const longAnswer = `A long answer, ${"word ".repeat(60).trim()}. The end.`;
  /** Ada's long answer streams its first words, then waits until the test lets it finish. */
  const holdAdasAnswer = (ada: Person) => {
    bed.ollama.setReply("llama3", (body) =>
      lastQuestion(body).startsWith("tell me a long story")
        ? longAnswer
        : `You said: ${lastQuestion(body)}`,
    );
    return bed.ollama.holdAfterFirstChunk((body) =>
      body.messages.some((m) => m.content === `tell me a long story, ${ada.user.first_name}`),
    );
  };

  it("answers a second user while the first user's long answer is still streaming, both in order and with their context", async () => {
    // Prepare: Ada asks for a long answer; Bob writes twice once it is visibly streaming
    const ada = person("Ada");
    const bob = person("Bob");
    const hold = holdAdasAnswer(ada);
    bed.telegram.pushText(ada.user, ada.chat, "tell me a long story, Ada");
    const lambda = coldStart(bed.env);

    // Act
    const running = lambda.invoke<PollSummary>({});
    let bobAnsweredWhileAdaStreamed = false;
    try {
      await waitFor(
        () => repliesTo(bed, ada).length >= 1,
        20_000,
        "Ada's answer to start streaming",
      );
      bed.telegram.pushText(bob.user, bob.chat, "Bob's first question");
      bed.telegram.pushText(bob.user, bob.chat, "Bob's second question");
      await waitFor(() => repliesTo(bed, bob).length >= 2, 20_000, "both of Bob's answers");
      bobAnsweredWhileAdaStreamed = !repliesTo(bed, ada).some((t) => t.endsWith("The end."));
    } finally {
      hold.release();
    }
    const summary = await running;

    // Assess
    expect(bobAnsweredWhileAdaStreamed).toBe(true);
    expect(summary).toMatchObject({ status: "ok", updates: 3, handled: 3, failed: 0 });
    expect(repliesTo(bed, bob)).toEqual([
      "You said: Bob's first question",
      "You said: Bob's second question",
    ]);
    expect(repliesTo(bed, ada).join(" ")).toContain("The end.");
    // Bob's second question reached the model with his first exchange as context.
    const bobsSecond = bed.ollama
      .chats()
      .find((r) => lastQuestion(r.body) === "Bob's second question");
    expect(bobsSecond?.body.messages.map((m) => m.content).slice(-3)).toEqual([
      "Bob's first question",
      "You said: Bob's first question",
      "Bob's second question",
    ]);
    const bobsStored = await storedConversation(bed, bob.user.id);
    expect(bobsStored.map((m) => m.content)).toEqual([
      "Bob's first question",
      "You said: Bob's first question",
      "Bob's second question",
      "You said: Bob's second question",
    ]);
    const adasStored = await storedConversation(bed, ada.user.id);
    expect(adasStored.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(adasStored.at(-1)?.content).toContain("The end.");
  });

  it("keeps one chat in order: a message sent while that chat's answer streams is answered after it, with it as context", async () => {
    // Prepare
    const carol = person("Carol");
    const hold = holdAdasAnswer(carol);
    bed.telegram.pushText(carol.user, carol.chat, "tell me a long story, Carol");
    const lambda = coldStart(bed.env);

    // Act
    const running = lambda.invoke<PollSummary>({});
    try {
      await waitFor(() => repliesTo(bed, carol).length >= 1, 20_000, "Carol's answer to stream");
      const followUpId = bed.telegram.pushText(carol.user, carol.chat, "and then?");
      // The poller confirms an update to Telegram (a higher offset) only once it has taken it on.
      await waitFor(
        () => bed.telegram.requests("getUpdates").some((r) => Number(r.params.offset) > followUpId),
        20_000,
        "the follow-up to be taken on",
      );
    } finally {
      hold.release();
    }
    const summary = await running;

    // Assess
    expect(summary).toMatchObject({ status: "ok", updates: 2, handled: 2 });
    const stored = await storedConversation(bed, carol.user.id);
    expect(stored.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
    expect(stored[1]?.content).toContain("The end.");
    expect(stored[2]?.content).toBe("and then?");
    const followUp = bed.ollama.chats().find((r) => lastQuestion(r.body) === "and then?");
    expect(followUp?.body.messages.some((m) => m.content.includes("The end."))).toBe(true);
  });

  it("an invoke with nothing to do asks Telegram once without waiting, returns, and says nothing at info level", async () => {
    // Prepare
    const before = bed.telegram.requests("getUpdates").length;

    // Act
    const { result: summary, logs } = await bed.captureLogs(() =>
      coldStart(bed.env).invoke<PollSummary>({}),
    );

    // Assess
    const polls = bed.telegram.requests("getUpdates").slice(before);
    expect(summary).toMatchObject({ status: "ok", updates: 0 });
    expect(polls.map((r) => Number(r.params.timeout ?? 0))).toEqual([0]);
    // The invoke's one metrics document (EMF) is no log line: CloudWatch reads it, at every level.
    const metrics = logs.filter((l) => l.includes('"_aws"'));
    expect(logs.filter((l) => !l.includes('"level":"debug"') && !metrics.includes(l))).toEqual([]);
    expect(metrics).toHaveLength(1);
  });

  it("sends allowed_updates with exactly the update types the bot handles on every getUpdates", async () => {
    // Prepare: a run with several polls (one while an answer runs)
    const dan = person("Dan");
    bed.ollama.latencyMs = 300;
    bed.telegram.pushText(dan.user, dan.chat, "hello");
    const before = bed.telegram.requests("getUpdates").length;

    // Act
    await coldStart(bed.env).invoke<PollSummary>({});

    // Assess
    const polls = bed.telegram.requests("getUpdates").slice(before);
    expect(polls.length).toBeGreaterThanOrEqual(2);
    for (const r of polls)
      expect(r.params.allowed_updates).toEqual([
        "message",
        "callback_query",
        "stopped_message_generation",
      ]);
  });

  it("writes one info line per batch of updates, not one per poll", async () => {
    // Prepare
    const eve = person("Eve");
    const fay = person("Fay");
    bed.telegram.pushText(eve.user, eve.chat, "one");
    bed.telegram.pushText(fay.user, fay.chat, "two");

    // Act
    const { logs } = await bed.captureLogs(() => coldStart(bed.env).invoke<PollSummary>({}));

    // Assess
    const info = logs.filter((l) => l.includes('"level":"info"'));
    expect(info.filter((l) => l.includes('"msg":"updates received"'))).toHaveLength(1);
    expect(info.filter((l) => l.includes('"msg":"poll finished"'))).toHaveLength(1);
  });
});
