import { describe, expect, it } from "@jest/globals";
import { LEASE_MS } from "../../handler/app/intake/polling/poll-timing.js";
import type { PollSummary } from "../../handler/app/intake/polling/poller.js";
import { coldStart } from "../harness/lambda.js";
import { useFaultBed } from "./fault-bed.js";
import { person, repliesTo, waitFor } from "./support.js";

/**
 * The poller lease lasts LEASE_MS and is renewed while an invoke works. An answer
 * that takes longer than the lease is the case renewal exists for: without it a
 * second invoke (the next scheduled one) would take the lease and answer the same
 * update again.
 */
describe("faults: an answer that outlasts the poller lease", () => {
  const { bed } = useFaultBed();

  it("keeps the lease while the answer runs: a second invoke finds the poller busy, the update is answered once", async () => {
    // Prepare: Ada's answer starts and then waits, longer than the lease lasts.
    const ada = person("Ada");
    bed.ollama.setReply("llama3", () => "A slow, careful answer.");
    const hold = bed.ollama.holdAfterFirstChunk(() => true);
    bed.telegram.pushText(ada.user, ada.chat, "take your time");
    const first = coldStart(bed.env).invoke<PollSummary>({});

    // Act: once the model is answering, let the whole lease period pass, then
    // start the next invoke as the schedule would.
    let second: PollSummary;
    try {
      await waitFor(() => bed.ollama.chats().length === 1, 20_000, "the model call");
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS + 2_000));
      second = await coldStart(bed.env).invoke<PollSummary>({});
    } finally {
      hold.release();
    }
    const firstSummary = await first;

    // Assess
    expect(second.status).toBe("busy");
    expect(firstSummary).toMatchObject({ status: "ok", handled: 1, failed: 0 });
    expect(bed.ollama.chats()).toHaveLength(1);
    expect(repliesTo(bed, ada).filter((t) => t.includes("A slow, careful answer."))).toHaveLength(
      1,
    );
  }, 60_000);
});
