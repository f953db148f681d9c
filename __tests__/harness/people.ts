/**
 * The one set of chat helpers the test suites share: people in their private
 * chats, what the bot sent them, and a cold invoke. The suites' support.ts
 * files build on these (each keeps its own id scheme and wording).
 */
import type { TestBed } from "./bed.js";
import type { TgChat, TgUser } from "./fake-telegram.js";
import { coldStart } from "./lambda.js";

/** A Telegram user in their private chat with the bot. */
export interface Person {
  readonly user: TgUser;
  readonly chat: TgChat;
}

let nextId = 40_000 + Math.floor(Math.random() * 1000) * 10;

/**
 * A person named `name` in their private chat. Without `id`, a new id unique
 * in this process (files never collide); `user` adds or overrides user fields.
 */
export function person(
  name: string,
  options: { readonly id?: number; readonly user?: Partial<TgUser> } = {},
): Person {
  const id = options.id ?? nextId++;
  return { user: { id, first_name: name, ...options.user }, chat: { id, type: "private" } };
}

/** Texts of the messages the bot sent to `chatId`, in order, as they read now (after edits). */
export function textsTo(bed: TestBed, chatId: number): string[] {
  return bed.telegram.sentMessages(chatId).map((m) => m.text);
}

/** One cold invoke with an empty poll event, as a schedule would trigger it. */
export function invokeCold<T>(
  bed: TestBed,
  env: Readonly<Record<string, string>> = bed.env,
): Promise<T> {
  return coldStart(env).invoke<T>({});
}
