import type { Update } from "@grammyjs/types";
import type { Logger } from "../../log.js";
import type { Conversations } from "../conversation/conversations.js";
import { type BotServices, newDeliveryState } from "../conversation/turn.js";
import { tellGivenUp } from "../delivery/give-up.js";
import { documentTurn } from "../media/documents.js";
import { photoTurn } from "../media/photo.js";
import type { ChatGateway, PollerState, PollerStateStore, UpdateLedger } from "../ports.js";
import type { StopSwitch } from "../stop/stop-switch.js";
import type { UsageMeter } from "../usage/usage-meter.js";
import { voiceTurn } from "../voice/voice-turn.js";
import type { BotIdentity } from "./addressing.js";
import type { CheckedUpdate } from "./checked-update.js";
import { isUrgent } from "./controls.js";
import { type DispatchContext, dispatch, type UpdateOutcome } from "./dispatch.js";
import { leaseOwner } from "./lease-owner.js";
import type { PollOptions } from "./polling/poll-timing.js";
import { Poller, type PollSummary } from "./polling/poller.js";
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
  /**
   * A fresh per-invoke view of the usage counters (it caches what it read);
   * `moreWaiting` (polling) lets it hold a sender's counts while more of their
   * updates wait, see {@link UsageMeter}.
   */
  readonly usage: (moreWaiting?: (userId: number) => boolean) => UsageMeter;
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
  /**
   * Where running answers register so that Stop reaches them: `local` when
   * polling (one process sees every update, presses included), `shared` for
   * webhooks (a press is another delivery, answered by another invoke).
   */
  readonly stops: { readonly local: StopSwitch; readonly shared: StopSwitch };
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
    const ctx = this.begin(
      until,
      this.deps.log.child({ invocationId, mode: "webhook" }),
      this.deps.stops.shared,
    );
    return handleWebhook(request, {
      ...this.laneDeps(ctx, leaseOwner(invocationId)),
      secret: this.deps.webhookSecret,
      urgent: isUrgent,
      ...(this.deps.handOff ? { handOff: this.deps.handOff } : {}),
    });
  }

  /** Answers an update a webhook delivery queued for this invoke. */
  queued(update: CheckedUpdate, until: number, invocationId: string): Promise<{ outcome: string }> {
    const ctx = this.begin(
      until,
      this.deps.log.child({ invocationId, mode: "webhook-queued" }),
      this.deps.stops.shared,
    );
    return handleQueuedUpdate(update, this.laneDeps(ctx, leaseOwner(invocationId)));
  }

  /** Polls Telegram and answers what arrives until done or `until`; see {@link PollOptions}. */
  async poll(until: number, invocationId: string, options: PollOptions = {}): Promise<PollSummary> {
    const { deps } = this;
    const invokeLog = deps.log.child({ invocationId });
    // The poller, built next, knows which senders have more updates waiting (read at count time).
    const ctx = this.begin(
      until,
      invokeLog,
      deps.stops.local,
      (userId) => poller.waitingFrom(userId) > 0,
    );
    const owner = leaseOwner(invocationId);
    const poller: Poller = new Poller({
      telegram: deps.telegram,
      state: deps.pollerState,
      log: invokeLog,
      maxConcurrency: deps.maxConcurrency,
      maxAttempts: deps.maxAttempts,
      handle: (update) => this.answerAndCount(update, ctx, poller),
      giveUp: (update, err) => this.giveUp(update, err),
      urgent: isUrgent,
      beforeBatch: (state) => deps.beforeBatch(state, owner),
      afterBatch: () => ctx.usage.flush(invokeLog),
    });
    const summary = await poller.run(owner, until, options);
    // One line per run that did something; an empty poll is not news (npm start polls all
    // day), and a conflict was already explained by the poller (once, for a webhook).
    const news = summary.updates > 0 || summary.status === "busy" || summary.errors.length > 0;
    invokeLog[news ? "info" : "debug"]("poll finished", { ...summary });
    return summary;
  }

  /**
   * Answers a polled update, then writes its sender's held usage counts once
   * nothing more of theirs waits in this run (or their lane failed: the rest
   * of it is skipped), so a count is held only while the sender's next update
   * is on its way.
   */
  private async answerAndCount(
    update: CheckedUpdate,
    ctx: DispatchContext,
    poller: Poller,
  ): Promise<UpdateOutcome> {
    let failed = true;
    try {
      const outcome = await dispatch(update, ctx);
      failed = false;
      return outcome;
    } finally {
      const sender = update.senderId;
      if (sender !== undefined && (failed || poller.waitingFrom(sender) === 0))
        await ctx.usage.flushUser(sender, ctx.log);
    }
  }

  /** An update is given up, in any intake: counted for the alarm, and its user told. */
  private giveUp(update: CheckedUpdate, err: unknown): Promise<void> {
    this.deps.services.metrics.count("UpdatesGivenUp");
    return tellGivenUp(this.deps.services.replier, update, err);
  }

  private begin(
    until: number,
    log: Logger,
    stops: StopSwitch,
    moreWaiting?: (userId: number) => boolean,
  ): DispatchContext {
    this.deps.setDeadline(until);
    return {
      services: this.deps.services,
      conversations: this.deps.conversations(),
      usage: this.deps.usage(moreWaiting),
      log,
      deadline: until,
      refused: new Set<number>(),
      stops,
      delivery: newDeliveryState(this.deps.services.config, log),
      onDocument: documentTurn,
      onPhoto: photoTurn,
      onVoice: voiceTurn,
      identity: this.deps.identity,
    };
  }

  private laneDeps(ctx: DispatchContext, owner: string): LaneDeps {
    return {
      ledger: this.deps.ledger,
      log: ctx.log,
      maxAttempts: this.deps.maxAttempts,
      handle: (update) => dispatch(update, ctx),
      giveUp: (update, err) => this.giveUp(update, err),
      deadline: ctx.deadline,
      owner,
    };
  }
}
