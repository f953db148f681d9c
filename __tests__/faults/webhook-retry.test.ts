import { describe, expect, it } from "@jest/globals";
import { coldStart } from "../harness/lambda.js";
import { useFaultBed } from "./fault-bed.js";
import { person, repliesTo, WEBHOOK_SECRET, waitFor, webhookUpdate } from "./support.js";

/**
 * Lambda's retries of an asynchronous event reuse its request id. Two
 * executions of one queued update with the same request id must still
 * exclude each other on the lane: one answers, the other finds it answered.
 */
describe("faults: two executions of a queued update share a request id", () => {
  const { bed } = useFaultBed({
    env: { TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET },
    resetOllama: true,
    // The bundle writes no log line in this file: a token check would have nothing to read.
    tokenCheck: false,
  });

  it("the second execution waits for the lane instead of answering again: one model call, one reply", async () => {
    // Arrange: the first execution is inside the model when the second starts
    const cleo = person("Cleo");
    const update = webhookUpdate(cleo, "a question asked only once");
    const event = { source: "telegram-webhook", update };
    const slow = bed.ollama.holdAfterFirstChunk(
      (body) => body.messages.at(-1)?.content === "a question asked only once",
    );
    const first = coldStart(bed.env).invoke(event, { requestId: "request-retried-by-lambda" });
    await waitFor(() => bed.ollama.chats().length === 1, 30_000, "the first answer to start");
    const callsBefore = bed.aws.dynamoCalls().length;

    // Act: the retry runs while the first still answers, then the model finishes
    const second = coldStart(bed.env).invoke(event, { requestId: "request-retried-by-lambda" });
    // Its lane attempt is an UpdateItem, and a status read (GetItem) follows either way.
    await waitFor(
      () => {
        const ops = bed.aws
          .dynamoCalls()
          .slice(callsBefore)
          .map((c) => c.operation);
        return ops.includes("UpdateItem") && ops.filter((o) => o === "GetItem").length >= 2;
      },
      30_000,
      "the second execution to try the lane",
    );
    slow.release();
    const outcomes = await Promise.all([first, second]);

    // Assess
    expect(outcomes).toEqual([{ outcome: "handled" }, { outcome: "duplicate" }]);
    expect(bed.ollama.chats()).toHaveLength(1);
    expect(repliesTo(bed, cleo)).toEqual(["You said: a question asked only once"]);
  });
});
