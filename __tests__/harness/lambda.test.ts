import { describe, expect, it } from "@jest/globals";
import { useTestBed } from "./bed.js";
import { BUNDLE, coldStart, nodeProcess } from "./lambda.js";

/** A full garbage collection, on demand (V8's gc(), exposed at run time). */
function forcedGc(): () => void {
  const v8 = nodeProcess.getBuiltinModule("node:v8") as typeof import("node:v8");
  const vm = nodeProcess.getBuiltinModule("node:vm") as typeof import("node:vm");
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

/** Node's own module cache, where each cold start's copy of the bundle is while it is current. */
const moduleCache = (
  nodeProcess.getBuiltinModule("node:module") as typeof import("node:module")
).createRequire(import.meta.url).cache;

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

  it("frees an earlier cold start's copy of the bundle, so a worker's memory does not grow with each one", async () => {
    // Arrange
    const gc = forcedGc();
    const copies: WeakRef<object>[] = [];

    // Act: three cold starts, each invoked once.
    for (let i = 0; i < 3; i++) {
      await coldStart(bed.env).invoke({});
      copies.push(new WeakRef(moduleCache[BUNDLE] as object));
    }
    await new Promise((resolve) => setImmediate(resolve));
    gc();

    // Assess: only the newest copy (still in the module cache) is left.
    expect(copies.map((copy) => copy.deref() !== undefined)).toEqual([false, false, true]);
  });
});
