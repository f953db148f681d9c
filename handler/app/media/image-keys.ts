import { modelKeySegment } from "../../domain/model-name.js";
import type { Session } from "../../domain/session.js";

/** Image types vision models take, by MIME type, with the extension their keys get. */
export const IMAGE_TYPES: Readonly<Record<string, string>> = {
  "image/jpeg": "jpg",
  "image/png": "png",
  "image/webp": "webp",
  "image/gif": "gif",
  "image/bmp": "bmp",
};

/** The MIME type an image key's extension stands for. */
export function imageMimeOf(key: string): string {
  const ext = key.slice(key.lastIndexOf(".") + 1).toLowerCase();
  return Object.entries(IMAGE_TYPES).find(([, e]) => e === ext)?.[0] ?? "application/octet-stream";
}

/**
 * Where an image of a conversation lives in S3:
 * `<user_id>/model_<model>/images/session_<id>/<name>.<ext>`, beside the
 * conversation's archive, so it is found (and deleted) with it. `name` is the
 * Telegram update id for images sent in the chat, `import-<seq>-<n>` for
 * images that came in an imported file.
 */
export function imageKey(
  session: Pick<Session, "userId" | "model" | "sessionId">,
  name: string,
  mimeType: string,
): string {
  const ext = IMAGE_TYPES[mimeType] ?? "bin";
  return `${imagesPrefix(session)}${name}.${ext}`;
}

/** The folder of a conversation's images (ends with `/`). */
export function imagesPrefix(session: Pick<Session, "userId" | "model" | "sessionId">): string {
  return `${session.userId}/model_${modelKeySegment(session.model)}/images/session_${session.sessionId}/`;
}

/**
 * The image type of `bytes` from its first bytes (Telegram's `mime_type` is
 * what the sender's app claimed; a photo has none). Undefined when it is none
 * of {@link IMAGE_TYPES}.
 */
export function sniffImageType(bytes: Uint8Array): string | undefined {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x89, 0x50, 0x4e, 0x47)) return "image/png";
  if (starts(0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (starts(0x42, 0x4d)) return "image/bmp";
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...bytes.slice(8, 12)) === "WEBP")
    return "image/webp";
  return undefined;
}
