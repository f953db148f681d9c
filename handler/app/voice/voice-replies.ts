import type { TranscriptionError } from "../../errors.js";
import type { IncomingVoice } from "../intake/addressing.js";

/** What every refusal adds: the model never saw the message. */
const NOT_SENT = "Nothing was sent to the model";

/** "voice message" or "audio file", for replies. */
export function voiceLabel(voice: Pick<IncomingVoice, "source">): string {
  return voice.source === "voice" ? "voice message" : "audio file";
}

/** `95` → `1:35`. */
export const minutes = (seconds: number): string =>
  `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;

/** The reply when no speech server is configured: it names what the owner must set. */
export function notConfiguredReply(voice: IncomingVoice): string {
  return `🎤 I can't listen to your ${voiceLabel(voice)}: this bot has no speech-to-text server (its owner sets TRANSCRIBE_URL to turn voice on). ${NOT_SENT}; please type it instead.`;
}

/** The reply to audio longer than `VOICE_MAX_SECONDS` (never downloaded). */
export function tooLongReply(voice: IncomingVoice, seconds: number, maxSeconds: number): string {
  return `🎤 That ${voiceLabel(voice)} is ${minutes(seconds)} long; I listen to at most ${minutes(maxSeconds)}. ${NOT_SENT}; send a shorter one, or type it.`;
}

/** The reply to audio over Telegram's download limit for bots (never downloaded). */
export function tooBigReply(voice: IncomingVoice, size: string | undefined): string {
  return `🎤 That ${voiceLabel(voice)} is ${size ?? "too big"}: Telegram lets bots download at most 20 MB. ${NOT_SENT}; send a shorter one, or type it.`;
}

/** The reply to a failed transcription: what went wrong, whom it is for, and that the model saw nothing. */
export function transcriptionFailedReply(
  err: TranscriptionError,
  voice: IncomingVoice,
  timeoutSeconds: number,
): string {
  const what = voiceLabel(voice);
  switch (err.kind) {
    case "unreachable":
      return `🎤 I couldn't reach the speech-to-text server to hear your ${what}. ${NOT_SENT}; please try again later, or type it.`;
    case "timeout":
      return `🎤 The speech-to-text server took longer than ${timeoutSeconds} s with your ${what}. ${NOT_SENT}; a shorter one may work, or type it.`;
    case "key_refused":
      return `🎤 The speech-to-text server refused the bot's key (its owner should check TRANSCRIBE_API_KEY). ${NOT_SENT}.`;
    case "not_found":
      return `🎤 The speech-to-text server has no such model or address (${err.detail ?? "404"}): its owner should check TRANSCRIBE_URL (the base URL, ending in /v1) and TRANSCRIBE_MODEL. ${NOT_SENT}.`;
    case "busy":
      return `🎤 The speech-to-text server is busy. ${NOT_SENT}; please send your ${what} again in a minute.`;
    case "refused":
      return `🎤 The speech-to-text server could not take your ${what}: ${err.detail ?? `error ${err.status}`}. ${NOT_SENT}.`;
    case "server_error":
      return `🎤 The speech-to-text server failed on your ${what} (${err.status}: ${err.detail ?? "no message"}). ${NOT_SENT}; please try again later, or type it.`;
    case "bad_response":
      return `🎤 The speech-to-text server answered without a transcript. ${NOT_SENT}; please try again later, or type it.`;
    case "empty":
      return `🎤 I couldn't make out any words in your ${what}. ${NOT_SENT}; try again, or type it.`;
  }
}
