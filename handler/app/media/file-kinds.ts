import { AUDIO_EXTENSIONS } from "../voice/audio-files.js";
import { IMAGE_TYPES } from "./image-keys.js";

/** How the bot reads a file, decided from its name and MIME type. */
export type FileKind = "image" | "audio" | "pdf" | "json" | "text" | "unsupported";

/** Extensions of plain-text files: prose, data and source code. */
const TEXT_EXTENSIONS = new Set(
  (
    "txt text md markdown rst tex csv tsv yaml yml toml ini cfg conf properties log xml html htm css scss svg " +
    "js mjs cjs jsx ts tsx py rb go rs java kt kts scala c h cc cpp hpp cs swift m php pl lua r dart sh bash zsh " +
    "fish ps1 bat sql graphql proto vue svelte ex exs erl hs clj elm nim zig tf hcl gradle dockerfile makefile diff patch"
  ).split(" "),
);

/** MIME types of text that do not start with `text/`. */
const TEXT_MIME = new Set([
  "application/xml",
  "application/yaml",
  "application/x-yaml",
  "application/toml",
  "application/javascript",
  "application/x-javascript",
  "application/typescript",
  "application/x-sh",
  "application/sql",
  "application/x-httpd-php",
  "application/x-python",
  "application/x-tex",
  "image/svg+xml",
]);

const IMAGE_EXTENSIONS = new Set(["jpg", "jpeg", ...Object.values(IMAGE_TYPES)]);

/** What the bot can read, for the reply to a file it cannot. */
export const READABLE_FILES =
  "photos and images (JPEG, PNG, WebP, GIF, BMP: for models that can see), voice messages and audio files (OGG, MP3, M4A, WAV, FLAC: transcribed), PDFs, text files (.txt, .md, .csv, .json, .yaml, .xml, .html, .log …) and source code (.py, .js, .ts, .go, .rs, .java, .c, .sh, .sql …), and conversation exports (.json from /export) to import";

/** What /help says about photos and files. */
export const MEDIA_HELP =
  "📷 Photos and images (caption = your question) go to models that can see (such as llava). 📄 Text, code and PDF files are read, with the caption as your question (no caption: a summary). A .json from /export is imported. 🎤 Voice messages and audio files are transcribed (when the bot has a speech-to-text server) and answered like text, the transcript shown first.";

/** The kind of file `fileName` with `mimeType` is; the name wins, as senders' MIME types vary. */
export function classifyFile(fileName: string, mimeType: string | undefined): FileKind {
  const lower = fileName.toLowerCase();
  const dot = lower.lastIndexOf(".");
  const ext = dot >= 0 ? lower.slice(dot + 1) : lower;
  const mime = (mimeType ?? "").toLowerCase().split(";")[0]?.trim() ?? "";
  if (ext === "json" || mime === "application/json") return "json";
  if (ext === "pdf" || mime === "application/pdf") return "pdf";
  if (ext === "svg") return "text";
  if (IMAGE_EXTENSIONS.has(ext) || (mime.startsWith("image/") && !TEXT_MIME.has(mime)))
    return "image";
  if (AUDIO_EXTENSIONS.has(ext) || mime.startsWith("audio/")) return "audio";
  if (TEXT_EXTENSIONS.has(ext) || mime.startsWith("text/") || TEXT_MIME.has(mime)) return "text";
  return "unsupported";
}
