import { createHash, timingSafeEqual } from "node:crypto";
import type { Update } from "@grammyjs/types";
import { errorFields } from "../../../log.js";
import { type CheckedUpdate, parseUpdate } from "../checked-update.js";
import type { UpdateOutcome } from "../dispatch.js";
import { giveUpTooLarge, tooLargeToKeep } from "../handled.js";
import { answerInLane, drainLane, type LaneDeps, laneOf } from "./lane-drain.js";

/** The parts of a Lambda function URL request the webhook reads. */
export interface WebhookRequest {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/** A function URL response. */
export interface WebhookResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Collaborators of {@link handleWebhook}: the lane's plus the secret and the hand-off. */
export interface WebhookDeps extends LaneDeps {
  readonly secret: string;
  /**
   * Queues the update for another invoke of this function (an asynchronous
   * self-invoke), so Telegram gets its 200 at once instead of after the model
   * answered. Without it, or when it fails, the update is handled inline.
   */
  readonly handOff?: (update: Update) => Promise<void>;
  /**
   * Updates answered right here, outside the ledger and the sender's lane: a
   * Stop press (or /stop) must reach the answer the lane is busy with. They
   * only write a stop request, so answering one twice does no harm.
   */
  readonly urgent?: (update: CheckedUpdate) => boolean;
}

/** The event a webhook delivery hands to the asynchronous invoke that answers it. */
export interface QueuedUpdateEvent {
  readonly source: "telegram-webhook";
  readonly update: Update;
}

/**
 * The update of a Lambda event that is a {@link QueuedUpdateEvent}, checked
 * at `now` (the ledger keeps when it was first taken on); undefined for any
 * other event.
 */
export function queuedUpdateOf(event: unknown, now: number): CheckedUpdate | undefined {
  if (typeof event !== "object" || event === null) return undefined;
  const e = event as { source?: unknown; update?: unknown };
  return e.source === "telegram-webhook" ? parseUpdate(e.update, now) : undefined;
}

const respond = (statusCode: number, body: object): WebhookResponse => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** Compares secrets in constant time (hashing first makes lengths equal). */
export function secretsMatch(expected: string, given: string | undefined): boolean {
  if (!expected || given === undefined) return false;
  const a = createHash("sha256").update(expected).digest();
  const b = createHash("sha256").update(given).digest();
  return timingSafeEqual(a, b);
}

/**
 * Handles one Telegram webhook delivery: checks the secret before reading the
 * body (401 otherwise), gives up an update too large to store (200, its user
 * told: see `MAX_UPDATE_BYTES`), records the update in the ledger under its lane (a
 * redelivery of a finished update gets 200 and nothing more), then queues it
 * for an asynchronous invoke and answers 200 at once. Without a queue, or when
 * queueing fails, it drains the lane inline: 503 while another invoke holds
 * the lane (Telegram retries; the update is safe in the ledger), 500 when it
 * failed and will be retried.
 */
export async function handleWebhook(
  request: WebhookRequest,
  deps: WebhookDeps,
): Promise<WebhookResponse> {
  const now = deps.now ?? Date.now;
  const header = Object.entries(request.headers ?? {}).find(
    ([k]) => k.toLowerCase() === "x-telegram-bot-api-secret-token",
  )?.[1];
  if (!secretsMatch(deps.secret, header)) {
    deps.log.warn("webhook request refused: missing or wrong secret token");
    return respond(401, { ok: false, error: "unauthorized" });
  }
  const raw = request.isBase64Encoded
    ? Buffer.from(request.body ?? "", "base64").toString("utf8")
    : (request.body ?? "");
  let update: CheckedUpdate | undefined;
  try {
    update = parseUpdate(JSON.parse(raw), now());
  } catch {
    update = undefined;
  }
  if (update === undefined) {
    deps.log.warn("webhook body is not a Telegram update");
    return respond(400, { ok: false, error: "not a Telegram update" });
  }
  if (deps.urgent?.(update)) return answerUrgent(update, deps);
  const lane = laneOf(update);
  const tooLarge = tooLargeToKeep(Buffer.byteLength(raw));
  if (tooLarge) {
    // 200, not an error: Telegram would redeliver the same body for a day.
    await giveUpTooLarge(update, tooLarge, deps, { lane });
    return respond(200, { ok: true, outcome: "given_up", error: "update too large" });
  }
  const known = await deps.ledger.record(lane, update.raw, now());
  if (known === "done" || known === "failed") {
    deps.log.info("webhook redelivery ignored: update already handled", {
      updateId: update.updateId,
    });
    return respond(200, { ok: true, duplicate: true });
  }
  if (deps.handOff) {
    try {
      // A redelivery of a still-pending update is queued again: draining is idempotent.
      await deps.handOff(update.raw);
      deps.log.info("webhook update stored and queued for an asynchronous invoke", {
        updateId: update.updateId,
        lane,
      });
      return respond(200, { ok: true, queued: true });
    } catch (err) {
      deps.log.warn("could not queue the webhook update; answering it inline", {
        updateId: update.updateId,
        ...errorFields(err),
      });
    }
  }
  try {
    const drained = await drainLane(lane, deps, update.updateId);
    if (drained === "busy") {
      // Not 200: the holder may be dying; the update waits in the ledger either way.
      deps.log.info(
        "webhook update waits for another invoke answering its lane; asking Telegram to retry",
        {
          updateId: update.updateId,
          lane,
        },
      );
      return respond(503, { ok: false, error: "update in progress; retry later" });
    }
    const outcome = drained.get(update.updateId) ?? "duplicate";
    return respond(200, { ok: true, outcome });
  } catch (err) {
    deps.log.warn("webhook update not finished; it stays pending and Telegram redelivers", {
      updateId: update.updateId,
      ...errorFields(err),
    });
    return respond(500, { ok: false, error: "temporary failure" });
  }
}

async function answerUrgent(update: CheckedUpdate, deps: WebhookDeps): Promise<WebhookResponse> {
  try {
    const outcome = await deps.handle(update);
    return respond(200, { ok: true, outcome });
  } catch (err) {
    deps.log.warn("urgent webhook update failed; Telegram redelivers it", {
      updateId: update.updateId,
      ...errorFields(err),
    });
    return respond(500, { ok: false, error: "temporary failure" });
  }
}

/**
 * Answers an update a webhook delivery queued ({@link QueuedUpdateEvent}), in
 * its lane's order. Records it first, so an event replayed from the failure
 * destination works too. A failure worth retrying throws, so Lambda's
 * asynchronous retries try again; after `maxAttempts` the user is told and the
 * update is listed as failed.
 */
export async function handleQueuedUpdate(
  update: CheckedUpdate,
  deps: LaneDeps,
): Promise<{ outcome: UpdateOutcome | "duplicate" | "given_up" }> {
  const lane = laneOf(update);
  const now = (deps.now ?? Date.now)();
  const known = await deps.ledger.status(lane, update.raw, now);
  if (known === "done" || known === "failed") return { outcome: "duplicate" };
  if (known === undefined) await deps.ledger.record(lane, update.raw, now);
  return { outcome: await answerInLane(update, deps) };
}
