import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "@jest/globals";
import { coldStart } from "../harness/lambda.js";
import { useFaultBed } from "./fault-bed.js";
import {
  botId,
  type PollSummary,
  person,
  poll,
  pollerItem,
  repliesTo,
  sleep,
  storedConversation,
  waitFor,
} from "./support.js";

describe("faults: two invokes poll at the same time", () => {
  const { bed, guard } = useFaultBed({ resetOllama: true });

  /** Invokes a fresh copy of the bundle, timing it. */
  const timedInvoke = async (delayMs = 0) => {
    const lambda = coldStart(bed.env);
    await sleep(delayMs);
    const started = Date.now();
    const summary = await lambda.invoke<PollSummary>({});
    guard.record(summary);
    return { summary, started, ended: Date.now() };
  };

  it("concurrent invokes: of two cold starts invoked at once exactly one polls, the other returns promptly saying another poller holds the lease", async () => {
    // Arrange
    const people = [person("Ada"), person("Bob"), person("Carol")];
    for (const p of people)
      bed.telegram.pushText(p.user, p.chat, `hello from ${p.user.first_name}`);
    bed.ollama.latencyMs = 2_000;

    // Act
    const [a, b] = await Promise.all([timedInvoke(), timedInvoke()]);

    // Assert
    const outcomes = [a, b].sort((x, y) => x.summary.status.localeCompare(y.summary.status));
    const [busy, polled] = outcomes;
    expect(busy?.summary).toMatchObject({ status: "busy", updates: 0, handled: 0 });
    expect(busy?.summary.message).toMatch(/another poller holds the lease/i);
    expect(polled?.summary).toMatchObject({ status: "ok", updates: 3, handled: 3 });
    // Promptly: done before the other invoke's first reply (its model takes 2 s), whatever the machine's speed.
    const firstReplyAt = Math.min(...bed.telegram.requests("sendMessage").map((r) => r.at));
    expect(busy?.ended ?? Number.POSITIVE_INFINITY).toBeLessThan(firstReplyAt);
    expect(busy?.ended ?? 0).toBeLessThan(polled?.ended ?? 0);
    expect(bed.ollama.chats()).toHaveLength(3);
    for (const p of people) {
      expect(repliesTo(bed, p)).toEqual([`You said: hello from ${p.user.first_name}`]);
      const stored = await storedConversation(bed, p.user.id);
      expect(stored.map((m) => m.role)).toEqual(["user", "assistant"]);
    }
    // Only one of them polled: two pollers at once end each other's long polls with 409.
    const polls = bed.telegram.requests("getUpdates");
    expect(polls.length).toBeGreaterThanOrEqual(1);
    expect(polls.filter((r) => r.status !== 200)).toEqual([]);
  });

  it("a manual invoke during a scheduled one is refused while the batch runs; the lease is released when it ends", async () => {
    // Arrange
    const dave = person("Dave");
    for (const n of [1, 2, 3]) bed.telegram.pushText(dave.user, dave.chat, `scheduled ${n}`);
    bed.ollama.latencyMs = 600;
    const getUpdatesBefore = bed.telegram.requests("getUpdates").length;

    // Act
    const [scheduled, manual] = await Promise.all([timedInvoke(), timedInvoke(700)]);
    const leaseAfter = await pollerItem(bed);
    const next = await poll(bed, guard);

    // Assert
    expect(manual.started).toBeLessThan(scheduled.ended);
    expect(manual.summary.status).toBe("busy");
    expect(scheduled.summary).toMatchObject({ status: "ok", handled: 3 });
    expect(leaseAfter?.lease_owner).toBeUndefined();
    expect(leaseAfter?.lease_until).toBeUndefined();
    expect(next).toMatchObject({ status: "ok", updates: 0 });
    const polls = bed.telegram.requests("getUpdates").slice(getUpdatesBefore);
    expect(polls.length).toBeGreaterThanOrEqual(2);
    expect(polls.filter((r) => r.status !== 200)).toEqual([]);
    expect(repliesTo(bed, dave)).toEqual([1, 2, 3].map((n) => `You said: scheduled ${n}`));
  });

  it("ten invokes racing for the lease: one polls, nine report busy, every update is answered once", async () => {
    // Arrange
    const people = [person("Erin"), person("Fay")];
    for (const p of people) bed.telegram.pushText(p.user, p.chat, `race ${p.user.first_name}`);
    bed.ollama.latencyMs = 500;

    // Act
    const results = await Promise.all(Array.from({ length: 10 }, () => timedInvoke()));

    // Assert
    const statuses = results.map((r) => r.summary.status);
    expect(statuses.filter((s) => s === "ok")).toHaveLength(1);
    expect(statuses.filter((s) => s === "busy")).toHaveLength(9);
    for (const p of people)
      expect(repliesTo(bed, p)).toEqual([`You said: race ${p.user.first_name}`]);
    expect(bed.ollama.chats()).toHaveLength(2);
  });

  it("lease lost mid-batch (another poller took it over): this one stops taking work, stores nothing more, and the rest is answered once by the next poll", async () => {
    // Arrange: four slow messages in one chat
    const gus = person("Gus");
    const ids = [1, 2, 3, 4].map((n) => bed.telegram.pushText(gus.user, gus.chat, `stolen ${n}`));
    bed.ollama.latencyMs = 1_000;
    const key = { PK: `BOT#${botId(bed)}`, SK: "POLLER" };
    const offsetBefore = (await pollerItem(bed))?.next_offset;

    // Act: once the first answer is out, another poller takes the lease
    const running = timedInvoke();
    await waitFor(() => repliesTo(bed, gus).length >= 1, 10_000, "the first answer");
    await bed.aws.db.send(
      new UpdateCommand({
        TableName: bed.aws.table,
        Key: key,
        UpdateExpression: "SET lease_owner = :thief, lease_until = :until",
        ExpressionAttributeValues: {
          ":thief": "another-invocation",
          ":until": Date.now() + 60_000,
        },
      }),
    );
    const { summary: robbed } = await running;
    const afterRobbery = await pollerItem(bed);
    await bed.aws.db.send(
      new UpdateCommand({
        TableName: bed.aws.table,
        Key: key,
        UpdateExpression: "REMOVE lease_owner, lease_until",
      }),
    );
    bed.ollama.latencyMs = 0;
    const next = await poll(bed, guard);

    // Assert
    expect(robbed.message).toMatch(/lost the poller lease/i);
    expect(robbed.deferred).toBeGreaterThanOrEqual(1);
    expect(robbed.handled).toBeLessThan(4);
    expect(afterRobbery?.lease_owner).toBe("another-invocation");
    expect(afterRobbery?.next_offset).toBe(offsetBefore);
    expect(next).toMatchObject({ status: "ok", updates: 4, failed: 0 });
    expect(next.handled + next.duplicates).toBe(4);
    expect(repliesTo(bed, gus)).toEqual([1, 2, 3, 4].map((n) => `You said: stolen ${n}`));
    const stored = await storedConversation(bed, gus.user.id);
    expect(stored.filter((m) => m.role === "user").map((m) => m.update_id)).toEqual(ids);
  });
});
