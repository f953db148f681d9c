import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Update } from "@grammyjs/types";
import { DynamoAccessStore } from "./adapters/dynamo-access.js";
import { DynamoLifecycleStore } from "./adapters/dynamo-lifecycle.js";
import { DynamoPollerStateStore } from "./adapters/dynamo-poller-state.js";
import { DynamoSessionStore } from "./adapters/dynamo-sessions.js";
import { DynamoUpdateLedger } from "./adapters/dynamo-update-ledger.js";
import { keepAliveFetch } from "./adapters/keep-alive-fetch.js";
import { OllamaGateway } from "./adapters/ollama.js";
import { S3ArchiveStore } from "./adapters/s3-archive.js";
import { TelegramGateway } from "./adapters/telegram.js";
import { AccessControl } from "./app/access/access-control.js";
import { Archiver } from "./app/archive/archiver.js";
import { importArchive } from "./app/archive/import.js";
import { commandMenu } from "./app/commands/commands.js";
import { Conversations } from "./app/conversation/conversations.js";
import type { BotServices } from "./app/conversation/turn.js";
import { Replier } from "./app/delivery/replies.js";
import type { BotIdentity } from "./app/intake/addressing.js";
import { type DispatchContext, dispatch } from "./app/intake/dispatch.js";
import { leaseOwner } from "./app/intake/lease-owner.js";
import {
  LEASE_MS,
  Poller,
  type PollOptions,
  type PollSummary,
} from "./app/intake/polling/poller.js";
import { type LaneDeps, userLane } from "./app/intake/webhook/lane-drain.js";
import { holdLane } from "./app/intake/webhook/lane-hold.js";
import {
  handleQueuedUpdate,
  handleWebhook,
  type WebhookRequest,
  type WebhookResponse,
} from "./app/intake/webhook/webhook.js";
import type { ArchiveStore, ChatGateway, ModelGateway, PollerState } from "./app/ports.js";
import type { Config } from "./config.js";
import { isPermanentFailure, TokenRejectedError } from "./errors.js";
import { createLogger, errorFields, type Logger } from "./log.js";

/** Idle sessions archived per invoke at most; the rest wait for the next one. */
const IDLE_SWEEP_LIMIT = 25;

/** The bot as one object: what the Lambda entry and the local runner call. */
export interface App {
  /**
   * Polls Telegram and answers what arrives, listening on while answers run,
   * finishing before `deadline` (epoch ms). See {@link PollOptions}.
   * `invocationId` (here and below) names the execution in logs; lease owner
   * ids add a random part to it, so it need not be unique.
   */
  poll(deadline: number, invocationId: string, options?: PollOptions): Promise<PollSummary>;
  /** Handles one webhook delivery (Lambda function URL). */
  webhook(
    request: WebhookRequest,
    deadline: number,
    invocationId: string,
  ): Promise<WebhookResponse>;
  /** Answers an update a webhook delivery queued for this invoke. */
  queued(update: Update, deadline: number, invocationId: string): Promise<{ outcome: string }>;
  readonly log: Logger;
}

/** Replaceable edges, for the local runner (and nothing else). */
export interface AppOverrides {
  readonly log?: Logger;
  readonly now?: () => Date;
  readonly telegram?: ChatGateway;
  readonly model?: ModelGateway;
  /** Where archives go instead of the S3 bucket (`npm start` with embedded storage: plain files). */
  readonly archive?: ArchiveStore;
  /** Queues webhook updates for an asynchronous invoke (set by the Lambda entry). */
  readonly handOff?: (update: Update) => Promise<void>;
}

/**
 * The composition root: builds every client once per process and wires the
 * bot. AWS endpoints and credentials come from the SDK's standard variables
 * (`AWS_ENDPOINT_URL_*`, which LocalStack injects), never from code.
 */
export function createApp(config: Config, overrides: AppOverrides = {}): App {
  const log =
    overrides.log ??
    createLogger({
      level: config.logLevel,
      secrets: [config.telegram.token, config.telegram.webhookSecret],
    });
  const now = overrides.now ?? (() => new Date());
  let deadline = Number.POSITIVE_INFINITY;
  // One keep-alive HTTP client for Telegram and Ollama (far cheaper per call than global fetch).
  const http = keepAliveFetch();
  const telegram =
    overrides.telegram ??
    new TelegramGateway({
      token: config.telegram.token,
      apiUrl: config.telegram.apiUrl,
      deadline: () => deadline,
      fetch: http,
    });
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  // Path-style for LocalStack and emulators; checksums only when required, which
  // S3 emulators need and AWS accepts.
  const s3 = new S3Client({
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const store = new DynamoSessionStore(db, config.table);
  const lifecycle = new DynamoLifecycleStore(db, config.table);
  const archiver = new Archiver(
    store,
    lifecycle,
    overrides.archive ?? new S3ArchiveStore(s3, config.bucket),
    {
      archiveAfterMessages: config.sessions.archiveAfterMessages,
      archiveAfterBytes: config.sessions.archiveAfterBytes,
      keepMessages: config.sessions.contextMessages,
      idleMs: config.sessions.idleMs,
      closedRetentionSeconds: config.sessions.closedRetentionSeconds,
      modelDefaults: { num_ctx: config.ollama.numCtx, num_predict: config.ollama.numPredict },
      now,
    },
    log,
  );
  const botId = Number(config.telegram.token.split(":")[0]);
  const pollerState = new DynamoPollerStateStore(db, config.table, botId, LEASE_MS);
  const ledger = new DynamoUpdateLedger(db, config.table, botId);
  const services: BotServices = {
    config,
    telegram,
    model: overrides.model ?? new OllamaGateway(http),
    store,
    lifecycle,
    archiver,
    replier: new Replier(telegram, log),
    access: new AccessControl(
      new DynamoAccessStore(db, config.table, botId),
      { access: config.access, adminUserIds: config.adminUserIds, now },
      log,
    ),
    now,
  };
  let identity: Promise<BotIdentity> | undefined;
  const menu = commandMenu();
  const menuVersion = menu.map((c) => `${c.command}:${c.description}`).join("|");

  const beforeBatch = async (state: PollerState, owner: string): Promise<PollerState> => {
    try {
      // Under the user's lane lease: a webhook invoke may be answering that user right now.
      const idle = await archiver.sweepIdle(IDLE_SWEEP_LIMIT, (userId, work) =>
        holdLane(userLane(userId), { ledger, log, owner }, work),
      );
      if (idle.archived + idle.dropped + idle.failed > 0) log.info("idle sessions archived", idle);
    } catch (err) {
      // Answering users matters more than archiving on time: the next invoke sweeps again.
      log.warn("idle sweep failed; will retry next invoke", errorFields(err));
    }
    return registerCommands(state);
  };

  const registerCommands = async (state: PollerState): Promise<PollerState> => {
    if (state.commandsVersion === menuVersion) return state;
    try {
      await telegram.setCommands(menu);
      log.info("registered the command menu with Telegram", { commands: menu.length });
      return { ...state, commandsVersion: menuVersion };
    } catch (err) {
      // A rejected token stops the bot; saying it once, from the poller, is enough.
      if (err instanceof TokenRejectedError) throw err;
      log.warn("could not register the command menu; will try again next invoke", errorFields(err));
      return state;
    }
  };

  const dispatchContext = (until: number, invokeLog: Logger): DispatchContext => ({
    services,
    conversations: new Conversations(store, {
      defaultModel: config.defaultModel,
      ollamaUrl: config.ollama.url,
      now,
    }),
    log: invokeLog,
    deadline: until,
    refused: new Set<number>(),
    onDocument: importArchive,
    identity: () => {
      identity ??= telegram.getMe().catch((err: unknown) => {
        identity = undefined;
        throw err;
      });
      return identity;
    },
  });

  const laneDeps = (ctx: DispatchContext, until: number, owner: string): LaneDeps => ({
    ledger,
    log: ctx.log,
    maxAttempts: config.maxUpdateAttempts,
    handle: (update) => dispatch(update, ctx),
    giveUp: (update, err) => giveUp(services, update, err),
    deadline: until,
    owner,
  });

  return {
    log,
    async webhook(request, until, invocationId) {
      deadline = until;
      const ctx = dispatchContext(until, log.child({ invocationId, mode: "webhook" }));
      return handleWebhook(request, {
        ...laneDeps(ctx, until, leaseOwner(invocationId)),
        secret: config.telegram.webhookSecret,
        ...(overrides.handOff ? { handOff: overrides.handOff } : {}),
      });
    },
    async queued(update, until, invocationId) {
      deadline = until;
      const ctx = dispatchContext(until, log.child({ invocationId, mode: "webhook-queued" }));
      return handleQueuedUpdate(update, laneDeps(ctx, until, leaseOwner(invocationId)));
    },
    async poll(until, invocationId, options = {}) {
      deadline = until;
      const invokeLog = log.child({ invocationId });
      const ctx = dispatchContext(until, invokeLog);
      const owner = leaseOwner(invocationId);
      const poller = new Poller({
        telegram,
        state: pollerState,
        log: invokeLog,
        maxConcurrency: config.maxConcurrency,
        maxAttempts: config.maxUpdateAttempts,
        handle: (update) => dispatch(update, ctx),
        giveUp: (update, err) => giveUp(services, update, err),
        beforeBatch: (state) => beforeBatch(state, owner),
      });
      const summary = await poller.run(owner, until, options);
      // One line per run that did something; an empty poll is not news (npm start polls all
      // day), and a conflict was already explained by the poller (once, for a webhook).
      const news = summary.updates > 0 || summary.status === "busy" || summary.errors.length > 0;
      invokeLog[news ? "info" : "debug"]("poll finished", { ...summary });
      return summary;
    },
  };
}

async function giveUp(services: BotServices, update: Update, err: unknown): Promise<void> {
  const chatId: unknown = update.message?.chat?.id;
  if (typeof chatId !== "number") return;
  const topic = update.message?.is_topic_message ? update.message.message_thread_id : undefined;
  const reason = err instanceof Error ? err.name : "an internal error";
  const what = isPermanentFailure(err)
    ? `the database refused to store it (${reason}), and trying again cannot fix that`
    : `after several attempts (${reason})`;
  await services.replier.text(
    { chatId, threadId: topic },
    `😞 Sorry, I couldn't process your message: ${what}. I've moved on so the bot keeps working; please send it again later.`,
  );
}
