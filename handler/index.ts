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
import { publishEmf } from "./metrics/emf.js";
import { withSecretsFromSsm } from "./settings-from-ssm.js";

let starting: Promise<App> | undefined;

/** A Lambda function URL request (webhook mode) carries HTTP details; a poll invoke does not. */
function isHttpRequest(event: unknown): event is WebhookRequest {
  return (
    typeof event === "object" && event !== null && "requestContext" in event && "headers" in event
  );
}

/**
 * Config and clients, once per execution environment: secrets named by a
 * `…_PARAMETER` setting are read from SSM here, into the config and never
 * into `process.env`. A failure is not kept: the next invoke tries again.
 */
function start(): Promise<App> {
  starting ??= (async () => {
    // Lambda's own reserved variable: the function can queue work for itself.
    const self = process.env.AWS_LAMBDA_FUNCTION_NAME;
    const { env, warnings } = await withSecretsFromSsm(process.env);
    const app = createApp(loadConfig(env), self ? { handOff: lambdaHandOff(self) } : {});
    for (const warning of warnings) app.log.warn(warning);
    return app;
  })().catch((err: unknown) => {
    starting = undefined;
    throw err;
  });
  return starting;
}

/**
 * Lambda entry (`index.handler`). A function URL request is a Telegram webhook
 * delivery, queued for an asynchronous invoke of this function (which gets a
 * `{ source: "telegram-webhook", update }` event) so Telegram hears 200 at
 * once; any other event (`{}` from `aws lambda invoke`, a schedule) polls
 * Telegram once and returns a summary. Config is parsed and clients are built
 * on the first invoke only; a bad config fails the invoke with a message
 * naming the variable. Every invoke ends with one flush of its metrics
 * (CloudWatch embedded metric format on stdout).
 */
export async function handler(
  event: unknown,
  context: Pick<Context, "getRemainingTimeInMillis" | "awsRequestId"> &
    Partial<Pick<Context, "functionName">>,
): Promise<PollSummary | WebhookResponse | { outcome: string }> {
  const began = performance.now();
  const app = await start();
  const deadline = Date.now() + context.getRemainingTimeInMillis();
  const requestId = context.awsRequestId;
  const queued = isHttpRequest(event) ? undefined : queuedUpdateOf(event, Date.now());
  const mode = isHttpRequest(event) ? "webhook" : queued ? "queued" : "poll";
  try {
    if (isHttpRequest(event)) return await app.webhook(event, deadline, requestId);
    if (queued) return await app.queued(queued, deadline, requestId);
    return await app.poll(deadline, requestId);
  } finally {
    app.metrics.observe("InvokeDurationMs", Math.round(performance.now() - began));
    publishEmf(app.takeMetrics(), {
      service: process.env.AWS_LAMBDA_FUNCTION_NAME || context.functionName || "telegram-bot",
      mode,
      requestId,
    });
  }
}
