import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Update } from "@grammyjs/types";
import { DynamoPollerStateStore } from "./adapters/dynamo-poller-state.js";
import { DynamoSessionStore } from "./adapters/dynamo-sessions.js";
import { OllamaGateway } from "./adapters/ollama.js";
import { TelegramGateway } from "./adapters/telegram.js";
import { commandMenu } from "./app/commands.js";
import { Conversations } from "./app/conversations.js";
import { type DispatchContext, dispatch } from "./app/dispatch.js";
import type { BotIdentity } from "./app/incoming.js";
import { Poller, type PollSummary } from "./app/poller.js";
import type { ChatGateway, ModelGateway, PollerState } from "./app/ports.js";
import { Replier } from "./app/replies.js";
import type { BotServices } from "./app/turn.js";
import type { Config } from "./config.js";
import { createLogger, errorFields, type Logger } from "./log.js";

/** The bot as one object: what the Lambda entry and the local runner call. */
export interface App {
  /** Polls Telegram once and answers everything it got, finishing before `deadline` (epoch ms). */
  poll(deadline: number, invocationId: string): Promise<PollSummary>;
  readonly log: Logger;
}

/** Replaceable edges, for the local runner (and nothing else). */
export interface AppOverrides {
  readonly log?: Logger;
  readonly now?: () => Date;
  readonly telegram?: ChatGateway;
  readonly model?: ModelGateway;
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
  const telegram =
    overrides.telegram ??
    new TelegramGateway({
      token: config.telegram.token,
      apiUrl: config.telegram.apiUrl,
      deadline: () => deadline,
    });
  const db = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  const store = new DynamoSessionStore(db, config.table);
  const botId = Number(config.telegram.token.split(":")[0]);
  const pollerState = new DynamoPollerStateStore(db, config.table, botId);
  const services: BotServices = {
    config,
    telegram,
    model: overrides.model ?? new OllamaGateway(),
    store,
    replier: new Replier(telegram, log),
    now,
  };
  let identity: Promise<BotIdentity> | undefined;
  const menu = commandMenu();
  const menuVersion = menu.map((c) => `${c.command}:${c.description}`).join("|");

  const registerCommands = async (state: PollerState): Promise<PollerState> => {
    if (state.commandsVersion === menuVersion) return state;
    try {
      await telegram.setCommands(menu);
      log.info("registered the command menu with Telegram", { commands: menu.length });
      return { ...state, commandsVersion: menuVersion };
    } catch (err) {
      log.warn("could not register the command menu; will try again next invoke", errorFields(err));
      return state;
    }
  };

  return {
    log,
    async poll(until, invocationId) {
      deadline = until;
      const invokeLog = log.child({ invocationId });
      const ctx: DispatchContext = {
        services,
        conversations: new Conversations(store, {
          defaultModel: config.defaultModel,
          ollamaUrl: config.ollama.url,
          now,
        }),
        log: invokeLog,
        deadline: until,
        identity: () => {
          identity ??= telegram.getMe().catch((err: unknown) => {
            identity = undefined;
            throw err;
          });
          return identity;
        },
      };
      const poller = new Poller({
        telegram,
        state: pollerState,
        log: invokeLog,
        maxConcurrency: config.maxConcurrency,
        maxAttempts: config.maxUpdateAttempts,
        handle: (update) => dispatch(update, ctx),
        giveUp: (update, err) => giveUp(services, update, err),
        beforeBatch: registerCommands,
      });
      const summary = await poller.run(invocationId, until);
      invokeLog.info("poll finished", { ...summary });
      return summary;
    },
  };
}

async function giveUp(services: BotServices, update: Update, err: unknown): Promise<void> {
  const chatId = update.message?.chat.id;
  if (chatId === undefined) return;
  const reason = err instanceof Error ? err.name : "an internal error";
  await services.replier.text(
    { chatId },
    `😞 Sorry, I couldn't process your message after several attempts (${reason}). I've moved on so the bot keeps working; please send it again later.`,
  );
}
