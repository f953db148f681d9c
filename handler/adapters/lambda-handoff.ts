import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import type { Update } from "@grammyjs/types";
import type { QueuedUpdateEvent } from "../app/intake/webhook/webhook.js";

/**
 * Queues a webhook update for an asynchronous invoke of this same function
 * (`InvocationType: Event`): Lambda accepts it at once, runs it separately and
 * retries it on failure. The endpoint comes from the SDK's standard variables,
 * as for every other client.
 */
export function lambdaHandOff(functionName: string): (update: Update) => Promise<void> {
  // Built on the first hand-off: a polling function never needs it.
  let client: LambdaClient | undefined;
  return async (update) => {
    client ??= new LambdaClient({});
    const event: QueuedUpdateEvent = { source: "telegram-webhook", update };
    await queueInvoke(client, functionName, event);
  };
}

/**
 * Queues one asynchronous invoke of `functionName` with `event` (the webhook's
 * hand-off, and `npm run failed -- --replay`). Lambda answers 202 once it has
 * the event; anything else means it was not queued.
 */
export async function queueInvoke(
  client: LambdaClient,
  functionName: string,
  event: object,
): Promise<void> {
  const res = await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: "Event",
      Payload: new TextEncoder().encode(JSON.stringify(event)),
    }),
  );
  if (res.StatusCode !== 202)
    throw new Error(`Lambda refused to queue an event (status ${res.StatusCode})`);
}
