import { describe, expect, it } from "@jest/globals";
import { ARCHIVE_FORMAT, archiveSchema } from "../../handler/app/archive/format.js";
import {
  buildPart,
  coverOf,
  PART_FORMAT,
  partKey,
  partMessages,
  partRange,
  partSchema,
  partsPrefix,
  serializePart,
} from "../../handler/app/archive/parts.js";
import type { ChatMessage } from "../../handler/domain/session.js";

function message(seq: number, extra: Partial<ChatMessage> = {}): ChatMessage {
  return {
    seq,
    role: seq % 2 === 1 ? "user" : "assistant",
    content: `m${seq}`,
    ts: `2026-03-01T10:00:${String(seq).padStart(2, "0")}.000Z`,
    ...extra,
  };
}

const PREFIX = partsPrefix(42, "llama3:8b", "S1");

describe("app/archive/parts", () => {
  it("keeps parts outside <user_id>/ and names them by their first and last message, sortable", () => {
    expect(PREFIX).toBe("parts/42/model_llama3_8b/session_S1/");
    expect(partKey(PREFIX, 9, 12)).toBe(`${PREFIX}000000009-000000012.json`);
    expect(partRange(PREFIX, partKey(PREFIX, 9, 12))).toEqual({ first: 9, last: 12 });
    expect(partKey(PREFIX, 2, 3) < partKey(PREFIX, 10, 11)).toBe(true);
  });

  it("ignores keys that are not parts of this session", () => {
    expect(partRange(PREFIX, "parts/42/model_llama3_8b/session_S2/000000001-000000002.json")).toBe(
      undefined,
    );
    expect(partRange(PREFIX, `${PREFIX}notes.txt`)).toBe(undefined);
    expect(partRange(PREFIX, `${PREFIX}000000005-000000004.json`)).toBe(undefined);
    expect(partRange(PREFIX, `${PREFIX}000000000-000000004.json`)).toBe(undefined);
  });

  it("stores a part as one line of JSON that reads back as the same messages", () => {
    // Prepare
    const msgs = [message(5), message(6, { failed: "timeout" }), message(7)];

    // Act
    const text = serializePart(buildPart("S1", msgs, 1));
    const parsed = partSchema.parse(JSON.parse(text));

    // Assess
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.split("\n")).toHaveLength(2);
    expect(parsed).toMatchObject({
      format: PART_FORMAT,
      session_id: "S1",
      first_seq: 5,
      last_seq: 7,
      previous_first_seq: 1,
    });
    expect(partMessages(parsed)).toEqual(msgs);
  });

  it("refuses a part whose messages do not match its range, and is never taken for a complete archive", () => {
    const part = buildPart("S1", [message(5), message(6)], undefined);
    const [fifth, sixth] = part.messages;
    expect(partSchema.safeParse(part).success).toBe(true);
    expect(partSchema.safeParse({ ...part, last_seq: 7 }).success).toBe(false);
    expect(partSchema.safeParse({ ...part, messages: [fifth, { ...sixth, seq: 7 }] }).success).toBe(
      false,
    );
    expect(PART_FORMAT).not.toBe(ARCHIVE_FORMAT);
    expect(archiveSchema.safeParse(part).success).toBe(false);
  });

  it("covers 1..n by walking back from n through parts that end where the walk stands", () => {
    const cover = coverOf(
      [
        { first: 1, last: 8 },
        { first: 9, last: 12 },
        { first: 13, last: 16 },
      ],
      16,
    );
    expect(cover).toEqual({
      parts: [
        { first: 1, last: 8 },
        { first: 9, last: 12 },
        { first: 13, last: 16 },
      ],
      composedThrough: 0,
    });
  });

  it("passes over parts left by attempts that were never confirmed", () => {
    // 1..8 was stored but not recorded; the next trim wrote 1..10; 11..14 is newer than what the session says
    const cover = coverOf(
      [
        { first: 1, last: 8 },
        { first: 1, last: 10 },
        { first: 11, last: 14 },
      ],
      10,
    );
    expect(cover).toEqual({ parts: [{ first: 1, last: 10 }], composedThrough: 0 });
  });

  it("reads messages before the first part from the composed archive (sessions archived before parts existed, imports)", () => {
    expect(coverOf([{ first: 41, last: 60 }], 60)).toEqual({
      parts: [{ first: 41, last: 60 }],
      composedThrough: 40,
    });
    expect(coverOf([], 12)).toEqual({ parts: [], composedThrough: 12 });
    expect(coverOf([], 0)).toEqual({ parts: [], composedThrough: 0 });
  });
});
