import type { Update } from "@grammyjs/types";
import type { QueuedUpdateEvent } from "../app/intake/webhook/webhook.js";
import type { AsyncInvoke } from "./lambda-invoke.js";

/**
 * Queues a webhook update for an asynchronous invoke of this same function
 * (see `lambda-invoke.ts`). A polling function never hands off, so the Lambda
 * client's code is loaded and its client built on the first hand-off, not at
 * every cold start.
 */
export function lambdaHandOff(functionName: string): (update: Update) => Promise<void> {
  let invoke: AsyncInvoke | undefined;
  return async (update) => {
    invoke ??= (await import("./lambda-invoke.js")).lambdaInvoker();
    const event: QueuedUpdateEvent = { source: "telegram-webhook", update };
    await invoke(functionName, event);
  };
}
