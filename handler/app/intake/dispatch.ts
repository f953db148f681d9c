import type { Logger } from "../../log.js";
import { CLAIMED_TEXT, refusalText } from "../access/access-control.js";
import { COMMANDS } from "../commands/commands.js";
import { chatTurn } from "../conversation/chat.js";
import type { Conversations } from "../conversation/conversations.js";
import {
  type BotServices,
  type DeliveryState,
  say,
  type Turn,
  type TurnOutcome,
} from "../conversation/turn.js";
import { answerPress, pressButton } from "../stop/buttons.js";
import { stopDraft } from "../stop/stop-command.js";
import type { StopSwitch } from "../stop/stop-switch.js";
import type { UsageMeter } from "../usage/usage-meter.js";
import {
  type AddressedMessage,
  addressUpdate,
  type BotIdentity,
  type IncomingDocument,
  type IncomingPhoto,
  type IncomingVoice,
  needsIdentity,
} from "./addressing.js";
import type { CheckedUpdate } from "./checked-update.js";

/** What the refusal of a message the bot cannot read calls it, by its field in the update. */
const NON_TEXT: Readonly<Record<string, string>> = {
  sticker: "a sticker",
  video: "a video",
  video_note: "a video message",
  animation: "a GIF",
  location: "a location",
  contact: "a contact",
  poll: "a poll",
};

/** How one update ended, as counted in the invoke's summary. */
export type UpdateOutcome = TurnOutcome | "skipped";

/** Per-invoke context shared by every update of a batch. */
export interface DispatchContext {
  readonly services: BotServices;
  readonly conversations: Conversations;
  readonly usage: UsageMeter;
  readonly log: Logger;
  readonly deadline: number;
  /** Users refused in this invoke: each is told once, not once per message. */
  readonly refused?: Set<number>;
  /** Where running answers register (in-process when polling, DynamoDB for webhooks). */
  readonly stops: StopSwitch;
  /** Delivery facts learned in this invoke (shared by its turns). */
  readonly delivery: DeliveryState;
  /** The bot's id and username, fetched lazily (only group messages need it). */
  readonly identity: () => Promise<BotIdentity>;
  /** Answers files (documents, images sent as files, session exports to import). */
  readonly onDocument?: (turn: Turn, document: IncomingDocument) => Promise<TurnOutcome>;
  /** Answers photos. */
  readonly onPhoto?: (turn: Turn, photo: IncomingPhoto) => Promise<TurnOutcome>;
  /** Answers voice notes and audio files. */
  readonly onVoice?: (turn: Turn, voice: IncomingVoice) => Promise<TurnOutcome>;
}

/**
 * Answers one checked update. Throws only for failures worth retrying
 * (storage, network); a malformed update is logged and finished as skipped.
 */
export async function dispatch(
  update: CheckedUpdate,
  ctx: DispatchContext,
): Promise<UpdateOutcome> {
  const identity = needsIdentity(update) ? await ctx.identity() : undefined;
  const addressed = addressUpdate(update, identity);
  if ("skip" in addressed) {
    // A malformed update is news for the operator (Telegram or a replay sent it); the rest is not.
    ctx.log[addressed.skip === "malformed" ? "warn" : "debug"]("update skipped", {
      updateId: update.updateId,
      reason: addressed.skip,
      detail: addressed.detail,
    });
    return "skipped";
  }
  const turn = makeTurn(addressed, ctx);
  const access = await ctx.services.access.decide(addressed);
  if (access === "refused") {
    // Every press is answered (the button spins until it is), even the tenth from a stranger.
    if (addressed.incoming.kind === "button") {
      await answerPress(
        ctx.services.telegram,
        turn.log,
        addressed.incoming.queryId,
        "You may not use this bot.",
      );
      return "handled";
    }
    if (ctx.refused?.has(addressed.userId)) {
      turn.log.info("refused a user who may not use the bot (already told in this invoke)");
      return "skipped";
    }
    ctx.refused?.add(addressed.userId);
    turn.log.info("refused a user who may not use the bot");
    await say(turn, refusalText(addressed.userId));
    return "handled";
  }
  if (access === "claimed") await say(turn, CLAIMED_TEXT);
  const { incoming } = addressed;
  switch (incoming.kind) {
    case "command": {
      const command = COMMANDS[incoming.name];
      if (!command) {
        await say(
          turn,
          `I don't know the command /${incoming.name.slice(0, 64)}. Send /help to see what I can do.`,
        );
        return "handled";
      }
      turn.log.info("command", { command: incoming.name });
      return (await command.run(turn, incoming.args)) ?? "handled";
    }
    case "text":
      return chatTurn(turn, incoming.text);
    case "document":
      if (ctx.onDocument) return ctx.onDocument(turn, incoming);
      await say(turn, "I can't read files. Send your question as a text message.");
      return "handled";
    case "photo":
      if (ctx.onPhoto) return ctx.onPhoto(turn, incoming);
      await say(turn, "I can't look at photos. Send your question as a text message.");
      return "handled";
    case "voice":
      if (ctx.onVoice) return ctx.onVoice(turn, incoming);
      await say(turn, "I can't listen to voice messages. Send your question as text.");
      return "handled";
    case "button":
      return pressButton(turn, incoming.queryId, incoming.data);
    case "draft_stopped":
      return stopDraft(turn, incoming.draftId);
    case "unsupported":
      await say(
        turn,
        `I can only read text messages, not ${NON_TEXT[incoming.what] ?? "this kind of message"}. Send your question as text.`,
      );
      return "handled";
  }
}

/** The turn for an addressed message: logs carry update, user and chat ids; groups quote the message answered. */
export function makeTurn(msg: AddressedMessage, ctx: DispatchContext): Turn {
  return {
    msg,
    services: ctx.services,
    conversations: ctx.conversations,
    usage: ctx.usage,
    log: ctx.log.child({ updateId: msg.updateId, userId: msg.userId, chatId: msg.chatId }),
    deadline: ctx.deadline,
    target: {
      chatId: msg.chatId,
      replyTo: msg.isGroup ? msg.messageId : undefined,
      threadId: msg.threadId,
    },
    stops: ctx.stops,
    delivery: ctx.delivery,
  };
}
