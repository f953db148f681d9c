import { isTooBigToDownload, ModelError } from "../../errors.js";
import { TELEGRAM_DOWNLOAD_LIMIT } from "../../settings/attachments.js";
import { inStorage } from "../archive/errors.js";
import { answer, beginTurn, userMessage } from "../conversation/chat.js";
import { describeModelError } from "../conversation/model-errors.js";
import { say, type Turn, type TurnOutcome } from "../conversation/turn.js";
import type { IncomingPhoto, PhotoSize } from "../intake/addressing.js";
import { imageKey, sniffImageType } from "./image-keys.js";
import { noVisionReply } from "./vision.js";

/** The question asked about an image sent without a caption. */
export const DEFAULT_IMAGE_QUESTION = "Describe this image.";

/** An image to answer about: a photo size, or a file whose type is an image. */
export interface ImageInput {
  readonly fileId: string;
  /** Bytes as Telegram reports them, when it does. */
  readonly size?: number;
  readonly caption?: string;
  /** "photo" or "image file", for replies. */
  readonly what: string;
}

/** A size for replies: megabytes with one decimal, or whole kilobytes under one megabyte. */
export const mb = (bytes: number): string =>
  bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * The size to download: the largest Telegram offers (they come smallest
 * first) that fits `limit`. A size without `file_size` counts as fitting; the
 * download itself still refuses more than `limit`.
 */
export function pickPhotoSize(sizes: readonly PhotoSize[], limit: number): PhotoSize | undefined {
  return sizes.filter((s) => (s.size ?? 0) <= limit).at(-1);
}

/** Answers a photo: the largest size within `IMAGE_MAX_BYTES` goes to a vision model. */
export async function photoTurn(turn: Turn, photo: IncomingPhoto): Promise<TurnOutcome> {
  const limit = imageLimit(turn);
  const size = pickPhotoSize(photo.sizes, limit);
  if (!size) {
    const largest = Math.max(...photo.sizes.map((s) => s.size ?? 0));
    await say(turn, tooBig("photo", largest, limit));
    return "handled";
  }
  return imageTurn(turn, {
    fileId: size.fileId,
    size: size.size,
    caption: photo.caption,
    what: "photo",
  });
}

/**
 * Answers an image with its caption as the question, when the current model
 * can see (`/api/show` lists `vision`); otherwise says which models can and
 * sends nothing. The image is stored in S3 beside the conversation and the
 * stored message keeps only its key, so follow-up questions can send it again.
 */
export async function imageTurn(turn: Turn, image: ImageInput): Promise<TurnOutcome> {
  const { services, msg, log } = turn;
  const limit = imageLimit(turn);
  if ((image.size ?? 0) > limit) {
    await say(turn, tooBig(image.what, image.size ?? 0, limit));
    return "handled";
  }
  const session = await beginTurn(turn);
  if (session === "duplicate") return "duplicate";
  try {
    if (!(await services.capabilities.canSee(session.model))) {
      log.info("image refused: the model cannot see", { model: session.model });
      await say(turn, await noVisionReply(turn, session.model));
      return "handled";
    }
  } catch (err) {
    if (!(err instanceof ModelError)) throw err;
    await say(turn, describeModelError(err, services.config.ollama.servers.length));
    return "handled";
  }
  let bytes: Uint8Array;
  try {
    bytes = await services.telegram.downloadFile(image.fileId, limit);
  } catch (err) {
    if (!isTooBigToDownload(err)) throw err;
    log.info("image refused: too big to download", { error: err.message });
    await say(turn, tooBig(image.what, image.size ?? limit + 1, limit));
    return "handled";
  }
  const type = sniffImageType(bytes);
  if (!type) {
    await say(
      turn,
      `I can't read that ${image.what}: it is not a JPEG, PNG, WebP, GIF or BMP image. Send it as a photo instead.`,
    );
    return "handled";
  }
  const key = imageKey(session, String(msg.updateId), type);
  // S3 down: the update fails and is retried (its photo is downloaded again); nothing is lost.
  await inStorage("write", key, () => services.media.putBytes(key, bytes, type));
  const question = image.caption?.trim() || DEFAULT_IMAGE_QUESTION;
  const fresh = new Map([[key, Buffer.from(bytes).toString("base64")]]);
  return answer(turn, session, userMessage(turn, session, question, [key]), {
    freshImages: fresh,
  });
}

function imageLimit(turn: Turn): number {
  return Math.min(turn.services.config.media.imageMaxBytes, TELEGRAM_DOWNLOAD_LIMIT);
}

function tooBig(what: string, size: number, limit: number): string {
  const telegram =
    limit >= TELEGRAM_DOWNLOAD_LIMIT ? " (Telegram lets bots download up to 20 MB)" : "";
  return `That ${what} is ${size > limit ? mb(size) : "too big"}; I can look at images up to ${mb(limit)}${telegram}. Send a smaller one: a photo sent as a photo (not as a file) is compressed and fits.`;
}
