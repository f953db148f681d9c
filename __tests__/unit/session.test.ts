import { describe, expect, it } from "@jest/globals";
import { activeKey, inScope, scopeOf } from "../../handler/domain/chat-scope.js";
import {
  type ChatMessage,
  capAnswer,
  MAX_ARCHIVED_MESSAGE_CHARS,
  MAX_STORED_MESSAGE_CHARS,
  messagesBytes,
  newSession,
  newSessionId,
} from "../../handler/domain/session.js";

const message = (content: string, seq = 1): ChatMessage => ({
  seq,
  role: "user",
  content,
  ts: "2026-11-24T10:15:00.000Z",
});

describe("domain/session capAnswer", () => {
  it("keeps an answer of exactly the stored limit whole", () => {
    // Prepare
    const longest = "a".repeat(MAX_STORED_MESSAGE_CHARS);

    // Act / Assess
    expect(capAnswer(longest)).toBe(longest);
    expect(capAnswer("short answer")).toBe("short answer");
  });

  it("cuts a longer answer to the limit, note included, and says where it was cut", () => {
    // Prepare
    const answer = `${"a".repeat(MAX_STORED_MESSAGE_CHARS)}b`;

    // Act
    const capped = capAnswer(answer);

    // Assess: exactly the limit, the start of the answer kept, the note at the end.
    const note = `\n\n[… the answer was cut here: it passed ${MAX_STORED_MESSAGE_CHARS} characters]`;
    expect(capped).toHaveLength(MAX_STORED_MESSAGE_CHARS);
    expect(capped.endsWith(note)).toBe(true);
    expect(capped).toBe(`${"a".repeat(MAX_STORED_MESSAGE_CHARS - note.length)}${note}`);
  });

  it("stores less than an archive may hold, so every stored answer can be archived", () => {
    expect(MAX_STORED_MESSAGE_CHARS).toBeLessThan(MAX_ARCHIVED_MESSAGE_CHARS);
  });
});

describe("domain/session newSession", () => {
  const base = {
    userId: 7,
    chatId: 70,
    model: "llama3",
    sessionId: "20261124T101500Z-00000a",
    ollamaEndpoint: "http://ollama:11434",
    user: { id: 7, username: "ada" },
    now: new Date("2026-11-24T10:15:00.000Z"),
  };

  it("starts an empty active session stamped with the time it was made", () => {
    expect(newSession(base)).toEqual({
      userId: 7,
      chatId: 70,
      model: "llama3",
      sessionId: "20261124T101500Z-00000a",
      status: "active",
      conversation: [],
      messageCount: 0,
      archivedCount: 0,
      createdAt: "2026-11-24T10:15:00.000Z",
      lastMessageTs: "2026-11-24T10:15:00.000Z",
      ollamaEndpoint: "http://ollama:11434",
      options: {},
      usage: { promptTokens: 0, completionTokens: 0, totalMs: 0, replies: 0 },
      lastUpdateId: 0,
      user: { id: 7, username: "ada" },
    });
  });

  it("records the group of a group conversation, and no group key at all for a private chat", () => {
    // Act
    const group = newSession({ ...base, groupChatId: -100123 });
    const privateChat = newSession({ ...base, groupChatId: undefined });

    // Assess: an absent key, not `groupChatId: undefined` (DynamoDB items stay as before).
    expect(group.groupChatId).toBe(-100123);
    expect(Object.hasOwn(privateChat, "groupChatId")).toBe(false);
  });
});

describe("domain/session newSessionId", () => {
  const now = new Date("2026-11-24T10:15:00.123Z");

  it("is the UTC time without separators or milliseconds, then six hex digits", () => {
    expect(newSessionId(now, () => 0.5)).toBe("20261124T101500Z-7fffff");
  });

  it("pads the random part to six digits", () => {
    expect(newSessionId(now, () => 0)).toBe("20261124T101500Z-000000");
    expect(newSessionId(now, () => 1 / 0xffffff)).toBe("20261124T101500Z-000001");
  });

  it("sorts in the order the sessions were created", () => {
    // Prepare
    const earlier = newSessionId(new Date("2026-11-24T09:59:59.999Z"), () => 0.99);
    const later = newSessionId(new Date("2026-11-24T10:00:00.000Z"), () => 0);

    // Assess
    expect([later, earlier].sort()).toEqual([earlier, later]);
  });

  it("is safe as an S3 key segment and an archive session id", () => {
    expect(newSessionId(now)).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
  });
});

describe("domain/session messagesBytes", () => {
  it("counts UTF-8 bytes of the content plus 64 bytes of overhead per message", () => {
    // "é" is two bytes, "😀" four.
    expect(messagesBytes([message("abc", 1), message("é😀", 2)])).toBe(3 + 64 + 6 + 64);
  });

  it("is zero for no messages", () => {
    expect(messagesBytes([])).toBe(0);
  });
});

describe("domain/chat-scope", () => {
  it("puts a private chat in the undefined scope and a group in its chat id", () => {
    expect(scopeOf({ isGroup: false, chatId: 42 })).toBeUndefined();
    expect(scopeOf({ isGroup: true, chatId: -100123 })).toBe(-100123);
  });

  it("keys a private chat's active session by the bare model name, a group's by chat id and model", () => {
    expect(activeKey(undefined, "llama3")).toBe("llama3");
    expect(activeKey(-100123, "llama3")).toBe("-100123#llama3");
  });

  it("keeps a private-chat session out of a group and a group's session out of the private chat", () => {
    // Prepare
    const privateSession = {};
    const groupSession = { groupChatId: -100123 };

    // Assess
    expect(inScope(privateSession, undefined)).toBe(true);
    expect(inScope(privateSession, -100123)).toBe(false);
    expect(inScope(groupSession, -100123)).toBe(true);
    expect(inScope(groupSession, undefined)).toBe(false);
    expect(inScope(groupSession, -100999)).toBe(false);
  });
});
