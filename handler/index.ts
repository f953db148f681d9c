import type { Context } from "aws-lambda";
import type { PollSummary } from "./app/poller.js";
import { type App, createApp } from "./composition.js";
import { loadConfig } from "./config.js";

let app: App | undefined;

/**
 * Lambda entry (`index.handler`). An invoke with any event (`{}` from
 * `aws lambda invoke`, or a scheduled event) polls Telegram once and returns
 * a summary. Config is parsed and clients are built on the first invoke only;
 * a bad config fails the invoke with a message naming the variable.
 */
export async function handler(
  _event: unknown,
  context: Pick<Context, "getRemainingTimeInMillis" | "awsRequestId">,
): Promise<PollSummary> {
  app ??= createApp(loadConfig(process.env));
  return app.poll(Date.now() + context.getRemainingTimeInMillis(), context.awsRequestId);
}
