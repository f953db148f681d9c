import { createHash, timingSafeEqual } from "node:crypto";
import type { Update } from "@grammyjs/types";
import * as z from "zod";
import { isPermanentFailure } from "../errors.js";
import { errorFields, type Logger } from "../log.js";
import type { UpdateOutcome } from "./dispatch.js";
import type { UpdateClaims } from "./ports.js";

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

/** A claim outlives its invoke's deadline by this much, so a slow finish is not taken for a dead one. */
const CLAIM_GRACE_MS = 10_000;

/** Largest webhook body accepted (Telegram updates are a few KB). */
export const MAX_WEBHOOK_BODY_BYTES = 1_000_000;

const updateShape = z.object({ update_id: z.number().int().nonnegative() }).passthrough();

/** Collaborators of {@link handleWebhook}. */
export interface WebhookDeps {
  readonly secret: string;
  readonly claims: UpdateClaims;
  readonly log: Logger;
  readonly maxAttempts: number;
  readonly handle: (update: Update) => Promise<UpdateOutcome>;
  readonly giveUp: (update: Update, err: unknown) => Promise<void>;
  readonly deadline: number;
  readonly now?: () => number;
  /**
   * Queues the update for another invoke of this function (an asynchronous
   * self-invoke), so Telegram gets its 200 at once instead of after the model
   * answered. Without it, or when it fails, the update is handled inline.
   */
  readonly handOff?: (update: Update) => Promise<void>;
}

/** The event a webhook delivery hands to the asynchronous invoke that answers it. */
export interface QueuedUpdateEvent {
  readonly source: "telegram-webhook";
  readonly update: Update;
}

/** Whether a Lambda event is a {@link QueuedUpdateEvent}. */
export function isQueuedUpdate(event: unknown): event is QueuedUpdateEvent {
  if (typeof event !== "object" || event === null) return false;
  const e = event as { source?: unknown; update?: { update_id?: unknown } };
  return e.source === "telegram-webhook" && typeof e.update?.update_id === "number";
}

/** Thrown by a queued invoke that should be retried by Lambda (its asynchronous retries). */
export class RetryLaterError extends Error {
  override name = "RetryLaterError";
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
 * body (401 otherwise), claims the update so a redelivery is answered once, and
 * runs the same dispatch as polling. A failure returns 500 so Telegram
 * redelivers, until the attempts run out and the user is told. A redelivery
 * while another delivery holds the claim gets 503 (retry later), never 200: the
 * holder may have died, and its claim lapses at its invoke's deadline + 10 s.
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
  if (raw.length > MAX_WEBHOOK_BODY_BYTES)
    return respond(413, { ok: false, error: "body too large" });
  let update: Update;
  try {
    update = updateShape.parse(JSON.parse(raw)) as unknown as Update;
  } catch {
    deps.log.warn("webhook body is not a Telegram update");
    return respond(400, { ok: false, error: "not a Telegram update" });
  }
  const attempt = await deps.claims.claim(update.update_id, deps.deadline + CLAIM_GRACE_MS, now());
  if (attempt === "done") {
    deps.log.info("webhook redelivery ignored: update already handled", {
      updateId: update.update_id,
    });
    return respond(200, { ok: true, duplicate: true });
  }
  if (attempt === "in_progress") {
    // Not 200: if the delivery holding the claim died, a 200 would lose the update for good.
    deps.log.info(
      "webhook redelivery while another delivery holds the update; asking Telegram to retry",
      {
        updateId: update.update_id,
      },
    );
    return respond(503, { ok: false, error: "update in progress; retry later" });
  }
  if (!deps.handOff) return handleInline(update, attempt, deps);
  const queued = await handOff(update, deps);
  if (queued === true) return respond(200, { ok: true, queued: true });
  return handleInline(update, queued, deps);
}

/**
 * Lets go of the claim and queues the update; the queued invoke claims it
 * again. @returns true once queued, or the attempt number of the claim taken
 * again when queueing failed, so the caller answers inline.
 */
async function handOff(update: Update, deps: WebhookDeps): Promise<true | number> {
  const handOffTo = deps.handOff;
  if (!handOffTo) throw new Error("no hand-off configured");
  await deps.claims.release(update.update_id, false);
  try {
    await handOffTo(update);
    deps.log.info("webhook update queued for an asynchronous invoke", {
      updateId: update.update_id,
    });
    return true;
  } catch (err) {
    deps.log.warn("could not queue the webhook update; answering it inline", {
      updateId: update.update_id,
      ...errorFields(err),
    });
    const again = await deps.claims.claim(
      update.update_id,
      deps.deadline + CLAIM_GRACE_MS,
      (deps.now ?? Date.now)(),
    );
    if (typeof again !== "number") throw new RetryLaterError("the update was claimed meanwhile");
    return again;
  }
}

async function handleInline(
  update: Update,
  attempt: number,
  deps: WebhookDeps,
): Promise<WebhookResponse> {
  const result = await runClaimed(update, attempt, deps, "Telegram will redeliver");
  return "retry" in result
    ? respond(500, { ok: false, error: "temporary failure" })
    : respond(200, { ok: true, outcome: result.outcome });
}

/**
 * Runs a claimed update once: marks it done, gives up on it (too many attempts,
 * or a failure no retry can fix) with a reply to its user, or lets go of the
 * claim so a retry can take it. The caller decides how that retry happens.
 */
async function runClaimed(
  update: Update,
  attempt: number,
  deps: Omit<WebhookDeps, "secret" | "handOff">,
  retriedBy: string,
): Promise<{ outcome: UpdateOutcome | "given_up" } | { retry: unknown }> {
  try {
    const outcome = await deps.handle(update);
    await deps.claims.release(update.update_id, true);
    return { outcome };
  } catch (err) {
    const fields = { updateId: update.update_id, attempt, ...errorFields(err) };
    if (attempt >= deps.maxAttempts || isPermanentFailure(err)) {
      deps.log.error("webhook update failed too often or for good; giving up", fields);
      await deps.giveUp(update, err).catch(() => undefined);
      await deps.claims.release(update.update_id, true);
      return { outcome: "given_up" };
    }
    deps.log.warn(`webhook update failed; ${retriedBy}`, fields);
    await deps.claims.release(update.update_id, false);
    return { retry: err };
  }
}

/**
 * Answers an update a webhook delivery queued ({@link QueuedUpdateEvent}).
 * Claims it first (a duplicate queued twice is answered once). A failure worth
 * retrying releases the claim and throws, so Lambda's asynchronous retries
 * (two by default) try again; after `maxAttempts` the user is told.
 */
export async function handleQueuedUpdate(
  update: Update,
  deps: Omit<WebhookDeps, "secret" | "handOff">,
): Promise<{ outcome: UpdateOutcome | "duplicate" | "given_up" }> {
  const now = deps.now ?? Date.now;
  const claimed = await deps.claims.claim(update.update_id, deps.deadline + CLAIM_GRACE_MS, now());
  if (claimed === "done") return { outcome: "duplicate" };
  if (claimed === "in_progress")
    throw new RetryLaterError(`update ${update.update_id} is being answered by another invoke`);
  // The delivery that queued the update claimed it once without trying it.
  const result = await runClaimed(update, claimed - 1, deps, "Lambda retries the queued invoke");
  if ("retry" in result) throw result.retry;
  return result;
}
