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
    const res = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: "Event",
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
    if (res.StatusCode !== 202)
      throw new Error(`Lambda queued the update with status ${res.StatusCode}`);
  };
}
