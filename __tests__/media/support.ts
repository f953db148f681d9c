/**
 * Helpers of the media tests: image and PDF bytes that real decoders accept,
 * and reading what the bot sent to the fake Ollama.
 */
import { GetObjectCommand } from "@aws-sdk/client-s3";
import type { TestBed } from "../harness/bed.js";
import type { ChatBody, OllamaMessage } from "../harness/fake-ollama.js";

/** JPEG bytes of `size` (the SOI/APP0 signature, then `fill`): what Telegram serves for a photo. */
export function jpeg(size: number, fill = 0x11): Buffer {
  const bytes = Buffer.alloc(size, fill);
  bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
  return bytes;
}

/** PNG bytes of `size` (its 8-byte signature, then `fill`). */
export function png(size: number, fill = 0x22): Buffer {
  const bytes = Buffer.alloc(size, fill);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  return bytes;
}

/** A valid PDF with one page per entry of `pages`, each a line of text in Helvetica. */
export function pdf(pages: readonly string[]): Buffer {
  const n = pages.length;
  const objects: string[] = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    `<< /Type /Pages /Kids [${pages.map((_, i) => `${4 + 2 * i} 0 R`).join(" ")}] /Count ${n} >>`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  for (const [i, text] of pages.entries()) {
    const stream = `BT /F1 12 Tf 72 720 Td (${text.replace(/[()\\]/g, "\\$&")}) Tj ET`;
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${5 + 2 * i} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`,
    );
    objects.push(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
  }
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  for (const [i, o] of objects.entries()) {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  }
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("");
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, "latin1");
}

/** The `/api/chat` bodies the fake Ollama received, oldest first. */
export function chatBodies(bed: TestBed): ChatBody[] {
  return bed.ollama.chats().map((r) => r.body);
}

/** The last user message of the last `/api/chat` request. */
export function lastPrompt(bed: TestBed): OllamaMessage | undefined {
  return chatBodies(bed)
    .at(-1)
    ?.messages.filter((m) => m.role === "user")
    .at(-1);
}

/** The bytes of an S3 object, or undefined. */
export async function s3Bytes(bed: TestBed, key: string): Promise<Buffer | undefined> {
  try {
    const res = await bed.aws.s3.send(new GetObjectCommand({ Bucket: bed.aws.bucket, Key: key }));
    const bytes = await res.Body?.transformToByteArray();
    return bytes ? Buffer.from(bytes) : undefined;
  } catch (err) {
    if (err instanceof Error && err.name === "NoSuchKey") return undefined;
    throw err;
  }
}

/** Each base64 image of `message`, decoded. */
export function imagesOf(message: OllamaMessage | undefined): Buffer[] {
  return (message?.images ?? []).map((b) => Buffer.from(b, "base64"));
}
