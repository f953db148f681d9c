import type { Context } from "aws-lambda";
import type { PollSummary } from "./app/poller.js";
import type { WebhookRequest, WebhookResponse } from "./app/webhook.js";
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
 * delivery; any other event (`{}` from `aws lambda invoke`, a schedule) polls
 * Telegram once and returns a summary. Config is parsed and clients are built
 * on the first invoke only; a bad config fails the invoke with a message
 * naming the variable.
 */
export async function handler(
  event: unknown,
  context: Pick<Context, "getRemainingTimeInMillis" | "awsRequestId">,
): Promise<PollSummary | WebhookResponse> {
  app ??= createApp(loadConfig(process.env));
  const deadline = Date.now() + context.getRemainingTimeInMillis();
  if (isHttpRequest(event)) return app.webhook(event, deadline, context.awsRequestId);
  return app.poll(deadline, context.awsRequestId);
}
