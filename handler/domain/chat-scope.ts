/**
 * Which chat a conversation belongs to. A user's private chat and each group
 * they talk to the bot in hold separate conversations: nothing said in one is
 * ever sent to the model, shown, exported or listed in another.
 *
 * A scope is `undefined` for the private chat and the group's chat id for a
 * group. Sessions stored before chats were told apart carry no group and are
 * therefore private-chat sessions, which is what they were used as.
 */
import type { Session } from "./session.js";

/** The group a message was written in, or undefined for a private chat. */
export function scopeOf(msg: {
  readonly isGroup: boolean;
  readonly chatId: number;
}): number | undefined {
  return msg.isGroup ? msg.chatId : undefined;
}

/**
 * Key of the profile's active-session map for `model` in a scope. Private
 * chats keep the bare model name, so profiles written before this change
 * resume their sessions unchanged; groups prefix the chat id (`-100123#llama3`;
 * `#` never appears in a model name).
 */
export function activeKey(scope: number | undefined, model: string): string {
  return scope === undefined ? model : `${scope}#${model}`;
}

/** True when `session` belongs to `scope` (the private chat when undefined). */
export function inScope(session: Pick<Session, "groupChatId">, scope: number | undefined): boolean {
  return session.groupChatId === scope;
}
