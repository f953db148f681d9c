import { isTooBigToDownload } from "../../errors.js";
import { TELEGRAM_DOWNLOAD_LIMIT } from "../../settings/attachments.js";
import { importArchive, looksLikeExport, MAX_IMPORT_BYTES } from "../archive/import.js";
import { answer, beginTurn, userMessage } from "../conversation/chat.js";
import { say, type Turn, type TurnOutcome } from "../conversation/turn.js";
import type { IncomingDocument } from "../intake/addressing.js";
import { voiceTurn } from "../voice/voice-turn.js";
import { classifyFile, READABLE_FILES } from "./file-kinds.js";
import { extractPdfText, PdfUnreadableError } from "./pdf.js";
import { imageTurn, mb } from "./photo.js";

/** Characters per token, as `estimateTokens` in the context window reckons. */
const CHARS_PER_TOKEN = 3.5;

/** The question asked about a document sent without a caption. */
export const DEFAULT_DOCUMENT_QUESTION = "Summarise this document.";

/**
 * Answers a file: images go to a vision model, audio is heard (`voice/`), a session export is imported,
 * text, code and PDFs are read into the prompt with the caption as the
 * question. Anything else gets a reply listing what works.
 */
export async function documentTurn(turn: Turn, doc: IncomingDocument): Promise<TurnOutcome> {
  const kind = classifyFile(doc.fileName, doc.mimeType);
  if (kind === "image")
    return imageTurn(turn, {
      fileId: doc.fileId,
      size: doc.size,
      caption: doc.caption,
      what: "image file",
    });
  if (kind === "audio")
    return voiceTurn(turn, {
      kind: "voice",
      source: "document",
      fileId: doc.fileId,
      ...(doc.size > 0 ? { size: doc.size } : {}),
      ...(doc.mimeType ? { mimeType: doc.mimeType } : {}),
      fileName: doc.fileName,
      ...(doc.caption ? { caption: doc.caption } : {}),
    });
  if (kind === "unsupported") {
    await say(turn, `I can't read ${doc.fileName}. I can read ${READABLE_FILES}.`);
    return "handled";
  }
  const { media } = turn.services.config;
  // A .json file may be an export (imported, and it may carry images) or data to read.
  const limit = Math.min(
    kind === "json" ? Math.max(media.documentMaxBytes, MAX_IMPORT_BYTES) : media.documentMaxBytes,
    TELEGRAM_DOWNLOAD_LIMIT,
  );
  if (doc.size > limit) {
    await say(turn, `That file is ${mb(doc.size)}; I read files up to ${mb(limit)}.`);
    return "handled";
  }
  const bytes = await download(turn, doc, limit);
  if (!bytes) return "handled";
  let text: string;
  let cutNote = "";
  const maxChars = documentChars(turn);
  if (kind === "pdf") {
    try {
      const pdf = await extractPdfText(bytes, maxChars);
      text = pdf.text;
      if (pdf.pagesRead < pdf.pages) cutNote = ` (pages 1–${pdf.pagesRead} of ${pdf.pages})`;
    } catch (err) {
      if (!(err instanceof PdfUnreadableError)) throw err;
      turn.log.info("pdf refused", { error: err.message });
      await say(turn, `I couldn't read ${doc.fileName}: ${err.reason}.`);
      return "handled";
    }
  } else {
    const decoded = decodeText(bytes);
    if (decoded === undefined) {
      await say(
        turn,
        `${doc.fileName} doesn't look like a text file (it holds binary data). I can read ${READABLE_FILES}.`,
      );
      return "handled";
    }
    const json = kind === "json" ? parseJson(decoded) : undefined;
    if (looksLikeExport(json)) return importArchive(turn, doc.fileName, json);
    text = decoded;
  }
  return readDocument(turn, doc, text, maxChars, cutNote);
}

/** Puts the document's text (cut to `maxChars`, the user told) into the prompt and answers. */
async function readDocument(
  turn: Turn,
  doc: IncomingDocument,
  text: string,
  maxChars: number,
  cutNote: string,
): Promise<TurnOutcome> {
  const session = await beginTurn(turn);
  if (session === "duplicate") return "duplicate";
  const cut = text.length > maxChars;
  const body = cut ? text.slice(0, maxChars) : text;
  if (cut || cutNote) {
    await say(
      turn,
      `ℹ️ ${doc.fileName} is long: I read its first ${body.length} characters${cutNote}${cut ? ` of ${text.length}` : ""}. Ask about a part by quoting it, or send a shorter file.`,
    );
  }
  const question = doc.caption?.trim() || DEFAULT_DOCUMENT_QUESTION;
  const content = `${question}\n\n<document name="${doc.fileName.replace(/"/g, "'").slice(0, 200)}"${cut || cutNote ? ' cut="true"' : ""}>\n${body}\n</document>`;
  return answer(turn, session, userMessage(turn, session, content));
}

/**
 * How much document text goes into the prompt: `DOCUMENT_MAX_CHARS`, and no
 * more than about three quarters of what the context leaves beside the answer
 * (Ollama would otherwise cut the prompt from the front, silently).
 */
function documentChars(turn: Turn): number {
  const { config } = turn.services;
  const numCtx = config.ollama.numCtx;
  const room = numCtx - Math.min(config.ollama.numPredict, Math.floor(numCtx / 4));
  const fits = Math.floor(room * 0.75 * CHARS_PER_TOKEN);
  return Math.max(500, Math.min(config.media.documentMaxChars, fits));
}

async function download(
  turn: Turn,
  doc: IncomingDocument,
  limit: number,
): Promise<Uint8Array | undefined> {
  try {
    return await turn.services.telegram.downloadFile(doc.fileId, limit);
  } catch (err) {
    if (!isTooBigToDownload(err)) throw err;
    await say(turn, `${doc.fileName} is too big: I read files up to ${mb(limit)}.`);
    return undefined;
  }
}

/** UTF-8 text, or undefined for binary data (a NUL byte near the start). */
function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes.subarray(0, 8192).includes(0)) return undefined;
  return new TextDecoder("utf-8").decode(bytes).replace(/^\uFEFF/, "");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
