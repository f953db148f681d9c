import { modelKeySegment } from "../../domain/model-name.js";
import type { Session } from "../../domain/session.js";

/**
 * Extensions OpenAI's endpoint accepts, by the MIME types senders' apps
 * write. The name a file is sent with tells OpenAI its format (its 400 lists
 * `flac, m4a, mp3, mp4, mpeg, mpga, oga, ogg, wav, webm`); the local servers
 * (ffmpeg behind them) read the bytes themselves, so a good name costs nothing.
 */
const EXTENSION_OF_MIME: Readonly<Record<string, string>> = {
  "audio/ogg": "ogg",
  "audio/opus": "ogg",
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3",
  "audio/mp4": "m4a",
  "audio/m4a": "m4a",
  "audio/x-m4a": "m4a",
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/wave": "wav",
  "audio/vnd.wave": "wav",
  "audio/flac": "flac",
  "audio/x-flac": "flac",
  "audio/webm": "webm",
};

/** Extensions of files the bot takes as audio when they come as documents. */
export const AUDIO_EXTENSIONS: ReadonlySet<string> = new Set([
  "ogg",
  "oga",
  "opus",
  "mp3",
  "mpga",
  "m4a",
  "wav",
  "flac",
]);

/** How an audio file is named and typed for the speech server and storage. */
export interface AudioFormat {
  /** Extension without the dot: `ogg` for voice notes. */
  readonly ext: string;
  readonly mimeType: string;
}

/**
 * The format of audio Telegram delivered: a voice note is OGG/Opus unless its
 * `mime_type` says otherwise; a file is known by its name's extension, else
 * by its MIME type. An Opus file is named `.ogg` (it is Ogg inside, and OpenAI
 * refuses `.opus`); an unknown extension is kept for the server to judge.
 */
export function audioFormat(file: { mimeType?: string; fileName?: string }): AudioFormat {
  const mime = file.mimeType?.toLowerCase().split(";")[0]?.trim() || undefined;
  const named = /\.([a-z0-9]{1,5})$/.exec(file.fileName?.toLowerCase() ?? "")?.[1];
  const ext =
    (named === "opus" ? "ogg" : named) ?? (mime ? EXTENSION_OF_MIME[mime] : undefined) ?? "ogg";
  return { ext, mimeType: mime ?? mimeOfExtension(ext) };
}

function mimeOfExtension(ext: string): string {
  return (
    Object.entries(EXTENSION_OF_MIME).find(([, e]) => e === ext)?.[0] ?? "application/octet-stream"
  );
}

/**
 * Where the audio of a conversation's voice message is kept:
 * `<user_id>/model_<model>/audio/session_<id>/<update_id>.<ext>`, beside the
 * conversation's archive and its images.
 */
export function audioKey(
  session: Pick<Session, "userId" | "model" | "sessionId">,
  updateId: number,
  format: AudioFormat,
): string {
  return `${session.userId}/model_${modelKeySegment(session.model)}/audio/session_${session.sessionId}/${updateId}.${format.ext}`;
}
