/**
 * Helpers of the voice tests: a bed whose replies come whole, voice notes
 * that "say" something (see `recording`), and what a refused voice message
 * must leave untouched.
 */
import { type SuiteBed, type TestBed, useTestBed } from "../harness/bed.js";
import { recording } from "../harness/fake-speech.js";
import type { TgChat } from "../harness/fake-telegram.js";
import type { Person } from "../harness/people.js";

export { recording } from "../harness/fake-speech.js";
export { conversationOf, sessionItems } from "../harness/items.js";
export type { Person } from "../harness/people.js";
export { invoke, lastText, person, repliesTo, say, textsTo } from "../harness/people.js";

/**
 * The bed of a voice `describe`: replies are sent whole and Telegram's flood
 * control is off (streaming is tested elsewhere; here it would only slow the
 * tests down). `speechKey`: the speech server requires that Bearer key.
 */
export function useVoiceBed(
  env: Readonly<Record<string, string>> = {},
  speechKey?: string,
): SuiteBed {
  return useTestBed({
    env: { STREAM_REPLIES: "false", ...env },
    telegram: { flood: false },
    ...(speechKey === undefined ? {} : { speechKey }),
  });
}

/** Queues a voice note from `who` that says `words` (silence when undefined); returns its update id. */
export function voiceNote(
  bed: TestBed,
  who: Person,
  words: string | undefined,
  options: { seconds?: number; caption?: string; chat?: TgChat; bytes?: Buffer } = {},
): number {
  return bed.telegram.pushVoice(
    who.user,
    options.chat ?? who.chat,
    { content: options.bytes ?? recording(words), seconds: options.seconds ?? 4 },
    options.caption === undefined ? {} : { caption: options.caption },
  );
}

/** How much the bot has done with files, the speech server and the model so far. */
export interface Traffic {
  readonly getFile: number;
  readonly downloads: number;
  readonly transcriptions: number;
  readonly chats: number;
}

/** The bed's {@link Traffic} now. */
export function traffic(bed: TestBed): Traffic {
  return {
    getFile: bed.telegram.requests("getFile").length,
    downloads: bed.telegram.fileDownloads().length,
    transcriptions: bed.speech.calls().length,
    chats: bed.ollama.chats().length,
  };
}
