import type { ChatMessage, Session } from "../../domain/session.js";
import { inStorage } from "../archive/errors.js";
import type { ArchiveDocument, Attachments } from "../archive/format.js";
import type { Turn } from "../conversation/turn.js";
import type { ArchiveStore } from "../ports.js";
import { imageKey, imageMimeOf, sniffImageType } from "./image-keys.js";

/**
 * Most image bytes one export carries (before base64): the file must stay
 * importable (Telegram lets bots download 20 MB) and a Lambda must hold it.
 * Images beyond it are left out, newest kept, and the caption says so.
 */
export const EXPORT_IMAGE_BYTES = 12 * 1024 * 1024;

/**
 * The export of `doc` with its images inside (`attachments`, base64 by key),
 * newest first until {@link EXPORT_IMAGE_BYTES}. An image missing from S3 is
 * left out like one over the budget.
 * @returns the document and how many images were left out.
 */
export async function withAttachments(
  doc: ArchiveDocument,
  objects: ArchiveStore,
): Promise<{ doc: ArchiveDocument; left: number }> {
  const keys = [...new Set(doc.messages.flatMap((m) => m.images ?? []))];
  if (keys.length === 0) return { doc, left: 0 };
  const attachments: Attachments = {};
  let budget = EXPORT_IMAGE_BYTES;
  let left = 0;
  for (const key of keys.reverse()) {
    const bytes = await inStorage("read", key, () => objects.getBytes(key));
    if (!bytes || bytes.byteLength > budget) {
      left++;
      continue;
    }
    budget -= bytes.byteLength;
    attachments[key] = { mime_type: imageMimeOf(key), data: Buffer.from(bytes).toString("base64") };
  }
  return { doc: { ...doc, attachments }, left };
}

/**
 * The messages of an imported export, their images stored under the new
 * session's prefix from the file's own attachments. A key without an
 * attachment, or whose data is not an image within `IMAGE_MAX_BYTES`, is
 * dropped: the message text stays, the bot never reads a key a file names.
 */
export async function importImages(
  turn: Turn,
  session: Pick<Session, "userId" | "model" | "sessionId">,
  messages: readonly ChatMessage[],
  attachments: Attachments | undefined,
): Promise<ChatMessage[]> {
  const { services, log } = turn;
  let dropped = 0;
  const out: ChatMessage[] = [];
  for (const m of messages) {
    if (!m.images?.length) {
      out.push(m);
      continue;
    }
    const { images: _, ...rest } = m;
    const kept: string[] = [];
    for (const [n, key] of m.images.entries()) {
      const data = attachments?.[key]?.data;
      const bytes = data === undefined ? undefined : Buffer.from(data, "base64");
      const type = bytes && sniffImageType(bytes);
      if (!bytes || !type || bytes.byteLength > services.config.media.imageMaxBytes) {
        dropped++;
        continue;
      }
      const stored = imageKey(session, `import-${m.seq}-${n + 1}`, type);
      await inStorage("write", stored, () => services.media.putBytes(stored, bytes, type));
      kept.push(stored);
    }
    out.push(kept.length > 0 ? { ...rest, images: kept } : rest);
  }
  if (dropped > 0) log.info("import left out images the file did not carry", { dropped });
  return out;
}
