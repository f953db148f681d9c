import { describe, expect, it } from "@jest/globals";
import { useTestBed } from "./bed.js";
import { coldStart, nodeProcess } from "./lambda.js";

describe("harness: coldStart", () => {
  const bed = useTestBed({ telegram: { flood: false } });

  it("gives each cold start exactly its own environment: an earlier invoke's setting does not leak", async () => {
    // Prepare: an earlier function ran with streaming off.
    const ada = { id: 5151, first_name: "Ada" };
    await coldStart({ ...bed.env, STREAM_REPLIES: "false" }).invoke({});
    bed.ollama.chunkDelayMs = 30;
    bed.ollama.setReply("llama3", () =>
      "A streamed answer that takes a while to write. ".repeat(8),
    );
    bed.telegram.pushText(ada, { id: ada.id, type: "private" }, "stream, please");

    // Act: this one is configured with the default (streaming on).
    await coldStart(bed.env).invoke({});

    // Assess
    expect(nodeProcess.env.STREAM_REPLIES).toBeUndefined();
    // Streaming on shows the answer growing: as a draft in a private chat (the default mode).
    const streamed = [
      ...bed.telegram.requests("sendRichMessageDraft"),
      ...bed.telegram.requests("sendMessageDraft"),
      ...bed.telegram.requests("editMessageText"),
    ].filter((r) => Number(r.params.chat_id) === ada.id);
    expect(streamed.length).toBeGreaterThan(0);
  });
});
