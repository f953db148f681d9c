import { type AddressInfo, createServer } from "node:net";
import { describe, expect, it } from "@jest/globals";
import { useFaultBed } from "./fault-bed.js";
import {
  botId,
  countContaining,
  failure,
  person,
  poll,
  pollerItem,
  repliesTo,
  storedConversation,
} from "./support.js";

describe("faults: Telegram refuses, throttles or is unreachable", () => {
  const { bed, guard } = useFaultBed({ env: { STREAM_REPLIES: "true" } });

  it("Telegram 429 with retry_after 2: the reply waits that long, is sent once and stored", async () => {
    // Arrange
    const ada = person("Ada");
    bed.telegram.pushText(ada.user, ada.chat, "rate limited hello");
    bed.telegram.failNext("sendMessage", {
      status: 429,
      description: "Too Many Requests: retry after 2",
      retryAfter: 2,
    });

    // Act
    const summary = await poll(bed, guard);

    // Assert
    expect(summary).toMatchObject({ status: "ok", handled: 1, failed: 0 });
    const sends = bed.telegram
      .requests("sendMessage")
      .filter((r) => r.params.chat_id === ada.chat.id);
    expect(sends.map((r) => r.status)).toEqual([429, 200]);
    const [first, second] = sends;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(2_000);
    expect(countContaining(repliesTo(bed, ada), "You said: rate limited hello")).toBe(1);
    const stored = await storedConversation(bed, ada.user.id);
    expect(stored.map((m) => m.role)).toEqual(["user", "assistant"]);
  });

  it("Telegram 500 twice: retried with backoff, the third attempt delivers the reply once", async () => {
    // Arrange
    const bob = person("Bob");
    bed.telegram.pushText(bob.user, bob.chat, "flaky server hello");
    bed.telegram.failNext("sendMessage", { status: 500, description: "Internal Server Error" }, 2);

    // Act
    const summary = await poll(bed, guard);

    // Assert
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    const sends = bed.telegram
      .requests("sendMessage")
      .filter((r) => r.params.chat_id === bob.chat.id);
    expect(sends.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(repliesTo(bed, bob).filter((t) => t.includes("flaky server hello"))).toHaveLength(1);
  });

  it("Telegram 500 on every attempt: retries are bounded, the update is kept and answered once by the next invoke", async () => {
    // Arrange
    const carol = person("Carol");
    const updateId = bed.telegram.pushText(carol.user, carol.chat, "persistent outage hello");
    bed.telegram.failNext("sendMessage", { status: 500, description: "Internal Server Error" }, 4);
    const noStreaming = { STREAM_REPLIES: "false" };

    // Act
    const first = await poll(bed, guard, { env: noStreaming });
    const offsetAfterFailure = (await pollerItem(bed))?.next_offset;
    const second = await poll(bed, guard, { env: noStreaming });

    // Assert
    expect(first).toMatchObject({ handled: 0, failed: 1 });
    expect(first.errors.join("\n")).toContain("500");
    expect(offsetAfterFailure).toBe(updateId);
    expect(second).toMatchObject({ handled: 1, failed: 0 });
    const sends = bed.telegram
      .requests("sendMessage")
      .filter((r) => r.params.chat_id === carol.chat.id);
    expect(sends.map((r) => r.status)).toEqual([500, 500, 500, 500, 200]);
    expect(repliesTo(bed, carol)).toEqual(["You said: persistent outage hello"]);
    expect((await storedConversation(bed, carol.user.id)).map((m) => m.role)).toEqual([
      "user",
      "assistant",
    ]);
  });

  it("403 from a user who blocked the bot: their reply is skipped, the others are served, nothing is retried", async () => {
    // Arrange
    const dave = person("Dave");
    const erin = person("Erin");
    bed.telegram.blockBy(dave.chat.id);
    bed.telegram.pushText(dave.user, dave.chat, "I blocked you");
    bed.telegram.pushText(erin.user, erin.chat, "I did not");

    // Act
    const first = await poll(bed, guard);
    const davesAttempts = bed.telegram
      .requests("sendMessage")
      .filter((r) => r.params.chat_id === dave.chat.id).length;
    const second = await poll(bed, guard);

    // Assert
    expect(first).toMatchObject({ updates: 2, handled: 1, skipped: 1, failed: 0 });
    expect(repliesTo(bed, erin)).toEqual(["You said: I did not"]);
    expect(repliesTo(bed, dave)).toEqual([]);
    expect(second).toMatchObject({ updates: 0 });
    expect(
      bed.telegram.requests("sendMessage").filter((r) => r.params.chat_id === dave.chat.id),
    ).toHaveLength(davesAttempts);
  });

  it("webhook set → getUpdates 409: said once at info level (not an error every invoke), nothing crashes or is lost", async () => {
    // Arrange
    const fay = person("Fay");
    bed.telegram.pushText(fay.user, fay.chat, "are you polling?");
    bed.telegram.setWebhook("https://example.org/telegram-hook");

    // Act
    const { result: conflicted, logs } = await bed.captureLogs(() => poll(bed, guard));
    const { result: again, logs: laterLogs } = await bed.captureLogs(() => poll(bed, guard));
    bed.telegram.setWebhook(undefined);
    const afterDelete = await poll(bed, guard);

    // Assert
    expect(conflicted).toMatchObject({ status: "conflict", updates: 0, handled: 0 });
    expect(conflicted.message).toContain("409 Conflict");
    expect(conflicted.message).toContain("a webhook is set");
    expect(conflicted.message).toContain("Delete the webhook");
    const said = logs.filter((l) => l.includes("409") && !l.includes('"level":"debug"'));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('"level":"info"');
    expect(said[0]).toContain("webhook");
    expect(again.status).toBe("conflict");
    const saidAgain = laterLogs.filter((l) => l.includes("409") && !l.includes('"level":"debug"'));
    expect(saidAgain).toEqual([]);
    for (const line of [...logs, ...laterLogs]) expect(line).not.toContain('"level":"error"');
    expect((await pollerItem(bed))?.lease_owner).toBeUndefined();
    expect(afterDelete).toMatchObject({ status: "ok", handled: 1 });
    expect(repliesTo(bed, fay)).toEqual(["You said: are you polling?"]);
  });

  it("Telegram unreachable: the invoke fails with a clear message after bounded retries and loses nothing", async () => {
    // Arrange: a port that accepts and drops every connection, counting them.
    const gus = person("Gus");
    bed.telegram.pushText(gus.user, gus.chat, "anyone home?");
    let connections = 0;
    const dropper = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => dropper.listen(0, "127.0.0.1", resolve));
    const { port } = dropper.address() as AddressInfo;
    const unreachable = { TELEGRAM_API_URL: `http://127.0.0.1:${port}` };

    // Act
    const error = await failure(guard, () => poll(bed, guard, { env: unreachable }));
    await new Promise<void>((resolve) => dropper.close(() => resolve()));
    const lease = (await pollerItem(bed))?.lease_owner;
    const next = await poll(bed, guard, { env: { TELEGRAM_API_URL: bed.telegram.url } });

    // Assert: bounded by the retry policy's attempts (4), not by time.
    expect(error.message).toMatch(/Telegram getUpdates could not be reached/);
    expect(connections).toBe(4);
    expect(lease).toBeUndefined();
    expect(next).toMatchObject({ handled: 1 });
    expect(repliesTo(bed, gus)).toEqual(["You said: anyone home?"]);
  });

  it("token rejected (401): the invoke fails with one clear TokenRejectedError that never contains the token; nothing is lost", async () => {
    // Arrange
    const hal = person("Hal");
    bed.telegram.pushText(hal.user, hal.chat, "is the token right?");
    const wrongToken = `${botId(bed)}:AAwrongTOKENwrongTOKENwrong`;

    // Act
    const error = await failure(guard, () =>
      poll(bed, guard, { env: { TELEGRAM_BOT_TOKEN: wrongToken } }),
    );
    const lease = (await pollerItem(bed))?.lease_owner;
    const next = await poll(bed, guard);

    // Assert
    expect(error.name).toBe("TokenRejectedError");
    expect(error.message).toMatch(/Telegram rejected the bot token \(getUpdates: 401/);
    expect(error.message).toContain("@BotFather");
    expect(`${error.message}${error.stack ?? ""}`).not.toContain("AAwrongTOKEN");
    expect(lease).toBeUndefined();
    expect(next).toMatchObject({ handled: 1 });
    expect(repliesTo(bed, hal)).toEqual(["You said: is the token right?"]);
  });

  it("token that is not one (404 Not Found): also a TokenRejectedError, not a retry loop", async () => {
    // Arrange
    bed.telegram.failNext("getUpdates", { status: 404, description: "Not Found" });
    const before = bed.telegram.requests("getUpdates").length;

    // Act
    const error = await failure(guard, () => poll(bed, guard));

    // Assert
    expect(error.name).toBe("TokenRejectedError");
    expect(error.message).toMatch(/getUpdates: 404 Not Found/);
    expect(bed.telegram.requests("getUpdates").length - before).toBe(1);
  });
});
