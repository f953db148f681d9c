import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";

/** Queues `payload` for an asynchronous invoke of `functionName`. */
export type AsyncInvoke = (functionName: string, payload: unknown) => Promise<void>;

/**
 * An {@link AsyncInvoke} with a Lambda client of its own (`InvocationType: Event`):
 * Lambda accepts the event at once, runs it separately and retries it on
 * failure. The endpoint comes from the SDK's standard variables, as for every
 * other client. This module is a file of its own in the bundle, imported on the
 * first hand-off only (see `lambda-handoff.ts`).
 */
export function lambdaInvoker(): AsyncInvoke {
  const client = new LambdaClient({});
  return (functionName, payload) => queueInvoke(client, functionName, payload);
}

/**
 * Queues one asynchronous invoke of `functionName` with `payload` (the
 * webhook's hand-off, and `npm run failed -- --replay`). Lambda answers 202
 * once it has the event; anything else means it was not queued.
 */
export async function queueInvoke(
  client: LambdaClient,
  functionName: string,
  payload: unknown,
): Promise<void> {
  const res = await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: "Event",
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
  if (res.StatusCode !== 202)
    throw new Error(`Lambda refused to queue an event (status ${res.StatusCode})`);
}
