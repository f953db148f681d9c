import type { Update } from "@grammyjs/types";
import { DynamoAccessStore } from "./adapters/dynamo-access.js";
import { createDocumentClient } from "./adapters/dynamo-client.js";
import { DynamoLifecycleStore } from "./adapters/dynamo-lifecycle.js";
import { DynamoPollerStateStore } from "./adapters/dynamo-poller-state.js";
import { DynamoSessionStore } from "./adapters/dynamo-sessions.js";
import { DynamoStopSwitch } from "./adapters/dynamo-stop-switch.js";
import { DynamoUpdateLedger } from "./adapters/dynamo-update-ledger.js";
import { DynamoUsageStore } from "./adapters/dynamo-usage.js";
import { keepAliveFetch } from "./adapters/keep-alive-fetch.js";
import { lazyS3Archive } from "./adapters/lazy-archive.js";
import { OllamaGateway } from "./adapters/ollama.js";
import { OpenAiSpeechToText } from "./adapters/speech-to-text.js";
import { TelegramGateway } from "./adapters/telegram.js";
import { AccessControl } from "./app/access/access-control.js";
import { Archiver } from "./app/archive/archiver.js";
import { sweepIdleSessions } from "./app/archive/idle-sweep.js";
import { MenuRegistration } from "./app/commands/menu-registration.js";
import { Conversations } from "./app/conversation/conversations.js";
import type { BotServices } from "./app/conversation/turn.js";
import { Replier } from "./app/delivery/replies.js";
import { cachedIdentity } from "./app/intake/bot-identity.js";
import type { CheckedUpdate } from "./app/intake/checked-update.js";
import { Intake } from "./app/intake/intake.js";
import { LEASE_MS, type PollOptions } from "./app/intake/polling/poll-timing.js";
import type { PollSummary } from "./app/intake/polling/poller.js";
import type { WebhookRequest, WebhookResponse } from "./app/intake/webhook/webhook.js";
import { CapabilityCache } from "./app/models/capabilities.js";
import type { ArchiveStore, ChatGateway, ModelGateway } from "./app/ports.js";
import { ServerPool } from "./app/servers/server-pool.js";
import { LocalStopSwitch } from "./app/stop/stop-switch.js";
import { UsageMeter } from "./app/usage/usage-meter.js";
import type { Config } from "./config.js";
import { createLogger, type Logger } from "./log.js";
import { InvokeMetrics, type Metrics, type MetricsSnapshot } from "./metrics/invoke-metrics.js";

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
  /** Answers an update a webhook delivery queued for this invoke (checked where the event entered). */
  queued(
    update: CheckedUpdate,
    deadline: number,
    invocationId: string,
  ): Promise<{ outcome: string }>;
  readonly log: Logger;
  /** What the bot counts and times (the Lambda entry adds the invoke's duration). */
  readonly metrics: Metrics;
  /** Everything recorded since the last call (the Lambda entry writes it as EMF, `npm start` sums it up). */
  takeMetrics(): MetricsSnapshot;
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
      secrets: config.secrets,
    });
  const now = overrides.now ?? (() => new Date());
  const metrics = new InvokeMetrics();
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
      onRetry: (retry) => {
        metrics.count("TelegramRetries");
        if (retry.floodWaitMs !== undefined)
          metrics.observe("TelegramFloodWaitMs", retry.floodWaitMs);
      },
    });
  const db = createDocumentClient();
  const store = new DynamoSessionStore(db, config.table);
  const lifecycle = new DynamoLifecycleStore(db, config.table);
  const objects = overrides.archive ?? lazyS3Archive(config.bucket);
  const archiver = new Archiver(
    store,
    lifecycle,
    objects,
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
  // One pool per process: what it learns of the servers (who is down, who has which model, the
  // answers in flight) holds across the invokes of a warm Lambda and the poll runs of npm start.
  const servers = new ServerPool(
    overrides.model ?? new OllamaGateway(http),
    {
      servers: config.ollama.servers,
      parallel: config.ollama.parallel,
      now: () => now().getTime(),
    },
    log,
  );
  const usage = new DynamoUsageStore(db, config.table);
  const services: BotServices = {
    config,
    telegram,
    servers,
    store,
    lifecycle,
    archiver,
    replier: new Replier(telegram, log),
    access: new AccessControl(
      new DynamoAccessStore(db, config.table, botId),
      { access: config.access, adminUserIds: config.adminUserIds, now },
      log,
    ),
    capabilities: new CapabilityCache((model, signal) => servers.capabilities(model, signal), {
      now,
    }),
    media: objects,
    speech: new OpenAiSpeechToText({
      baseUrl: config.voice.transcribeUrl,
      model: config.voice.model,
      apiKey: config.voice.apiKey,
      fetch: http,
    }),
    usage,
    metrics,
    now,
  };
  const menu = new MenuRegistration(telegram, log);
  const intake = new Intake({
    services,
    telegram,
    log,
    ledger,
    pollerState,
    conversations: () =>
      new Conversations(store, {
        defaultModel: config.defaultModel,
        // Until a server answers in it, a session records the first one listed.
        ollamaUrl: config.ollama.servers[0]?.url ?? "",
        now,
      }),
    usage: (moreWaiting) =>
      new UsageMeter(usage, {
        limits: config.limits,
        now,
        ...(moreWaiting ? { moreWaiting } : {}),
      }),
    identity: cachedIdentity(telegram),
    webhookSecret: config.telegram.webhookSecret,
    maxConcurrency: config.maxConcurrency,
    maxAttempts: config.maxUpdateAttempts,
    beforeBatch: async (state, owner) => {
      await sweepIdleSessions(archiver, { ledger, log, owner });
      return menu.ensure(state);
    },
    setDeadline: (until) => {
      deadline = until;
    },
    ...(overrides.handOff ? { handOff: overrides.handOff } : {}),
    stops: {
      local: new LocalStopSwitch(),
      shared: new DynamoStopSwitch(db, config.table, botId, log),
    },
  });
  return {
    log,
    metrics,
    takeMetrics: () => metrics.take(),
    webhook: (request, until, invocationId) => intake.webhook(request, until, invocationId),
    queued: (update, until, invocationId) => intake.queued(update, until, invocationId),
    poll: (until, invocationId, options) => intake.poll(until, invocationId, options),
  };
}
