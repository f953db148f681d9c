/** pdf.js's worker module ships no types; the bot only hands it to pdf.js as `globalThis.pdfjsWorker`. */
declare module "pdfjs-dist/legacy/build/pdf.worker.mjs" {
  export const WorkerMessageHandler: unknown;
}
