import { describe, expect, it } from "@jest/globals";
import { allLogs, coldStart } from "../harness/lambda.js";
import { spawnLambda } from "./child-lambda.js";
import { useFaultBed } from "./fault-bed.js";
import {
  ledgerItem,
  person,
  repliesTo,
  sleep,
  storedConversation,
  type UrlResponse,
  userItems,
  WEBHOOK_SECRET,
  waitFor,
  webhookDelivery,
  webhookUpdate,
} from "./support.js";

describe("faults: webhook deliveries (function URL)", () => {
  const { bed, guard } = useFaultBed({
    env: { TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET },
    resetOllama: true,
  });
  bed.beforeClose(() => {
    expect(allLogs().filter((line) => line.includes(WEBHOOK_SECRET))).toEqual([]);
  });

  const deliver = async (request: object, timeoutMs?: number): Promise<UrlResponse> => {
    const response = await coldStart(bed.env).invoke<UrlResponse>(request, { timeoutMs });
    guard.record(response);
    return response;
  };

  it("webhook with the right secret: 200, the update is answered and stored, its ledger entry marked done", async () => {
    // Arrange
    const ada = person("Ada");
    const update = webhookUpdate(ada, "hello over the webhook");

    // Act
    const response = await deliver(webhookDelivery(update, WEBHOOK_SECRET));

    // Assert
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ ok: true, outcome: "handled" });
    expect(repliesTo(bed, ada)).toEqual(["You said: hello over the webhook"]);
    const stored = await storedConversation(bed, ada.user.id);
    expect(stored.map((m) => [m.role, m.content])).toEqual([
      ["user", "hello over the webhook"],
      ["assistant", "You said: hello over the webhook"],
    ]);
    expect(await ledgerItem(bed, ada, update.update_id)).toMatchObject({
      status: "done",
      attempts: 1,
    });
  });

  it("webhook with a wrong secret: 401, nothing processed, nothing stored, nothing sent", async () => {
    // Arrange
    const bob = person("Bob");
    const update = webhookUpdate(bob, "let me in");

    // Act
    const wrong = await deliver(webhookDelivery(update, "not-the-secret"));
    const almost = await deliver(webhookDelivery(update, `${WEBHOOK_SECRET}x`));
    const garbage = await deliver(webhookDelivery(update, "nope", "{this is not json"));

    // Assert
    for (const response of [wrong, almost, garbage]) {
      expect(response.statusCode).toBe(401);
      expect(response.body).not.toContain("let me in");
    }
    expect(bed.ollama.chats()).toEqual([]);
    expect(await userItems(bed, bob.user.id)).toEqual([]);
    expect(await ledgerItem(bed, bob, update.update_id)).toBeUndefined();
    expect(repliesTo(bed, bob)).toEqual([]);
  });

  it("webhook with the right secret but a body that is no update: 400, nothing processed or stored, the next delivery served", async () => {
    // Arrange
    const bea = person("Bea");
    const update = webhookUpdate(bea, "after the garbage");
    const bodies = ["{this is not json", '{"hello":"world"}', "[1,2,3]", ""];

    // Act
    const refused: UrlResponse[] = [];
    for (const body of bodies)
      refused.push(await deliver(webhookDelivery(update, WEBHOOK_SECRET, body)));
    const chatsAfterGarbage = bed.ollama.chats().length;
    const ledgerAfterGarbage = await ledgerItem(bed, bea, update.update_id);
    const next = await deliver(webhookDelivery(update, WEBHOOK_SECRET));

    // Assert: the secret passed, so each refusal is the parse branch's 400, not a 401.
    expect(refused.map((r) => [r.statusCode, JSON.parse(r.body)])).toEqual(
      bodies.map(() => [400, { ok: false, error: "not a Telegram update" }]),
    );
    expect(chatsAfterGarbage).toBe(0);
    expect(ledgerAfterGarbage).toBeUndefined();
    expect(next.statusCode).toBe(200);
    expect(repliesTo(bed, bea)).toEqual(["You said: after the garbage"]);
  });

  it("webhook with the secret missing: 401, nothing processed, nothing stored, nothing sent", async () => {
    // Arrange
    const carol = person("Carol");
    const update = webhookUpdate(carol, "no header at all");

    // Act
    const response = await deliver(webhookDelivery(update, undefined));

    // Assert
    expect(response.statusCode).toBe(401);
    expect(bed.ollama.chats()).toEqual([]);
    expect(await userItems(bed, carol.user.id)).toEqual([]);
    expect(await ledgerItem(bed, carol, update.update_id)).toBeUndefined();
    expect(repliesTo(bed, carol)).toEqual([]);
  });

  it("webhook body over the stored-update cap (256 KB, DynamoDB holds 400 KB an item): 200, the user told, nothing stored or sent to the model", async () => {
    // Arrange: Telegram's own texts stop at 4096 characters; a forged or broken body need not
    const gus = person("Gus");
    const huge = { ...webhookUpdate(gus, "short text"), padding: "x".repeat(300 * 1024) };
    const fits = { ...webhookUpdate(gus, "padded but fine"), padding: "y".repeat(200 * 1024) };
    const logsBefore = allLogs().length;

    // Act
    const refused = await deliver(webhookDelivery(huge, WEBHOOK_SECRET));
    const accepted = await deliver(webhookDelivery(fits, WEBHOOK_SECRET));

    // Assert
    expect(refused.statusCode).toBe(200);
    expect(JSON.parse(refused.body)).toMatchObject({ ok: true, outcome: "given_up" });
    expect(await ledgerItem(bed, gus, huge.update_id)).toBeUndefined();
    const logged = allLogs()
      .slice(logsBefore)
      .filter((l) => l.includes("too large to store"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toEqual([
      expect.objectContaining({ updateId: huge.update_id, limit: 256 * 1024 }),
    ]);
    expect(accepted.statusCode).toBe(200);
    expect(await ledgerItem(bed, gus, fits.update_id)).toMatchObject({ status: "done" });
    expect(repliesTo(bed, gus)).toEqual([
      expect.stringMatching(
        /your message is too large for me \(301 KB; I can take at most 256 KB\)/,
      ),
      "You said: padded but fine",
    ]);
    expect(bed.ollama.chats()).toHaveLength(1);
  });

  it("webhook redelivery of the same update_id: answered once, the redelivery acknowledged as a duplicate", async () => {
    // Arrange
    const dave = person("Dave");
    const update = webhookUpdate(dave, "say this once");

    // Act
    const first = await deliver(webhookDelivery(update, WEBHOOK_SECRET));
    const second = await deliver(webhookDelivery(update, WEBHOOK_SECRET));

    // Assert
    expect(first.statusCode).toBe(200);
    expect(second.statusCode).toBe(200);
    expect(JSON.parse(second.body)).toMatchObject({ ok: true, duplicate: true });
    expect(repliesTo(bed, dave)).toEqual(["You said: say this once"]);
    expect(bed.ollama.chats()).toHaveLength(1);
    expect(await ledgerItem(bed, dave, update.update_id)).toMatchObject({
      status: "done",
      attempts: 1,
    });
  });

  it("webhook redelivery while the first delivery is still being answered: answered once, the redelivery told to come back later", async () => {
    // Arrange
    const erin = person("Erin");
    const update = webhookUpdate(erin, "slow model, impatient Telegram");
    bed.ollama.latencyMs = 3_000;

    // Act
    const firstDelivery = deliver(webhookDelivery(update, WEBHOOK_SECRET));
    await waitFor(() => bed.ollama.inFlight > 0, 5_000, "the first delivery to reach the model");
    const during = await deliver(webhookDelivery(update, WEBHOOK_SECRET));
    const first = await firstDelivery;
    const after = await deliver(webhookDelivery(update, WEBHOOK_SECRET));

    // Assert
    expect(first.statusCode).toBe(200);
    expect(during.statusCode).toBe(503);
    expect(JSON.parse(during.body)).toMatchObject({ ok: false });
    expect(after.statusCode).toBe(200);
    expect(JSON.parse(after.body)).toMatchObject({ duplicate: true });
    expect(repliesTo(bed, erin)).toEqual(["You said: slow model, impatient Telegram"]);
    expect(bed.ollama.chats()).toHaveLength(1);
  });

  it("webhook crash mid-answer (SIGKILL): redeliveries are refused with 503, never swallowed, until the dead lane lease lapses; then it is answered once", async () => {
    // Arrange: the child's lane lease lapses at most 15 s after its last renewal, whatever its timeout
    const fay = person("Fay");
    const update = webhookUpdate(fay, "answer me despite the crash");
    bed.ollama.latencyMs = 2_000;
    const child = spawnLambda(bed.env, webhookDelivery(update, WEBHOOK_SECRET), 60_000);

    // Act: kill it at the model; Telegram then redelivers every second
    await waitFor(() => bed.ollama.inFlight > 0, 10_000, "the child to reach the model");
    child.kill();
    const exit = await child.exited;
    guard.record(child.output().join("\n"));
    bed.ollama.latencyMs = 0;
    const statuses: number[] = [];
    let last: UrlResponse | undefined;
    const until = Date.now() + 25_000;
    while (Date.now() < until) {
      last = await deliver(webhookDelivery(update, WEBHOOK_SECRET));
      statuses.push(last.statusCode);
      if (last.statusCode !== 503) break;
      await sleep(1_000);
    }

    // Assert
    expect(exit.signal).toBe("SIGKILL");
    expect(statuses.length).toBeGreaterThan(1);
    expect(statuses.slice(0, -1).every((s) => s === 503)).toBe(true);
    expect(last?.statusCode).toBe(200);
    expect(JSON.parse(last?.body ?? "{}")).toMatchObject({ ok: true, outcome: "handled" });
    expect(repliesTo(bed, fay).filter((t) => t.startsWith("You said"))).toEqual([
      "You said: answer me despite the crash",
    ]);
    expect(await ledgerItem(bed, fay, update.update_id)).toMatchObject({
      status: "done",
      attempts: 2,
    });
    const stored = await storedConversation(bed, fay.user.id);
    expect(stored.filter((m) => m.role === "user").map((m) => m.content)).toEqual([
      "answer me despite the crash",
    ]);
  }, 40_000);
});
