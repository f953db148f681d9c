/**
 * Archive parts: while a session is active, each size-triggered trim appends
 * the messages it moves out of DynamoDB as one small, immutable object, so the
 * cost of a trim does not grow with the conversation. When the session ends,
 * the parts are composed into the design layout's `session_<id>.json` and `.txt`.
 */
import * as z from "zod";
import { modelKeySegment } from "../../domain/model-name.js";
import type { ChatMessage } from "../../domain/session.js";
import { archiveMessageSchema, fromArchiveMessage, toArchiveMessage } from "./format.js";

/** Identifies a part object; never mistaken for (or importable as) a complete archive. */
export const PART_FORMAT = "telegram-ollama-chatbot/session-part";
export const PART_VERSION = 1;

/** Digits of the message numbers in part keys, so that keys sort in message order. */
const SEQ_DIGITS = 9;

/**
 * `parts/<user_id>/model_<model_name>/session_<session_id>/`: outside the
 * `<user_id>/` tree, which holds only complete, composed archives.
 */
export function partsPrefix(userId: number, model: string, sessionId: string): string {
  return `parts/${userId}/model_${modelKeySegment(model)}/session_${sessionId}/`;
}

/** `<prefix><first>-<last>.json`: the name says which messages the part holds. */
export function partKey(prefix: string, first: number, last: number): string {
  const pad = (n: number) => String(n).padStart(SEQ_DIGITS, "0");
  return `${prefix}${pad(first)}-${pad(last)}.json`;
}

/** The message range a part key names, or undefined for any other key. */
export function partRange(
  prefix: string,
  key: string,
): { readonly first: number; readonly last: number } | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const match = /^(\d+)-(\d+)\.json$/.exec(key.slice(prefix.length));
  if (!match) return undefined;
  const first = Number(match[1]);
  const last = Number(match[2]);
  return first >= 1 && last >= first ? { first, last } : undefined;
}

/** A part object, validated when read (built on first use, as the schemas in format.ts). */
export const partSchema = z.lazy(() =>
  z
    .object({
      format: z.literal(PART_FORMAT),
      version: z.literal(PART_VERSION),
      session_id: z.string(),
      first_seq: z.number().int().positive(),
      last_seq: z.number().int().positive(),
      /** First message of the part before this one; null when there is none (older messages, if any, are in the composed archive). */
      previous_first_seq: z.number().int().positive().nullable(),
      messages: z.array(archiveMessageSchema).min(1),
    })
    .superRefine((part, ctx) => {
      const gap = part.messages.findIndex((m, i) => m.seq !== part.first_seq + i);
      if (gap >= 0 || part.messages.at(-1)?.seq !== part.last_seq) {
        ctx.addIssue({
          code: "custom",
          path: ["messages"],
          message: `must hold messages ${part.first_seq}..${part.last_seq} in order, without gaps`,
        });
      }
    }),
);

/** A parsed part. */
export type ArchivePart = z.infer<typeof partSchema>;

/**
 * The part holding `messages` (consecutive, oldest first). `previousFirst` is
 * the first message of the part before it, so the newest messages can be read
 * backwards without listing the bucket.
 */
export function buildPart(
  sessionId: string,
  messages: readonly ChatMessage[],
  previousFirst: number | undefined,
): ArchivePart {
  const first = messages[0]?.seq ?? 0;
  return {
    format: PART_FORMAT,
    version: PART_VERSION,
    session_id: sessionId,
    first_seq: first,
    last_seq: messages.at(-1)?.seq ?? first,
    previous_first_seq: previousFirst ?? null,
    messages: messages.map(toArchiveMessage),
  };
}

/** The bytes stored for a part: one line of JSON (parts are for programs; the composed archive is for people). */
export function serializePart(part: ArchivePart): string {
  return `${JSON.stringify(part)}\n`;
}

/** The messages of a part, as domain messages. */
export function partMessages(part: ArchivePart): ChatMessage[] {
  return part.messages.map(fromArchiveMessage);
}

/**
 * Which parts to read for messages 1..`through`: walking back from
 * `through`, a part ending exactly where the walk stands. Every part's content
 * is the session's messages of its range (messages never change once written),
 * so a part left by an attempt whose DynamoDB write failed is as good as any
 * other. @returns the parts, oldest first, and `composedThrough`: messages
 * 1..that come from the composed archive (sessions archived before parts existed,
 * and imports); 0 when the parts cover everything.
 */
export function coverOf(
  ranges: readonly { readonly first: number; readonly last: number }[],
  through: number,
): { parts: { first: number; last: number }[]; composedThrough: number } {
  const byLast = new Map<number, { first: number; last: number }>();
  for (const r of ranges) {
    const known = byLast.get(r.last);
    // Of two parts ending at the same message, the longer one saves reads.
    if (!known || r.first < known.first) byLast.set(r.last, { first: r.first, last: r.last });
  }
  const parts: { first: number; last: number }[] = [];
  let at = through;
  for (let part = byLast.get(at); at > 0 && part; part = byLast.get(at)) {
    parts.unshift(part);
    at = part.first - 1;
  }
  return { parts, composedThrough: at };
}
