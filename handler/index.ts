import type { Context } from "aws-lambda";
import { lambdaHandOff } from "./adapters/lambda-handoff.js";
import type { PollSummary } from "./app/intake/polling/poller.js";
import {
  queuedUpdateOf,
  type WebhookRequest,
  type WebhookResponse,
} from "./app/intake/webhook/webhook.js";
import { type App, createApp } from "./composition.js";
import { loadConfig } from "./config.js";

let app: App | undefined;

/** A Lambda function URL request (webhook mode) carries HTTP details; a poll invoke does not. */
function isHttpRequest(event: unknown): event is WebhookRequest {
  return (
    typeof event === "object" && event !== null && "requestContext" in event && "headers" in event
  );
}

/**
 * Lambda entry (`index.handler`). A function URL request is a Telegram webhook
 * delivery, queued for an asynchronous invoke of this function (which gets a
 * `{ source: "telegram-webhook", update }` event) so Telegram hears 200 at
 * once; any other event (`{}` from `aws lambda invoke`, a schedule) polls
 * Telegram once and returns a summary. Config is parsed and clients are built
 * on the first invoke only; a bad config fails the invoke with a message
 * naming the variable.
 */
export async function handler(
  event: unknown,
  context: Pick<Context, "getRemainingTimeInMillis" | "awsRequestId">,
): Promise<PollSummary | WebhookResponse | { outcome: string }> {
  // Lambda's own reserved variable: the function can queue work for itself.
  const self = process.env.AWS_LAMBDA_FUNCTION_NAME;
  app ??= createApp(loadConfig(process.env), self ? { handOff: lambdaHandOff(self) } : {});
  const deadline = Date.now() + context.getRemainingTimeInMillis();
  if (isHttpRequest(event)) return app.webhook(event, deadline, context.awsRequestId);
  const queued = queuedUpdateOf(event, Date.now());
  if (queued) return app.queued(queued, deadline, context.awsRequestId);
  return app.poll(deadline, context.awsRequestId);
}
