import { describe, expect, it } from "@jest/globals";
import type { PollSummary } from "../../handler/app/intake/polling/poller.js";
import { person, repliesTo } from "../faults/support.js";
import { useTestBed } from "../harness/bed.js";
import { coldStart } from "../harness/lambda.js";

/**
 * MAX_CONCURRENCY is what keeps one invoke from sending every waiting user to
 * Ollama at once (Ollama queues past OLLAMA_NUM_PARALLEL, and the Lambda's
 * memory holds every stream in flight). The fake counts the requests it is
 * answering at the same moment.
 */
describe("polling: MAX_CONCURRENCY caps the answers in flight", () => {
  const bed = useTestBed({ env: { MAX_CONCURRENCY: "2" }, telegram: { flood: false } });

  it("answers six users with at most two model calls at a time, and does use both", async () => {
    // Prepare: six users write at once; each answer takes long enough that the
    // two running at once overlap whatever the machine's load.
    const users = ["Ada", "Bob", "Cy", "Di", "Ed", "Flo"].map((name) => person(name));
    bed.ollama.latencyMs = 1_500;
    bed.ollama.setReply("llama3", () => "Done.");
    for (const u of users) bed.telegram.pushText(u.user, u.chat, `hello from ${u.user.first_name}`);

    // Act
    const summary = await coldStart(bed.env).invoke<PollSummary>({});

    // Assess
    expect(summary).toMatchObject({ status: "ok", failed: 0 });
    expect(users.map((u) => repliesTo(bed, u))).toEqual(users.map(() => ["Done."]));
    expect(bed.ollama.chats()).toHaveLength(6);
    expect(bed.ollama.maxInFlight).toBe(2);
  });
});
