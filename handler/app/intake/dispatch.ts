import type { Logger } from "../../log.js";
import { CLAIMED_TEXT, refusalText } from "../access/access-control.js";
import { COMMANDS } from "../commands/commands.js";
import { chatTurn } from "../conversation/chat.js";
import type { Conversations } from "../conversation/conversations.js";
import { type BotServices, say, type Turn, type TurnOutcome } from "../conversation/turn.js";
import { type Addressed, addressUpdate, type BotIdentity, needsIdentity } from "./addressing.js";
import type { CheckedUpdate } from "./checked-update.js";

/** How one update ended, as counted in the invoke's summary. */
export type UpdateOutcome = TurnOutcome | "skipped";

/** Per-invoke context shared by every update of a batch. */
export interface DispatchContext {
  readonly services: BotServices;
  readonly conversations: Conversations;
  readonly log: Logger;
  readonly deadline: number;
  /** Users refused in this invoke: each is told once, not once per message. */
  readonly refused?: Set<number>;
  /** The bot's id and username, fetched lazily (only group messages need it). */
  readonly identity: () => Promise<BotIdentity>;
  /** Extra handlers for document uploads (archive import). */
  readonly onDocument?: (
    turn: Turn,
    fileId: string,
    fileName: string,
    size: number,
  ) => Promise<TurnOutcome>;
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
      if (ctx.onDocument)
        return ctx.onDocument(turn, incoming.fileId, incoming.fileName, incoming.size);
      await say(turn, "I can't read files. Send your question as a text message.");
      return "handled";
    case "unsupported":
      await say(
        turn,
        `I can only read text messages, not a ${incoming.what.replace("_", " ")}. Send your question as text.`,
      );
      return "handled";
  }
}

/** The turn for an addressed message: logs carry update, user and chat ids; groups quote the message answered. */
export function makeTurn(msg: Addressed, ctx: DispatchContext): Turn {
  return {
    msg,
    services: ctx.services,
    conversations: ctx.conversations,
    log: ctx.log.child({ updateId: msg.updateId, userId: msg.userId, chatId: msg.chatId }),
    deadline: ctx.deadline,
    target: {
      chatId: msg.chatId,
      replyTo: msg.isGroup ? msg.messageId : undefined,
      threadId: msg.threadId,
    },
  };
}
