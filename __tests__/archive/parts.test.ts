import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "@jest/globals";
import type { TestBed } from "../harness/bed.js";
import { coldStart } from "../harness/lambda.js";
import {
  conversationOf,
  expectedKeyBase,
  type Item,
  isContiguous,
  lastText,
  onlySession,
  type PartJson,
  partsOf,
  partsPrefixOf,
  person,
  reread,
  type StoredMessage,
  s3Keys,
  s3Text,
  say,
  useArchiveBed,
} from "./support.js";

const turn = (i: number) => `turn ${i}: ${"ü".repeat(i)}`;
const echo = (i: number) => `You said: ${turn(i)}`;
const pad = (n: number) => String(n).padStart(9, "0");

/** Every message the session has held, as DynamoDB stored it (timestamps included), by seq. */
async function collect(
  bed: TestBed,
  item: Item,
  seen: Map<number, StoredMessage>,
): Promise<Item | undefined> {
  const now = await reread(bed, item);
  for (const m of conversationOf(now)) seen.set(m.seq, m);
  return now;
}

/** The part the issue specifies, serialized as the bot must store it (one line of JSON). */
function expectedPart(
  sessionId: string,
  messages: StoredMessage[],
  previous: number | null,
): string {
  const part: PartJson = {
    format: "telegram-ollama-chatbot/session-part",
    version: 1,
    session_id: sessionId,
    first_seq: messages[0]?.seq ?? 0,
    last_seq: messages.at(-1)?.seq ?? 0,
    previous_first_seq: previous,
    messages: messages.map((m) => ({
      seq: m.seq,
      role: m.role,
      content: m.content,
      timestamp: m.ts,
    })),
  };
  return `${JSON.stringify(part)}\n`;
}

describe("archive parts: constant-size appends while active, one complete archive when the session ends", () => {
  // A trim whenever the window passes 6 messages; it keeps the last 4.
  const bed = useArchiveBed({ ARCHIVE_AFTER_MESSAGES: "6", CONTEXT_MESSAGES: "4" });
  bed.beforeClose(async () => {
    await bed.aws.startS3();
  });

  it("each trim appends only its new messages as a part, and /end composes the parts into session_<id>.json and .txt, byte for byte", async () => {
    // Arrange
    const ada = person(9101, "Ada");
    await say(bed, ada, turn(1));
    let item: Item | undefined = await onlySession(bed, ada);
    const id = String(item.session_id);
    const seen = new Map<number, StoredMessage>();
    item = await collect(bed, item, seen);

    // Act: one message per invoke of a warm function, past four trims, then /end
    const lambda = coldStart(bed.env);
    for (let i = 2; i <= 11; i++) {
      bed.telegram.pushText(ada.user, ada.chat, turn(i));
      await lambda.invoke({});
      item = await collect(bed, item ?? {}, seen);
    }
    const active = item ?? {};
    const partsWhileActive = await partsOf(bed, active);
    const composedWhileActive = await s3Keys(bed, `${ada.user.id}/`);
    await say(bed, ada, "/end");
    const closed = (await reread(bed, active)) ?? {};

    // Assess: every message was answered and seen in the window once
    const all = [...seen.values()].sort((a, b) => a.seq - b.seq);
    expect(all.map((m) => m.content)).toEqual(
      Array.from({ length: 11 }, (_, i) => [turn(i + 1), echo(i + 1)]).flat(),
    );
    expect(isContiguous(all)).toBe(true);
    const range = (first: number, last: number) => all.slice(first - 1, last);

    // Assess: while active, four parts of new messages only, and no composed archive
    const prefix = partsPrefixOf(active);
    expect(composedWhileActive).toEqual([]);
    expect(active).toMatchObject({ status: "active", archived_count: 20, archive_tail: 17 });
    expect(partsWhileActive.map((p) => p.key)).toEqual([
      `${prefix}${pad(1)}-${pad(8)}.json`,
      `${prefix}${pad(9)}-${pad(12)}.json`,
      `${prefix}${pad(13)}-${pad(16)}.json`,
      `${prefix}${pad(17)}-${pad(20)}.json`,
    ]);
    expect(partsWhileActive.map((p) => p.text)).toEqual([
      expectedPart(id, range(1, 8), null),
      expectedPart(id, range(9, 12), 1),
      expectedPart(id, range(13, 16), 9),
      expectedPart(id, range(17, 20), 13),
    ]);

    // Assess: /end appended the window's last messages as a fifth part
    const parts = await partsOf(bed, active);
    expect(parts.slice(0, 4)).toEqual(partsWhileActive);
    expect(parts.map((p) => p.key).slice(4)).toEqual([`${prefix}${pad(21)}-${pad(22)}.json`]);
    expect(parts[4]?.text).toBe(expectedPart(id, range(21, 22), 17));
    expect(closed).toMatchObject({
      status: "closed",
      archived_count: 22,
      archive_tail: 21,
      archive_reason: "ended",
    });

    // Assess: the composed archive, byte for byte
    const base = expectedKeyBase(ada.user.id, "llama3", id);
    expect(await s3Keys(bed, `${ada.user.id}/`)).toEqual([`${base}.json`, `${base}.txt`]);
    expect(closed.s3_path).toBe(`s3://${bed.aws.bucket}/${base}.json`);
    const doc = {
      format: "telegram-ollama-chatbot/session",
      version: 1,
      session: {
        id,
        model: "llama3",
        status: "closed",
        started_at: closed.created_at,
        last_message_at: closed.last_message_ts,
        ended_at: closed.closed_at,
        archived_at: closed.archived_at,
        archive_reason: "ended",
        ollama_endpoint: closed.ollama_endpoint,
      },
      user: {
        id: ada.user.id,
        chat_id: ada.chat.id,
        username: "ada",
        first_name: "Ada",
        language_code: "en",
      },
      parameters: { system_prompt: null, options: { num_ctx: 8192, num_predict: 2048 } },
      usage: {
        prompt_tokens: closed.prompt_tokens,
        completion_tokens: closed.completion_tokens,
        total_duration_ms: closed.total_ms,
        replies: 11,
      },
      message_count: 22,
      messages: all.map((m) => ({ seq: m.seq, role: m.role, content: m.content, timestamp: m.ts })),
    };
    expect(await s3Text(bed, `${base}.json`)).toBe(`${JSON.stringify(doc, null, 2)}\n`);
    const header = [
      "Conversation with llama3",
      `User: @ada (id ${ada.user.id}, chat ${ada.chat.id})`,
      `Session: ${id} · started ${closed.created_at} · ended ${closed.closed_at}`,
      `Archived: ${closed.archived_at} (ended) · 22 messages · ${closed.prompt_tokens}+${closed.completion_tokens} tokens`,
      "=".repeat(72),
    ];
    const blocks = all.map(
      (m) => `[${m.ts}] ${m.role === "user" ? "@ada" : "llama3"}:\n${m.content}\n`,
    );
    expect(await s3Text(bed, `${base}.txt`)).toBe(`${header.join("\n")}\n\n${blocks.join("\n")}`);
  }, 120_000);

  it("a part S3 stored but never confirmed is left behind harmlessly: the next trim writes a longer one and the archive holds every message once", async () => {
    // Arrange: three turns, so the fourth one trims
    const bob = person(9102, "Bob");
    await say(bed, bob, [turn(1), turn(2), turn(3)]);
    const before = await onlySession(bed, bob);
    const prefix = partsPrefixOf(before);
    const cutAfterStore = bed.aws.onS3Put((key) => {
      if (key.startsWith(prefix)) void bed.aws.stopS3();
    });

    // Act: the trim's part is stored, but its answer is cut off; then S3 comes back
    await say(bed, bob, turn(4));
    cutAfterStore();
    const afterCut = await reread(bed, before);
    await bed.aws.startS3();
    await say(bed, bob, turn(5));
    const afterRetry = await reread(bed, before);
    await say(bed, bob, "/end");

    // Assess: the cut trim changed nothing in DynamoDB; the next one wrote 1..10
    expect(afterCut).toMatchObject({ status: "active", message_count: 8, archived_count: 0 });
    expect(conversationOf(afterCut).map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(afterRetry).toMatchObject({ archived_count: 10, archive_tail: 1 });
    expect((await partsOf(bed, before)).map((p) => p.key)).toEqual([
      `${prefix}${pad(1)}-${pad(8)}.json`,
      `${prefix}${pad(1)}-${pad(10)}.json`,
    ]);

    // Assess: the composed archive has every message once, in order
    expect(lastText(bed, bob.chat.id)).toContain("archived (10 messages)");
    const base = expectedKeyBase(bob.user.id, "llama3", before.session_id);
    const doc = JSON.parse((await s3Text(bed, `${base}.json`)) ?? "{}") as {
      messages: { seq: number; content: string }[];
    };
    expect(isContiguous(doc.messages)).toBe(true);
    expect(doc.messages.map((m) => m.content)).toEqual(
      [1, 2, 3, 4, 5].flatMap((i) => [turn(i), echo(i)]),
    );
  });

  it("/resume reads only the newest part: with the composed archive and older parts gone, it still restores the recent messages", async () => {
    // Arrange: six turns (parts 1..8 and 9..12), ended; then everything but the newest part removed
    const cy = person(9103, "Cy");
    const lambda = coldStart(bed.env);
    for (let i = 1; i <= 6; i++) {
      bed.telegram.pushText(cy.user, cy.chat, turn(i));
      await lambda.invoke({});
    }
    await say(bed, cy, "/end");
    const closed = await onlySession(bed, cy);
    const prefix = partsPrefixOf(closed);
    const base = expectedKeyBase(cy.user.id, "llama3", closed.session_id);
    expect(closed).toMatchObject({ status: "closed", archived_count: 12, archive_tail: 9 });
    for (const key of [`${base}.json`, `${base}.txt`, `${prefix}${pad(1)}-${pad(8)}.json`])
      await bed.aws.s3.send(new DeleteObjectCommand({ Bucket: bed.aws.bucket, Key: key }));

    // Act
    await say(bed, cy, ["/resume 1", "and now?"]);

    // Assess: reopened with the last four messages, which the model saw
    const reopened = await reread(bed, closed);
    expect(reopened).toMatchObject({ status: "active", message_count: 14 });
    expect(
      bed.ollama
        .chats()
        .at(-1)
        ?.body.messages.map((m) => m.content),
    ).toEqual([turn(5), echo(5), turn(6), echo(6), "and now?"]);
    expect(bed.telegram.sentMessages(cy.chat.id).at(-2)?.text).toContain(
      "The model sees its last 4",
    );
  }, 60_000);
});
