/**
 * pdf.js, loaded only when a PDF arrives (`pdf.ts` imports this module
 * lazily). The legacy build runs on Node 20; its worker runs in this thread
 * (pdf.js's "fake worker", found through `globalThis.pdfjsWorker`), since a
 * Lambda has no use for a worker thread per document.
 */
import * as pdfjs from "pdfjs-dist/legacy/build/pdf.mjs";
import * as worker from "pdfjs-dist/legacy/build/pdf.worker.mjs";
import type { PdfText } from "./pdf.js";

/** A PDF that cannot be read, with the reason the user is told (thrown as `PdfUnreadableError` by `pdf.ts`). */
export interface Unreadable {
  readonly unreadable: string;
  readonly cause?: unknown;
}

(globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = worker;

/** Text of the PDF in `data`, page by page until `maxChars` (later pages are not parsed). */
export async function extractText(
  data: Uint8Array,
  maxChars: number,
): Promise<PdfText | Unreadable> {
  const task = pdfjs.getDocument({
    // pdf.js takes ownership of (detaches) the buffer it is given: hand it a copy.
    data: new Uint8Array(data),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
    verbosity: pdfjs.VerbosityLevel.ERRORS,
  });
  let doc: Awaited<typeof task.promise>;
  try {
    doc = await task.promise;
  } catch (err) {
    const name = err instanceof Error ? err.name : "";
    const reason =
      name === "PasswordException"
        ? "it is protected with a password"
        : `it is not a valid PDF (${err instanceof Error ? err.message : String(err)})`;
    return { unreadable: reason, cause: err };
  }
  try {
    const pages: string[] = [];
    let chars = 0;
    let pagesRead = 0;
    for (let n = 1; n <= doc.numPages && chars <= maxChars; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      const text = content.items
        .map((item) => ("str" in item ? item.str + (item.hasEOL ? "\n" : "") : ""))
        .join("")
        .trim();
      page.cleanup();
      pagesRead = n;
      if (text) {
        pages.push(text);
        chars += text.length + 2;
      }
    }
    const text = pages.join("\n\n");
    if (!text.trim())
      return {
        unreadable:
          "it has no text to read (a scanned PDF holds pictures of pages; a model that can see could read a photo of one)",
      };
    return { text, pages: doc.numPages, pagesRead };
  } catch (err) {
    return {
      unreadable: `a page could not be read (${err instanceof Error ? err.message : String(err)})`,
      cause: err,
    };
  } finally {
    await doc.destroy();
  }
}
