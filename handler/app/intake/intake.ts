import type { Update } from "@grammyjs/types";
import type { Logger } from "../../log.js";
import { importArchive } from "../archive/import.js";
import type { Conversations } from "../conversation/conversations.js";
import type { BotServices } from "../conversation/turn.js";
import { tellGivenUp } from "../delivery/give-up.js";
import type { ChatGateway, PollerState, PollerStateStore, UpdateLedger } from "../ports.js";
import type { BotIdentity } from "./addressing.js";
import type { CheckedUpdate } from "./checked-update.js";
import { type DispatchContext, dispatch } from "./dispatch.js";
import { leaseOwner } from "./lease-owner.js";
import { Poller, type PollOptions, type PollSummary } from "./polling/poller.js";
import type { LaneDeps } from "./webhook/lane-drain.js";
import {
  handleQueuedUpdate,
  handleWebhook,
  type WebhookRequest,
  type WebhookResponse,
} from "./webhook/webhook.js";

/** What the three ways in share; built once per process by the composition root. */
export interface IntakeDeps {
  readonly services: BotServices;
  readonly telegram: ChatGateway;
  readonly log: Logger;
  readonly ledger: UpdateLedger;
  readonly pollerState: PollerStateStore;
  /** A fresh per-invoke view of the conversations (it caches what it read). */
  readonly conversations: () => Conversations;
  readonly identity: () => Promise<BotIdentity>;
  readonly webhookSecret: string;
  readonly maxConcurrency: number;
  readonly maxAttempts: number;
  /** Work a poll run does once under its lease, before its batch (sweep, menu). */
  readonly beforeBatch: (state: PollerState, owner: string) => Promise<PollerState>;
  /** Tells the clients how long this invoke may run (their request timeouts follow it). */
  readonly setDeadline: (deadline: number) => void;
  /** Queues webhook updates for an asynchronous invoke (the Lambda entry sets it). */
  readonly handOff?: (update: Update) => Promise<void>;
}

/**
 * The three ways an update comes in: a poll run (`getUpdates`), a webhook
 * delivery (function URL), and a webhook update queued for an asynchronous
 * invoke. Each builds the invoke's dispatch context and hands updates to
 * {@link dispatch}; given-up updates get {@link tellGivenUp}.
 */
export class Intake {
  constructor(private readonly deps: IntakeDeps) {}

  /** Handles one webhook delivery (Lambda function URL). */
  webhook(request: WebhookRequest, until: number, invocationId: string): Promise<WebhookResponse> {
    const ctx = this.begin(until, this.deps.log.child({ invocationId, mode: "webhook" }));
    return handleWebhook(request, {
      ...this.laneDeps(ctx, leaseOwner(invocationId)),
      secret: this.deps.webhookSecret,
      ...(this.deps.handOff ? { handOff: this.deps.handOff } : {}),
    });
  }

  /** Answers an update a webhook delivery queued for this invoke. */
  queued(update: CheckedUpdate, until: number, invocationId: string): Promise<{ outcome: string }> {
    const ctx = this.begin(until, this.deps.log.child({ invocationId, mode: "webhook-queued" }));
    return handleQueuedUpdate(update, this.laneDeps(ctx, leaseOwner(invocationId)));
  }

  /** Polls Telegram and answers what arrives until done or `until`; see {@link PollOptions}. */
  async poll(until: number, invocationId: string, options: PollOptions = {}): Promise<PollSummary> {
    const { deps } = this;
    const invokeLog = deps.log.child({ invocationId });
    const ctx = this.begin(until, invokeLog);
    const owner = leaseOwner(invocationId);
    const poller = new Poller({
      telegram: deps.telegram,
      state: deps.pollerState,
      log: invokeLog,
      maxConcurrency: deps.maxConcurrency,
      maxAttempts: deps.maxAttempts,
      handle: (update) => dispatch(update, ctx),
      giveUp: (update, err) => tellGivenUp(deps.services.replier, update, err),
      beforeBatch: (state) => deps.beforeBatch(state, owner),
    });
    const summary = await poller.run(owner, until, options);
    // One line per run that did something; an empty poll is not news (npm start polls all
    // day), and a conflict was already explained by the poller (once, for a webhook).
    const news = summary.updates > 0 || summary.status === "busy" || summary.errors.length > 0;
    invokeLog[news ? "info" : "debug"]("poll finished", { ...summary });
    return summary;
  }

  private begin(until: number, log: Logger): DispatchContext {
    this.deps.setDeadline(until);
    return {
      services: this.deps.services,
      conversations: this.deps.conversations(),
      log,
      deadline: until,
      refused: new Set<number>(),
      onDocument: importArchive,
      identity: this.deps.identity,
    };
  }

  private laneDeps(ctx: DispatchContext, owner: string): LaneDeps {
    return {
      ledger: this.deps.ledger,
      log: ctx.log,
      maxAttempts: this.deps.maxAttempts,
      handle: (update) => dispatch(update, ctx),
      giveUp: (update, err) => tellGivenUp(this.deps.services.replier, update, err),
      deadline: ctx.deadline,
      owner,
    };
  }
}
