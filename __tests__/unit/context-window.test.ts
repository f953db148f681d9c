import { describe, expect, it } from "@jest/globals";
import {
  buildContext,
  type ContextInput,
  estimateTokens,
} from "../../handler/app/conversation/context-window.js";
import type { ChatMessage } from "../../handler/domain/session.js";

function history(count: number, size = 35): ChatMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: i + 1,
    role: i % 2 === 0 ? "user" : "assistant",
    content: `${i + 1}`.padEnd(size, "."),
    ts: "2026-01-01T00:00:00.000Z",
  }));
}

function input(overrides: Partial<ContextInput> = {}): ContextInput {
  return {
    systemPrompt: "You are helpful.",
    history: history(6),
    prompt: "new question",
    numCtx: 100_000,
    reserveForAnswer: 1000,
    maxMessages: 100,
    ...overrides,
  };
}

describe("app/context-window", () => {
  it("estimates tokens on the high side, at 3.5 characters per token plus overhead", () => {
    expect(estimateTokens("")).toBe(4);
    expect(estimateTokens("a".repeat(35))).toBe(14);
    expect(estimateTokens("a".repeat(36))).toBe(15);
  });

  it("sends system prompt, whole history and prompt when everything fits", () => {
    // Act
    const out = buildContext(input());

    // Assess
    expect(out.trimmed).toBe(false);
    expect(out.messages).toHaveLength(8);
    expect(out.messages[0]).toEqual({ role: "system", content: "You are helpful." });
    expect(out.messages.at(-1)).toEqual({ role: "user", content: "new question" });
    expect(out.messages.slice(1, -1).map((m) => m.role)).toEqual([
      "user",
      "assistant",
      "user",
      "assistant",
      "user",
      "assistant",
    ]);
  });

  it("omits the system message when there is no system prompt", () => {
    // Act
    const out = buildContext(input({ systemPrompt: undefined }));

    // Assess
    expect(out.messages.every((m) => m.role !== "system")).toBe(true);
  });

  it("drops the oldest whole turns first and flags the context as trimmed", () => {
    // Prepare: each history message costs 14 tokens; leave room for exactly 3
    // (the third, answer "4", would lose its question "3", so it goes too).
    const base = input({ numCtx: 0, reserveForAnswer: 0 });
    const fixed = estimateTokens(base.prompt) + estimateTokens(base.systemPrompt ?? "");
    const numCtx = fixed + 3 * 14;

    // Act
    const out = buildContext({ ...base, numCtx });

    // Assess
    expect(out.trimmed).toBe(true);
    expect(out.messages.map((m) => m.content.replace(/\.+$/, ""))).toEqual([
      "You are helpful",
      "5",
      "6",
      "new question",
    ]);
  });

  it("always keeps the system prompt and the new prompt, even with no room at all", () => {
    // Act
    const out = buildContext(input({ numCtx: 10, reserveForAnswer: 5 }));

    // Assess
    expect(out.trimmed).toBe(true);
    expect(out.messages).toEqual([
      { role: "system", content: "You are helpful." },
      { role: "user", content: "new question" },
    ]);
  });

  it("stops at the first message that does not fit, never skipping over it", () => {
    // Prepare: a huge old message followed by small recent ones.
    const msgs = history(4, 35);
    const huge: ChatMessage = { ...(msgs[2] as ChatMessage), content: "x".repeat(10_000) };
    const mixed = [msgs[0], msgs[1], huge, msgs[3]].filter((m): m is ChatMessage => !!m);

    // Act
    const out = buildContext(input({ history: mixed, numCtx: 1200, reserveForAnswer: 1000 }));

    // Assess: "4" fits but answers the huge "3", which does not, so it is not sent alone.
    expect(out.messages.map((m) => m.content.slice(0, 1))).toEqual(["Y", "n"]);
    expect(out.trimmed).toBe(true);
  });

  it("sends at most maxMessages of history", () => {
    // Act
    const out = buildContext(input({ history: history(10), maxMessages: 4 }));

    // Assess
    expect(out.messages.slice(1, -1).map((m) => m.content.replace(/\.+$/, ""))).toEqual([
      "7",
      "8",
      "9",
      "10",
    ]);
  });

  it("does not flag trimming when only the message cap shortens the history", () => {
    // Act
    const out = buildContext(input({ history: history(10), maxMessages: 4 }));

    // Assess
    expect(out.trimmed).toBe(false);
  });

  it("leaves stored system messages out of the history", () => {
    // Prepare
    const msgs: ChatMessage[] = [
      { seq: 1, role: "system", content: "old persona", ts: "t" },
      ...history(2).map((m) => ({ ...m, seq: m.seq + 1 })),
    ];

    // Act
    const out = buildContext(input({ history: msgs }));

    // Assess
    expect(out.messages.filter((m) => m.role === "system")).toEqual([
      { role: "system", content: "You are helpful." },
    ]);
    expect(out.messages).toHaveLength(4);
  });

  it("reports the estimated tokens of exactly the messages sent", () => {
    // Act
    const out = buildContext(input());

    // Assess
    const expected = out.messages.reduce((s, m) => s + estimateTokens(m.content), 0);
    expect(out.estimatedTokens).toBe(expected);
  });

  it("keeps history that fits the window exactly, the answer's reserve set aside", () => {
    // Prepare: system prompt 9 tokens, prompt 8, two history messages 14 each.
    const exact = 1000 + 9 + 8 + 2 * 14;

    // Act
    const fits = buildContext(
      input({ history: history(2), numCtx: exact, reserveForAnswer: 1000 }),
    );
    const short = buildContext(
      input({ history: history(2), numCtx: exact - 1, reserveForAnswer: 1000 }),
    );

    // Assess: one token short, the turn goes whole (its answer would have no question).
    expect(fits.messages).toHaveLength(4);
    expect(fits.trimmed).toBe(false);
    expect(short.messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(short.trimmed).toBe(true);
  });

  it("sends only the latest of several answers in a row (a /retry replaces the old answer)", () => {
    // Prepare
    const msgs: ChatMessage[] = [
      { seq: 1, role: "user", content: "question", ts: "t" },
      { seq: 2, role: "assistant", content: "first answer", ts: "t" },
      { seq: 3, role: "assistant", content: "regenerated answer", ts: "t" },
      { seq: 4, role: "user", content: "follow-up", ts: "t" },
      { seq: 5, role: "assistant", content: "second answer", ts: "t" },
    ];

    // Act
    const out = buildContext(input({ history: msgs }));

    // Assess
    expect(out.messages.map((m) => m.content)).toEqual([
      "You are helpful.",
      "question",
      "regenerated answer",
      "follow-up",
      "second answer",
      "new question",
    ]);
  });

  it("keeps only role and content in the messages sent", () => {
    // Act
    const out = buildContext(input({ history: history(1) }));

    // Assess
    expect(Object.keys(out.messages[1] ?? {}).sort()).toEqual(["content", "role"]);
  });
});
