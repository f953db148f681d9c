import type { Update } from "@grammyjs/types";
import type { QueuedUpdateEvent } from "../app/intake/webhook/webhook.js";
import { onFirstUse } from "./on-first-use.js";

/**
 * Queues a webhook update for an asynchronous invoke of this same function
 * (see `lambda-invoke.ts`). A polling function never hands off, so the Lambda
 * client's code is loaded and its client built on the first hand-off, not at
 * every cold start.
 */
export function lambdaHandOff(functionName: string): (update: Update) => Promise<void> {
  const invoker = onFirstUse(async () => (await import("./lambda-invoke.js")).lambdaInvoker());
  return async (update) => {
    const event: QueuedUpdateEvent = { source: "telegram-webhook", update };
    await (await invoker())(functionName, event);
  };
}
