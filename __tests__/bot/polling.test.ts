import { describe, expect, it } from "@jest/globals";
import { useTestBed } from "../harness/bed.js";
import { coldStart } from "../harness/lambda.js";

const ada = { id: 1001, first_name: "Ada", username: "ada" };
const bob = { id: 1002, first_name: "Bob" };
const privateChat = (u: { id: number }) => ({ id: u.id, type: "private" as const });

describe("polling: each invoke answers every pending update once", () => {
  // Telegram's limits, with a short penalty: a backlog answered as drafts (a frame and the
  // final message each) trips the per-chat limit, and the bot must wait it out, not fail.
  const bed = useTestBed({ telegram: { flood: { retryAfterSeconds: 2 } } });

  it("answers two users in one invoke, each with the default model, and returns a summary", async () => {
    // Prepare
    bed.telegram.pushText(ada, privateChat(ada), "Hello from Ada");
    bed.telegram.pushText(bob, privateChat(bob), "Hello from Bob");
    const lambda = coldStart(bed.env);

    // Act
    const summary = await lambda.invoke({});

    // Assess
    expect(summary).toMatchObject({ status: "ok", updates: 2, handled: 2, failed: 0 });
    expect(bed.telegram.sentMessages(ada.id).at(-1)?.text).toContain("Hello from Ada");
    expect(bed.telegram.sentMessages(bob.id).at(-1)?.text).toContain("Hello from Bob");
    const chats = bed.ollama.requests().filter((r) => r.path === "/api/chat");
    expect(chats).toHaveLength(2);
    for (const r of chats) {
      expect(r.body.model).toBe("llama3");
      expect(r.body.options?.num_ctx).toBeGreaterThan(0);
    }
  });

  it("an update over 256 KB is given up at once (its user told), never stored in the poller item, and the next one answered", async () => {
    // Prepare: Telegram's texts stop at 4096 characters; a quoted message here is padded past the cap
    const huge = { message_id: 1, date: 0, chat: privateChat(bob), text: "x".repeat(300 * 1024) };
    bed.telegram.pushText(bob, privateChat(bob), "look at this", { reply_to_message: huge });
    bed.telegram.pushText(bob, privateChat(bob), "after the big one");
    const before = bed.telegram.sentMessages(bob.id).length;

    // Act
    const first = await coldStart(bed.env).invoke({});
    const second = await coldStart(bed.env).invoke({});

    // Assess
    expect(first).toMatchObject({ updates: 2, givenUp: 1, handled: 1, failed: 0 });
    expect(second).toMatchObject({ updates: 0 });
    const texts = bed.telegram
      .sentMessages(bob.id)
      .slice(before)
      .map((m) => m.text);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toMatch(
      /your message is too large for me \(30\d KB; I can take at most 256 KB\)/,
    );
    expect(texts[1]).toContain("after the big one");
  });

  it("updates that do not fit the pending list's bytes wait at Telegram while the answers run, without asking again and again", async () => {
    // Prepare: three updates of ~100 KB (quoted messages); two fit the 256 KB of pending updates
    const quoted = (n: number) => ({
      message_id: n,
      date: 0,
      chat: privateChat(ada),
      text: `${n}`.repeat(100 * 1024),
    });
    for (const n of [1, 2, 3])
      bed.telegram.pushText(ada, privateChat(ada), `big ${n}`, { reply_to_message: quoted(n) });
    bed.ollama.latencyMs = 1_500;
    const callsBefore = bed.telegram.requests("getUpdates").length;

    // Act
    const summary = await coldStart(bed.env).invoke({});
    bed.ollama.latencyMs = 0;

    // Assess: all three answered in order, with a handful of getUpdates calls, not a loop
    expect(summary).toMatchObject({ updates: 3, handled: 3, failed: 0 });
    expect(
      bed.telegram
        .sentMessages(ada.id)
        .map((m) => m.text)
        .filter((t) => t.startsWith("You said: big")),
    ).toEqual(["You said: big 1", "You said: big 2", "You said: big 3"]);
    expect(bed.telegram.requests("getUpdates").length - callsBefore).toBeLessThan(12);
  });

  it("continues from the stored offset after a cold start: nothing answered twice, nothing skipped", async () => {
    // Prepare
    bed.telegram.pushText(ada, privateChat(ada), "first after restart");
    const before = bed.telegram.sentMessages(ada.id).length;

    // Act
    const first = await coldStart(bed.env).invoke({});
    bed.telegram.pushText(ada, privateChat(ada), "second after restart");
    const second = await coldStart(bed.env).invoke({});
    const third = await coldStart(bed.env).invoke({});

    // Assess
    expect(first).toMatchObject({ updates: 1, handled: 1 });
    expect(second).toMatchObject({ updates: 1, handled: 1 });
    expect(third).toMatchObject({ updates: 0, handled: 0 });
    const texts = bed.telegram
      .sentMessages(ada.id)
      .slice(before)
      .map((m) => m.text);
    expect(texts.filter((t) => t.includes("first after restart"))).toHaveLength(1);
    expect(texts.filter((t) => t.includes("second after restart"))).toHaveLength(1);
  });

  it("answers a whole backlog on the first run, not only the newest message", async () => {
    // Prepare
    const carol = { id: 1003, first_name: "Carol" };
    for (let i = 1; i <= 5; i++) bed.telegram.pushText(carol, privateChat(carol), `backlog ${i}`);

    // Act
    const summary = await coldStart(bed.env).invoke({});

    // Assess
    expect(summary).toMatchObject({ handled: 5 });
    const texts = bed.telegram.sentMessages(carol.id).map((m) => m.text);
    for (let i = 1; i <= 5; i++) expect(texts.some((t) => t.includes(`backlog ${i}`))).toBe(true);
    // Same chat, strictly in order.
    const order = texts.map((t) => /backlog (\d)/.exec(t)?.[1]).filter(Boolean);
    expect(order).toEqual(["1", "2", "3", "4", "5"]);
  });

  it("never writes the bot token into any log line", async () => {
    // Prepare
    bed.telegram.pushText(ada, privateChat(ada), "/status");

    // Act
    const { logs } = await bed.captureLogs(() => coldStart(bed.env).invoke({}));

    // Assess
    expect(logs.length).toBeGreaterThan(0);
    for (const line of logs) expect(line).not.toContain(bed.env.TELEGRAM_BOT_TOKEN);
  });
});
