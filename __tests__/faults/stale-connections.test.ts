import { beforeAll, describe, expect, it } from "@jest/globals";
import { ForgetfulProxy } from "../harness/forgetful-proxy.js";
import { coldStart } from "../harness/lambda.js";
import { useFaultBed } from "./fault-bed.js";
import { type PollSummary, person, repliesTo, storedConversation, waitFor } from "./support.js";

/**
 * A warm Lambda keeps its pooled connections while frozen between invokes; the
 * path to Ollama (a NAT gateway, a reverse proxy) may forget them meanwhile.
 * Here a proxy forgets connections idle for 300 ms; the bundle keeps its idle
 * connections 4 s, so the second invoke reuses a connection nobody remembers.
 */
describe("faults: a warm Lambda's pooled connection to Ollama went stale between invokes", () => {
  const { bed, guard } = useFaultBed();
  let proxy: ForgetfulProxy;
  beforeAll(async () => {
    proxy = await ForgetfulProxy.start(bed.ollama.url, 300);
  });
  bed.beforeClose(() => proxy.close());

  it("the second invoke of the same process answers: its call is retried once on a fresh connection, the model asked once", async () => {
    // Arrange: one execution environment, invoked twice.
    const ada = person("Ada");
    const fn = coldStart({ ...bed.env, OLLAMA_URL: proxy.url });
    bed.telegram.pushText(ada.user, ada.chat, "before the freeze");
    const first = await fn.invoke<PollSummary>({});
    guard.record(first);

    // Act: the idle gap outlasts the proxy's memory of every connection.
    await waitFor(() => proxy.remembered === 0, 5_000, "the proxy to forget the idle connections");
    bed.telegram.pushText(ada.user, ada.chat, "after the freeze");
    const second = await fn.invoke<PollSummary>({});
    guard.record(second);

    // Assert
    expect(first).toMatchObject({ handled: 1, failed: 0 });
    expect(second).toMatchObject({ handled: 1, failed: 0 });
    expect(repliesTo(bed, ada)).toEqual([
      "You said: before the freeze",
      "You said: after the freeze",
    ]);
    expect(proxy.resets).toBe(1);
    expect(bed.ollama.chats()).toHaveLength(2);
    const stored = await storedConversation(bed, ada.user.id);
    expect(stored.map((m) => [m.role, m.failed])).toEqual([
      ["user", undefined],
      ["assistant", undefined],
      ["user", undefined],
      ["assistant", undefined],
    ]);
  });
});
