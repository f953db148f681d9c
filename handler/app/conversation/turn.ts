import type { Config } from "../../config.js";
import type { Logger } from "../../log.js";
import type { Metrics } from "../../metrics/invoke-metrics.js";
import type { AccessControl } from "../access/access-control.js";
import type { Archiver } from "../archive/archiver.js";
import type { Replier, ReplyTarget } from "../delivery/replies.js";
import { RichSupport } from "../delivery/rich-support.js";
import type { AddressedMessage } from "../intake/addressing.js";
import type { CapabilityCache } from "../models/capabilities.js";
import type {
  ArchiveStore,
  ChatGateway,
  SessionLifecycleStore,
  SessionStore,
  SpeechGateway,
  UsageStore,
} from "../ports.js";
import type { ServerPool } from "../servers/server-pool.js";
import type { StopSwitch } from "../stop/stop-switch.js";
import type { UsageMeter } from "../usage/usage-meter.js";
import type { Conversations } from "./conversations.js";

/** Long-lived collaborators, built once per process in the composition root. */
export interface BotServices {
  readonly config: Config;
  readonly telegram: ChatGateway;
  /** The Ollama servers as one: which has a model, which answers, which is down (never call one by hand). */
  readonly servers: ServerPool;
  readonly store: SessionStore;
  readonly lifecycle: SessionLifecycleStore;
  readonly archiver: Archiver;
  readonly replier: Replier;
  readonly access: AccessControl;
  /** What each model can do (`/api/show`), cached across invokes: one cache for /models and photos. */
  readonly capabilities: CapabilityCache;
  /** Where images and audio users send are kept (the archive bucket, beside their conversations). */
  readonly media: ArchiveStore;
  /** The speech-to-text server voice messages are heard with (`TRANSCRIBE_URL`). */
  readonly speech: SpeechGateway;
  /** Per-user usage counters (the per-invoke view is {@link Turn.usage}). */
  readonly usage: UsageStore;
  /** What the bot counts and times, published once per invoke (never per user or chat). */
  readonly metrics: Metrics;
  readonly now: () => Date;
}

/**
 * One turn of a conversation: everything needed to answer one addressed
 * message (what was asked and by whom, the services, the per-invoke
 * conversations view, a logger carrying update/user/chat ids, the deadline and
 * where replies go). Commands and the chat receive it; `say`/`sayHtml` reply.
 */
export interface Turn {
  readonly msg: AddressedMessage;
  readonly services: BotServices;
  readonly conversations: Conversations;
  /** Daily limits and usage counters, for this invoke. */
  readonly usage: UsageMeter;
  readonly log: Logger;
  /** Epoch ms by which this update's work must be finished. */
  readonly deadline: number;
  readonly target: ReplyTarget;
  /** Where running answers register, so that Stop and /stop can reach them. */
  readonly stops: StopSwitch;
  /** What this invoke learned about delivery, shared by its turns. */
  readonly delivery: DeliveryState;
}

/** Delivery facts learned once per invoke. */
export interface DeliveryState {
  /** The Bot API server has no `sendMessageDraft` (an older self-hosted one): stream with edits. */
  draftsUnavailable: boolean;
  /** Whether the Bot API server has rich messages (tried once per invoke). */
  readonly rich: RichSupport;
}

/** What an invoke knows about delivery before its first answer. */
export function newDeliveryState(config: Config, log: Logger): DeliveryState {
  return { draftsUnavailable: false, rich: new RichSupport(config.chat.richMessages, log) };
}

/** How an update ended. */
export type TurnOutcome = "handled" | "duplicate";

/** Replies with plain text to the message being handled. */
export async function say(turn: Turn, text: string): Promise<void> {
  await turn.services.replier.text(turn.target, text);
}

/** Replies with Telegram HTML to the message being handled. */
export async function sayHtml(turn: Turn, html: string): Promise<void> {
  await turn.services.replier.html(turn.target, html);
}
