/**
 * The one set of chat helpers the test suites share: people in their private
 * chats, saying something and invoking a cold Lambda as the schedule would,
 * what the bot sent back, and waiting. The suites' support.ts files re-export
 * these and add what only they need (their id schemes, stored items, faults).
 */
import type { PollSummary } from "../../handler/app/intake/polling/poller.js";
import type { TestBed } from "./bed.js";
import type { TgChat, TgUser } from "./fake-telegram.js";
import { coldStart } from "./lambda.js";

/** The invoke result of a poll. */
export type { PollSummary };

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

/** One cold invoke with whatever is queued (an empty poll event, as a schedule sends). */
export function invoke(
  bed: TestBed,
  env: Readonly<Record<string, string>> = bed.env,
): Promise<PollSummary> {
  return coldStart(env).invoke<PollSummary>({});
}

/** Queues `text` (or each of several texts, in order) from `who`, then runs one cold invoke. */
export async function say(
  bed: TestBed,
  who: Person,
  text: string | readonly string[],
  env: Readonly<Record<string, string>> = bed.env,
): Promise<PollSummary> {
  for (const t of typeof text === "string" ? [text] : text)
    bed.telegram.pushText(who.user, who.chat, t);
  return invoke(bed, env);
}

/** Texts of the messages the bot sent to `chatId`, in order, as they read now (after edits). */
export function textsTo(bed: TestBed, chatId: number): string[] {
  return bed.telegram.sentMessages(chatId).map((m) => m.text);
}

/** Texts the bot sent to `who` in their private chat, from index `from` on. */
export function repliesTo(bed: TestBed, who: Person, from = 0): string[] {
  return textsTo(bed, who.chat.id).slice(from);
}

/** The text of the last message the bot sent to `chatId` ("" when none). */
export function lastText(bed: TestBed, chatId: number): string {
  return bed.telegram.sentMessages(chatId).at(-1)?.text ?? "";
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `condition` holds, checking every 20 ms, or fails after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A button the bot sent: its message and its `callback_data`. */
export interface ShownButton {
  readonly messageId: number;
  readonly data: string;
}

/**
 * The latest of the bot's messages in chat `chatId` with a button whose data
 * starts with `prefix` (`stop:`, `pull:`), once one shows (within 20 s).
 */
export async function buttonShown(
  bed: TestBed,
  chatId: number,
  prefix: string,
  what: string,
): Promise<ShownButton> {
  let found: ShownButton | undefined;
  await waitFor(
    () => {
      for (const m of bed.telegram.sentMessages(chatId)) {
        const data = bed.telegram.buttonsOf(chatId, m.messageId).find((d) => d.startsWith(prefix));
        if (data) found = { messageId: m.messageId, data };
      }
      return found !== undefined;
    },
    20_000,
    what,
  );
  return found as ShownButton;
}
