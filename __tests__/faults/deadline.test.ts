import { describe, expect, it } from "@jest/globals";
import { useFaultBed } from "./fault-bed.js";
import {
  countContaining,
  failure,
  person,
  poll,
  pollerItem,
  repliesTo,
  storedConversation,
} from "./support.js";

describe("faults: the Lambda deadline approaches", () => {
  const { bed, guard } = useFaultBed({ resetOllama: true });

  it("deadline near with a slow model: stops taking work, stores the offset of the first unstarted update, the next invoke answers the rest once", async () => {
    // Arrange: 30 s left and a 12 s model: the first update starts (10 s of slack for a cold
    // start on a loaded machine), and once it is answered less than the 20 s reserve is left,
    // however fast or slow the machine, so no other update may start.
    const ada = person("Ada");
    const ids = [1, 2, 3, 4].map((n) => bed.telegram.pushText(ada.user, ada.chat, `slow ${n}`));
    bed.ollama.latencyMs = 12_000;
    const timeoutMs = 30_000;

    // Act
    const first = await poll(bed, guard, { timeoutMs });
    const modelCallsInFirst = bed.ollama.chats().length;
    const stored = await pollerItem(bed);
    bed.ollama.latencyMs = 0;
    const second = await poll(bed, guard);

    // Assert
    expect(first).toMatchObject({ status: "ok", updates: 4, handled: 1, deferred: 3, failed: 0 });
    expect(modelCallsInFirst).toBe(1); // stopped taking work: the model was asked once

    expect(first.offset).toBe(ids[1]);
    expect(stored?.next_offset).toBe(ids[1]);
    expect(stored?.lease_owner).toBeUndefined();
    expect(second).toMatchObject({ updates: 3, handled: 3, deferred: 0 });
    const replies = repliesTo(bed, ada);
    expect(replies).toEqual([1, 2, 3, 4].map((n) => `You said: slow ${n}`));
    const conversation = await storedConversation(bed, ada.user.id);
    expect(conversation.filter((m) => m.role === "user").map((m) => m.content)).toEqual(
      [1, 2, 3, 4].map((n) => `slow ${n}`),
    );
  });

  it("deadline already inside the reserve: nothing is started, nothing is lost, the offset stays", async () => {
    // Arrange
    const bob = person("Bob");
    const id = bed.telegram.pushText(bob.user, bob.chat, "too late for this invoke");
    const offsetBefore = (await pollerItem(bed))?.next_offset;

    // Act
    const starved = await poll(bed, guard, { timeoutMs: 15_000 });
    const offsetAfter = (await pollerItem(bed))?.next_offset;
    const modelCallsWhileStarved = bed.ollama.chats().length;
    const next = await poll(bed, guard);

    // Assert
    expect(starved).toMatchObject({ updates: 1, handled: 0, deferred: 1, offset: id });
    expect(modelCallsWhileStarved).toBe(0);
    expect(offsetAfter).toBe(offsetBefore);
    expect(next).toMatchObject({ handled: 1 });
    expect(countContaining(repliesTo(bed, bob), "too late for this invoke")).toBe(1);
  });

  it("Telegram hangs: no Telegram call outlives the deadline, the invoke fails in time and the update is answered by the next one", async () => {
    // Arrange
    const carol = person("Carol");
    bed.telegram.pushText(carol.user, carol.chat, "hello through a stuck network");
    bed.telegram.hang("getUpdates", 30_000);
    const timeoutMs = 6_000;

    // Act
    const error = await failure(guard, () => poll(bed, guard, { timeoutMs }));
    const lease = (await pollerItem(bed))?.lease_owner;
    const next = await poll(bed, guard);

    // Assert
    // Cut off by the deadline (the hang lasts 30 s, five times the invoke), not ended by the hang.
    expect(error.message).toMatch(/getUpdates did not answer before the invoke's deadline/);
    expect(lease).toBeUndefined();
    expect(next).toMatchObject({ handled: 1 });
    expect(repliesTo(bed, carol)).toEqual(["You said: hello through a stuck network"]);
    const stored = await storedConversation(bed, carol.user.id);
    expect(stored.map((m) => m.role)).toEqual(["user", "assistant"]);
  });
});
