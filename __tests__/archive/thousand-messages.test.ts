import { describe, expect, it } from "@jest/globals";
import { coldStart } from "../harness/lambda.js";
import { recordMeasurement } from "../harness/measurements.js";
import {
  archiveAt,
  conversationOf,
  type Item,
  isContiguous,
  itemBytes,
  keyOf,
  onlySession,
  type PollSummary,
  person,
  repliesTo,
  reread,
  s3Text,
  say,
  useArchiveBed,
} from "./support.js";

const MESSAGES = 1000;
const MESSAGE_BYTES = 3 * 1024;
/** Not a divisor of the trim period, so the item is measured at every phase of its growth. */
const PER_INVOKE = 37;
const DYNAMO_ITEM_LIMIT = 400 * 1024;

/** Message `i`: a unique 3 KB text (ASCII, so 3,072 characters). */
function message(i: number): string {
  const head = `#${String(i).padStart(4, "0")} `;
  let body = "";
  let x = i * 2_654_435_761;
  while (head.length + body.length < MESSAGE_BYTES) {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    body += String.fromCharCode(97 + (x % 26));
  }
  return head + body;
}

describe("a 1,000-message conversation of 3 KB messages", () => {
  // The defaults: ARCHIVE_AFTER_MESSAGES=40, ARCHIVE_AFTER_KB=64, CONTEXT_MESSAGES=20.
  const bed = useArchiveBed();

  it("answers every message, archives every message, and keeps the DynamoDB item far below 400 KB", async () => {
    // Arrange
    const ada = person(6001, "Ada");
    const texts = Array.from({ length: MESSAGES }, (_, i) => message(i + 1));
    expect(texts.every((t) => Buffer.byteLength(t) === MESSAGE_BYTES)).toBe(true);
    const lambda = coldStart(bed.env);
    const sizes: number[] = [];
    let item: Item | undefined;

    // Act: a warm function polled again and again, PER_INVOKE messages waiting each time
    for (let from = 0; from < MESSAGES; from += PER_INVOKE) {
      for (const text of texts.slice(from, from + PER_INVOKE))
        bed.telegram.pushText(ada.user, ada.chat, text);
      const summary = await lambda.invoke<PollSummary>({});
      expect(summary).toMatchObject({ failed: 0, deferred: 0 });
      item = item ? await reread(bed, item) : await onlySession(bed, ada);
      if (item) sizes.push(itemBytes(item));
    }
    await say(bed, ada, "/end");

    // Assess: every message answered once, in order (besides one notice that the
    // model's context is full; compared by id first to keep a failure readable)
    const answers = repliesTo(bed, ada);
    const echoes = answers.filter((t) => t.startsWith("You said: "));
    expect(echoes.map((t) => t.slice(10, 15))).toEqual(texts.map((t) => t.slice(0, 5)));
    expect(echoes.every((t, i) => t === `You said: ${texts[i]}`)).toBe(true);
    expect(answers.filter((t) => !t.startsWith("You said: "))).toEqual([
      expect.stringContaining("longer than the model's context"),
      expect.stringContaining(`archived (${2 * MESSAGES} messages)`),
    ]);

    // Assess: the item stayed far below DynamoDB's limit the whole time
    expect(sizes).toHaveLength(Math.ceil(MESSAGES / PER_INVOKE));
    const largest = Math.max(...sizes);
    expect(largest).toBeLessThan(DYNAMO_ITEM_LIMIT / 4);
    const closed = await onlySession(bed, ada);
    expect(closed).toMatchObject({ status: "closed", message_count: 2 * MESSAGES });
    expect(conversationOf(closed)).toEqual([]);
    expect(itemBytes(closed)).toBeLessThan(4 * 1024);

    // Assess: the archive holds all 2,000 messages exactly once, in order
    const key = keyOf(bed, closed.s3_path);
    const doc = await archiveAt(bed, key);
    expect(doc.message_count).toBe(2 * MESSAGES);
    expect(isContiguous(doc.messages)).toBe(true);
    const said = doc.messages.filter((m) => m.role === "user").map((m) => m.content);
    const answered = doc.messages.filter((m) => m.role === "assistant").map((m) => m.content);
    expect(said.map((t) => t.slice(0, 5))).toEqual(texts.map((t) => t.slice(0, 5)));
    expect(said.every((t, i) => t === texts[i])).toBe(true);
    expect(answered.every((t, i) => t === `You said: ${texts[i]}`)).toBe(true);
    expect(doc.messages.map((m) => m.role)).toEqual(texts.flatMap(() => ["user", "assistant"]));
    const txt = (await s3Text(bed, key.replace(/\.json$/, ".txt"))) ?? "";
    for (const i of [1, 500, MESSAGES]) expect(txt).toContain(message(i));

    // Assess: the model kept getting recent context, never the whole conversation
    const last =
      bed.ollama
        .chats()
        .at(-1)
        ?.body.messages.map((m) => m.content) ?? [];
    expect(last.at(-1)).toBe(texts.at(-1));
    expect(last.at(-3)).toBe(texts.at(-2));
    expect(last.length).toBeLessThanOrEqual(21);

    recordMeasurement("1,000 messages of 3 KB", {
      itemMaxKb: Number((largest / 1024).toFixed(1)),
      samples: sizes.length,
      archiveMb: Number((Buffer.byteLength(JSON.stringify(doc)) / 1024 / 1024).toFixed(1)),
    });
    // The timeout guards against a hang, not speed: 80 s alone, over 120 s beside three other
    // files on two loaded cores.
  }, 300_000);
});
