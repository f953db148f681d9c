import { MAX_STORED_MESSAGE_CHARS } from "../../domain/session.js";
import { isTooBigToDownload, TranscriptionError } from "../../errors.js";
import { escapeHtml } from "../../format/index.js";
import { TELEGRAM_DOWNLOAD_LIMIT } from "../../settings/attachments.js";
import { TimeLimit } from "../../time-limit.js";
import { inStorage } from "../archive/errors.js";
import { answer, beginTurn, DELIVERY_RESERVE_MS, userMessage } from "../conversation/chat.js";
import { say, sayHtml, type Turn, type TurnOutcome } from "../conversation/turn.js";
import { keepTyping } from "../delivery/typing.js";
import type { IncomingVoice } from "../intake/addressing.js";
import { mb } from "../media/photo.js";
import { type AudioFormat, audioFormat, audioKey } from "./audio-files.js";
import {
  notConfiguredReply,
  tooBigReply,
  tooLongReply,
  transcriptionFailedReply,
  voiceLabel,
} from "./voice-replies.js";

/**
 * Answers a voice note or audio file as if its words were typed: checked
 * first against the settings and the user's daily limits (access and the
 * group rules were checked where it entered), so nothing refused is ever
 * downloaded or sent to the speech server; then downloaded, transcribed, shown
 * to the user as a quote, kept in S3 beside the conversation, and answered.
 * The stored turn holds the transcript (and the caption, first), marked as
 * voice. A failed transcription gets its own reply and nothing reaches the model.
 */
export async function voiceTurn(turn: Turn, voice: IncomingVoice): Promise<TurnOutcome> {
  const { services, log, msg } = turn;
  const settings = services.config.voice;
  if (!settings.transcribeUrl) {
    log.warn("voice message refused: TRANSCRIBE_URL is not set", { source: voice.source });
    await say(turn, notConfiguredReply(voice));
    return "handled";
  }
  if (voice.seconds !== undefined && voice.seconds > settings.maxSeconds) {
    log.info("voice message refused: longer than VOICE_MAX_SECONDS", {
      seconds: voice.seconds,
      maxSeconds: settings.maxSeconds,
    });
    await say(turn, tooLongReply(voice, voice.seconds, settings.maxSeconds));
    return "handled";
  }
  if ((voice.size ?? 0) > TELEGRAM_DOWNLOAD_LIMIT) {
    await say(turn, tooBigReply(voice, mb(voice.size ?? 0)));
    return "handled";
  }
  const session = await beginTurn(turn);
  if (session === "duplicate") return "duplicate";
  if (await turn.usage.refuse(turn)) return "handled";
  const audio = await download(turn, voice);
  if (!audio) return "handled";
  const format = audioFormat(voice);
  const heard = await hear(turn, voice, audio, format);
  if (heard === undefined) return "handled";
  const key = audioKey(session, msg.updateId, format);
  // S3 down: the update fails and is retried (heard again); nothing is lost.
  await inStorage("write", key, () => services.media.putBytes(key, audio, format.mimeType));
  await sayHtml(turn, `<blockquote>🎤 ${escapeHtml(heard)}</blockquote>`);
  const caption = voice.caption?.trim();
  let content = caption ? `${caption}\n\n${heard}` : heard;
  if (content.length > MAX_STORED_MESSAGE_CHARS) {
    content = content.slice(0, MAX_STORED_MESSAGE_CHARS);
    await say(
      turn,
      `ℹ️ Your ${voiceLabel(voice)} is long: the model gets its first ${MAX_STORED_MESSAGE_CHARS} characters.`,
    );
  }
  return answer(turn, session, {
    ...userMessage(turn, session, content),
    voice: true,
    audio: key,
  });
}

/** The audio's bytes, or undefined when Telegram refused it as too big (the user told). */
async function download(turn: Turn, voice: IncomingVoice): Promise<Uint8Array | undefined> {
  try {
    return await turn.services.telegram.downloadFile(voice.fileId, TELEGRAM_DOWNLOAD_LIMIT);
  } catch (err) {
    if (!isTooBigToDownload(err)) throw err;
    turn.log.info("voice message refused: too big to download", { error: err.message });
    await say(turn, tooBigReply(voice, undefined));
    return undefined;
  }
}

/**
 * The transcript of `audio`, or undefined when the speech server gave none
 * (the user told why, the operator's log says what the server said).
 */
async function hear(
  turn: Turn,
  voice: IncomingVoice,
  audio: Uint8Array,
  format: AudioFormat,
): Promise<string | undefined> {
  const { services, msg, log } = turn;
  const limit = transcriptionLimit(turn);
  const typing = keepTyping(services.telegram, msg.chatId, msg.threadId, log);
  try {
    const text = await services.speech.transcribe({
      audio,
      fileName: `${msg.updateId}.${format.ext}`,
      mimeType: format.mimeType,
      signal: limit.signal,
    });
    log.info("voice message transcribed", {
      source: voice.source,
      bytes: audio.byteLength,
      chars: text.length,
    });
    return text;
  } catch (err) {
    if (!(err instanceof TranscriptionError)) throw err;
    log[err.kind === "empty" ? "info" : "warn"]("transcription failed", {
      kind: err.kind,
      status: err.status,
      error: err.message,
    });
    await say(turn, transcriptionFailedReply(err, voice, Math.round(limit.ms / 1000)));
    return undefined;
  } finally {
    limit.dispose();
    typing.stop();
  }
}

/**
 * The transcription's time limit: half of what the update has left once the
 * answer's delivery is set aside, so the model still has the other half.
 */
function transcriptionLimit(turn: Turn): { signal: AbortSignal; ms: number; dispose(): void } {
  const left = turn.deadline - Date.now() - DELIVERY_RESERVE_MS;
  const ms = Math.max(1_000, Math.floor(left / 2));
  const limit = new TimeLimit(ms);
  return { signal: limit.signal, ms, dispose: () => limit.dispose() };
}
