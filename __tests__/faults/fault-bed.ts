/**
 * The bed of a fault-suite file: the test bed with Telegram's flood limits off
 * (files that test them set their own), a {@link TokenGuard} that checks after
 * the tests that the token appeared nowhere, and, for webhook mode as deployed,
 * a fake Lambda API that runs each queued update on the built bundle.
 */
import { beforeAll } from "@jest/globals";
import { type SuiteBed, type SuiteBedOptions, useTestBed } from "../harness/bed.js";
import { FakeLambda } from "../harness/fake-lambda.js";
import { coldStart, type LambdaInstance } from "../harness/lambda.js";
import {
  queuedWebhookEnv,
  TokenGuard,
  type UrlResponse,
  WEBHOOK_SECRET,
  webhookDelivery,
} from "./support.js";

/** The bed and guard of a fault-suite `describe`. */
export interface FaultBed {
  readonly bed: SuiteBed;
  readonly guard: TokenGuard;
}

/** Options of {@link useFaultBed}. */
export interface FaultBedOptions extends SuiteBedOptions {
  /**
   * Check after the tests that the token appeared nowhere. The check fails a
   * file whose bundle logged nothing (it would pass vacuously). @default true
   */
  readonly tokenCheck?: boolean;
}

/**
 * Starts the bed before the enclosing `describe`'s tests; after them checks
 * that the bot token appeared in no log line or recorded result, then closes it.
 * Answers go the HTML way (`sendMessage`, RICH_MESSAGES=off) unless a file says
 * otherwise: the faults these files inject (throttling, 5xx, answers lost after
 * delivery, crashes) are the transport's, whose retry policy is one for every
 * method; rich.test.ts shows rich calls under the same policy.
 */
export function useFaultBed(options: FaultBedOptions = {}): FaultBed {
  const { tokenCheck = true, ...bedOptions } = options;
  const bed = useTestBed({
    ...bedOptions,
    env: { RICH_MESSAGES: "off", ...bedOptions.env },
    telegram: { flood: false, ...bedOptions.telegram },
  });
  const guard = new TokenGuard();
  if (tokenCheck) bed.beforeClose(() => guard.assertNoToken(bed.env.TELEGRAM_BOT_TOKEN ?? ""));
  return { bed, guard };
}

/** Options of {@link useQueuedWebhook}. */
export interface QueuedWebhookOptions {
  /**
   * Extra function environment (on top of {@link queuedWebhookEnv}); a function
   * when it names something the file starts in its own beforeAll (declared before this).
   */
  readonly env?: Readonly<Record<string, string>> | (() => Readonly<Record<string, string>>);
  /**
   * Where the fake Lambda API runs a queued update: on the instance that took
   * the delivery (`"same"`, one warm container), or on a fresh cold copy each
   * time (`"fresh"`, as concurrent events get their own containers).
   */
  readonly runs: "same" | "fresh";
  /** The function's on-failure destination (see {@link FakeLambda.onFailure}). */
  readonly onFailure?: (record: string) => void;
}

/** Webhook mode with the asynchronous hand-off ({@link useQueuedWebhook}). */
export interface QueuedWebhook {
  /** The fake Lambda Invoke API the function queues its updates on. */
  readonly lambdaApi: FakeLambda;
  /** The function's environment. */
  readonly env: Record<string, string>;
  /** The instance that takes Telegram's deliveries. */
  readonly fn: LambdaInstance;
  /** Delivers `update` as Telegram does (with the secret); the response is recorded for the token check. */
  deliver(update: object): Promise<UrlResponse>;
}

/**
 * Webhook mode as deployed, set up before the tests (after {@link useFaultBed}'s
 * bed) and closed after them, once every queued invoke has settled.
 */
export function useQueuedWebhook(
  { bed, guard }: FaultBed,
  options: QueuedWebhookOptions,
): QueuedWebhook {
  let state: { lambdaApi: FakeLambda; env: Record<string, string>; fn: LambdaInstance } | undefined;
  const get = () => {
    if (!state)
      throw new Error("the queued webhook starts in beforeAll: use it in tests and hooks");
    return state;
  };
  beforeAll(async () => {
    let env: Record<string, string> = {};
    let fn: LambdaInstance | undefined;
    const lambdaApi = await FakeLambda.start(async (payload) => {
      const result = await (options.runs === "same" && fn ? fn : coldStart(env)).invoke(payload);
      guard.record(result);
      return result;
    });
    if (options.onFailure) lambdaApi.onFailure = options.onFailure;
    const extra = typeof options.env === "function" ? options.env() : options.env;
    env = queuedWebhookEnv(bed, lambdaApi.url, extra);
    fn = coldStart(env);
    state = { lambdaApi, env, fn };
  });
  bed.beforeClose(() => state?.lambdaApi.close());
  return {
    get lambdaApi() {
      return get().lambdaApi;
    },
    get env() {
      return get().env;
    },
    get fn() {
      return get().fn;
    },
    async deliver(update) {
      const response = await get().fn.invoke<UrlResponse>(webhookDelivery(update, WEBHOOK_SECRET));
      guard.record(response);
      return response;
    },
  };
}
