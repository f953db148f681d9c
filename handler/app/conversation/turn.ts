import type { Config } from "../../config.js";
import type { Logger } from "../../log.js";
import type { AccessControl } from "../access/access-control.js";
import type { Archiver } from "../archive/archiver.js";
import type { Replier, ReplyTarget } from "../delivery/replies.js";
import type { AddressedMessage } from "../intake/addressing.js";
import type { ChatGateway, ModelGateway, SessionLifecycleStore, SessionStore } from "../ports.js";
import type { Conversations } from "./conversations.js";

/** Long-lived collaborators, built once per process in the composition root. */
export interface BotServices {
  readonly config: Config;
  readonly telegram: ChatGateway;
  readonly model: ModelGateway;
  readonly store: SessionStore;
  readonly lifecycle: SessionLifecycleStore;
  readonly archiver: Archiver;
  readonly replier: Replier;
  readonly access: AccessControl;
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
  readonly log: Logger;
  /** Epoch ms by which this update's work must be finished. */
  readonly deadline: number;
  readonly target: ReplyTarget;
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
