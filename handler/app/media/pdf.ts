import { BotError } from "../../errors.js";

/** A PDF the bot could not read; `reason` is said to the user. */
export class PdfUnreadableError extends BotError {
  override readonly name = "PdfUnreadableError";
  constructor(
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`PDF unreadable: ${reason}`, options);
  }
}

/** Text of a PDF, page by page until `maxChars`. */
export interface PdfText {
  readonly text: string;
  readonly pages: number;
  readonly pagesRead: number;
}

/** The engine module's shape (see `pdf-engine.ts`). */
interface PdfEngine {
  extractText(
    data: Uint8Array,
    maxChars: number,
  ): Promise<PdfText | { readonly unreadable: string; readonly cause?: unknown }>;
}

let engine: Promise<PdfEngine> | undefined;

/**
 * Reads the text of a PDF. pdf.js (3 MB of code) is loaded on the first PDF
 * only, so plain chats never pay for it: in the Lambda bundle it is a file of
 * its own beside `index.js` (see `scripts/build-handler.ts`).
 * @throws PdfUnreadableError for a corrupt, encrypted or text-less PDF.
 */
export async function extractPdfText(data: Uint8Array, maxChars: number): Promise<PdfText> {
  engine ??= loadQuietly().catch((err: unknown) => {
    engine = undefined;
    throw err;
  });
  const result = await (await engine).extractText(data, maxChars);
  if ("unreadable" in result)
    throw new PdfUnreadableError(result.unreadable, { cause: result.cause });
  return result;
}

/**
 * Imports the engine with pdf.js's load-time notices held back: on Node it
 * prints `Warning: Cannot load "@napi-rs/canvas"` and `Cannot polyfill …` with
 * `console.log` (it needs a canvas only to render, never to read text), and
 * those lines would break the bot's one-JSON-object-per-line log.
 */
async function loadQuietly(): Promise<PdfEngine> {
  const log = console.log;
  console.log = (...args: unknown[]) => {
    if (typeof args[0] === "string" && args[0].startsWith("Warning: ")) return;
    log(...args);
  };
  try {
    return await import("./pdf-engine.js");
  } finally {
    console.log = log;
  }
}
