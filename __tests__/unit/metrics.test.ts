import { afterEach, describe, expect, it, jest } from "@jest/globals";
import { publishEmf } from "../../handler/metrics/emf.js";
import { InvokeMetrics, summarize } from "../../handler/metrics/invoke-metrics.js";

/** Runs `fn` and returns the JSON lines it wrote to stdout. */
function stdoutOf(fn: () => void): Record<string, unknown>[] {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  try {
    fn();
  } finally {
    spy.mockRestore();
  }
  return written
    .join("")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("invoke metrics", () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it("takes every counter (zeros too) and every sample, then starts afresh", () => {
    // Prepare
    const metrics = new InvokeMetrics();
    metrics.count("AnswersSent");
    metrics.count("AnswersSent", 2);
    metrics.observe("ModelAnswerMs", 120);
    metrics.observe("ModelAnswerMs", -5);
    metrics.observe("PromptTokens", Number.NaN);

    // Act
    const first = metrics.take();
    const second = metrics.take();

    // Assess
    expect(first.counters).toEqual({
      AnswersSent: 3,
      MessagesRefusedByLimits: 0,
      UpdatesGivenUp: 0,
      TelegramRetries: 0,
    });
    expect(first.samples.ModelAnswerMs).toEqual([120]);
    expect(first.samples.PromptTokens).toEqual([]);
    expect(second.counters.AnswersSent).toBe(0);
    expect(second.samples.ModelAnswerMs).toEqual([]);
    expect(summarize(first)).toEqual({
      AnswersSent: 3,
      ModelAnswerMsCount: 1,
      ModelAnswerMsMedian: 120,
    });
  });

  it("splits a distribution of more samples than one EMF document holds, each document whole", () => {
    // Prepare: 150 answers in one invoke (the format takes 100 values per metric and document).
    const metrics = new InvokeMetrics();
    for (let i = 0; i < 150; i++) {
      metrics.count("AnswersSent");
      metrics.observe("ModelAnswerMs", i);
    }
    metrics.observe("InvokeDurationMs", 9000);

    // Act
    const docs = stdoutOf(() =>
      publishEmf(metrics.take(), { service: "telegram-bot", mode: "poll", requestId: "r-1" }),
    );

    // Assess
    expect(docs).toHaveLength(2);
    for (const doc of docs)
      expect(doc).toMatchObject({ service: "telegram-bot", mode: "poll", requestId: "r-1" });
    expect(docs[0]?.AnswersSent).toBe(150);
    expect(docs[1]).not.toHaveProperty("AnswersSent");
    const all = docs.flatMap((d) => d.ModelAnswerMs as number[]);
    expect(all).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect(docs[0]?.InvokeDurationMs).toBe(9000);
  });
});
