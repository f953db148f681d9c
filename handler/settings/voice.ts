import * as z from "zod";
import { int, setting, withoutSpaces } from "../setting-kinds.js";

/**
 * A speech server's base URL (http or https, no trailing slash), or empty for
 * none. Credentials in it are refused: Node's fetch will not send them, and a
 * URL is printed in places a key must never be (the key has its own setting).
 */
const baseUrlOrNone = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v) => v.trim().replace(/\/+$/, ""))
    .pipe(withoutSpaces)
    .pipe(
      z.union([
        z.literal(""),
        z
          .url({
            protocol: /^https?$/,
            error: "must be an http(s) URL such as http://host:8000/v1",
          })
          // Zod runs this after a failed URL check too: only a parseable URL is judged here.
          .refine((v) => {
            const u = URL.canParse(v) ? new URL(v) : undefined;
            return u === undefined || (u.username === "" && u.password === "");
          }, "must not hold credentials: put the key in TRANSCRIBE_API_KEY"),
      ]),
    );

/** Settings: voice notes and audio files, heard through a speech-to-text server. Rows of the one table in `handler/settings.ts`. */
export const VOICE_SETTINGS = {
  TRANSCRIBE_URL: setting(
    {
      type: "string",
      description:
        "OpenAI-compatible speech-to-text server, its base URL with /v1 (the bot posts to <TRANSCRIBE_URL>/audio/transcriptions). Empty: voice messages are answered with a note that they cannot be heard.",
    },
    "",
    (d) => baseUrlOrNone(d),
  ),
  TRANSCRIBE_MODEL: setting(
    {
      type: "string",
      description: "Speech-to-text model the server is asked for (the form field `model`).",
    },
    "whisper-1",
    (d) =>
      z
        .string()
        .default(d)
        .transform((v) => v.trim() || d)
        .pipe(z.string().max(200)),
  ),
  TRANSCRIBE_API_KEY: setting(
    {
      type: "string",
      sensitive: true,
      description:
        "Bearer key for the speech-to-text server, if it needs one (OpenAI, Groq; local servers usually do not).",
    },
    "",
    (d) => z.string().default(d),
  ),
  VOICE_MAX_SECONDS: setting(
    {
      type: "number",
      description:
        "Longest voice message or audio file the bot transcribes, in seconds; longer ones are refused with the reason, never downloaded.",
    },
    300,
    (d) => int(d, 1, 3600),
  ),
};
