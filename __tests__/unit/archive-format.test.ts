import { describe, expect, it } from "@jest/globals";
import {
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  type ArchiveDocument,
  archiveKeyBase,
  archiveMessages,
  archiveSchema,
  buildArchive,
  mergeMessages,
} from "../../handler/app/archive/format.js";
import { renderTranscript } from "../../handler/app/archive/transcript.js";
import { MAX_SYSTEM_PROMPT_CHARS } from "../../handler/domain/model-options.js";
import {
  type ChatMessage,
  MAX_ARCHIVED_MESSAGE_CHARS,
  MAX_RECORDED_ENDPOINT_CHARS,
  newSession,
  type Session,
} from "../../handler/domain/session.js";

const T0 = "2026-03-01T10:00:00.000Z";
const ARCHIVED_AT = "2026-03-01T12:00:00.000Z";

function message(seq: number, content = `m${seq}`, extra: Partial<ChatMessage> = {}): ChatMessage {
  return {
    seq,
    role: seq % 2 === 1 ? "user" : "assistant",
    content,
    ts: `2026-03-01T10:00:${String(seq).padStart(2, "0")}.000Z`,
    ...extra,
  };
}

function session(overrides: Partial<Session> = {}): Session {
  return {
    ...newSession({
      userId: 42,
      chatId: 4242,
      model: "llama3:8b",
      sessionId: "20260301T100000Z-abc123",
      ollamaUrl: "http://ollama:11434",
      user: { id: 42, username: "alice", firstName: "Alice", languageCode: "en" },
      now: new Date(T0),
    }),
    ...overrides,
  };
}

describe("app/archive/format", () => {
  it("builds the S3 key base from user, model segment and session id", () => {
    expect(archiveKeyBase(42, "llama3:8b", "S1")).toBe("42/model_llama3_8b/session_S1");
    expect(archiveKeyBase(7, "hf.co/u/m", "x")).toBe("7/model_hf.co_u_m/session_x");
  });

  it("builds an archive document that passes its own import schema", () => {
    // Prepare
    const s = session({
      options: { temperature: 0.5, num_ctx: 4096 },
      systemPrompt: "Be brief.",
      usage: { promptTokens: 10, completionTokens: 20, totalMs: 1500, replies: 1 },
    });
    const msgs = [message(1), message(2), message(3, "oops", { failed: "model_down" })];

    // Act
    const doc = buildArchive(s, msgs, ARCHIVED_AT);

    // Assess
    expect(archiveSchema.safeParse(doc).success).toBe(true);
    expect(doc.format).toBe(ARCHIVE_FORMAT);
    expect(doc.version).toBe(ARCHIVE_VERSION);
    expect(doc.message_count).toBe(3);
    expect(doc.parameters).toEqual({
      system_prompt: "Be brief.",
      options: { temperature: 0.5, num_ctx: 4096 },
    });
    expect(doc.usage).toEqual({
      prompt_tokens: 10,
      completion_tokens: 20,
      total_duration_ms: 1500,
      replies: 1,
    });
    expect(doc.messages[2]).toEqual({
      seq: 3,
      role: "user",
      content: "oops",
      timestamp: msgs[2]?.ts,
      failed: "model_down",
    });
    expect(doc.messages[0]).not.toHaveProperty("failed");
  });

  it("records an active session as live: not ended, not archived, exported at the given time", () => {
    // Act
    const doc = buildArchive(session(), [], ARCHIVED_AT);

    // Assess
    expect(doc.session).toMatchObject({
      status: "active",
      ended_at: null,
      exported_at: ARCHIVED_AT,
      started_at: T0,
    });
    expect(doc.session).not.toHaveProperty("archived_at");
    expect(doc.session).not.toHaveProperty("archive_reason");
    expect(archiveSchema.safeParse(doc).success).toBe(true);
  });

  it("records when a closed session ended, falling back to the archive time", () => {
    // Act
    const closedAt = "2026-03-01T11:00:00.000Z";
    const withTime = buildArchive(
      session({ status: "closed", closedAt, archiveReason: "ended" }),
      [],
      ARCHIVED_AT,
    );
    const withoutTime = buildArchive(session({ status: "closed" }), [], ARCHIVED_AT);

    // Assess
    expect(withTime.session.ended_at).toBe(closedAt);
    expect(withTime.session.archive_reason).toBe("ended");
    expect(withoutTime.session.ended_at).toBe(ARCHIVED_AT);
  });

  it("stores missing user details as null", () => {
    // Act
    const doc = buildArchive(
      session({ user: { id: 42 }, systemPrompt: undefined }),
      [],
      ARCHIVED_AT,
    );

    // Assess
    expect(doc.user).toEqual({
      id: 42,
      chat_id: 4242,
      username: null,
      first_name: null,
      language_code: null,
    });
    expect(doc.parameters.system_prompt).toBeNull();
  });

  it("round-trips messages through the archive document", () => {
    // Prepare
    const msgs = [message(1), message(2, "answer", { failed: "x" })];

    // Act
    const back = archiveMessages(buildArchive(session(), msgs, ARCHIVED_AT));

    // Assess
    expect(back).toEqual(msgs);
  });

  it("rejects documents of another format or with a bad session id", () => {
    // Prepare
    const doc = buildArchive(session(), [message(1)], ARCHIVED_AT);

    // Act / Assess
    expect(archiveSchema.safeParse({ ...doc, format: "other" }).success).toBe(false);
    expect(
      archiveSchema.safeParse({ ...doc, session: { ...doc.session, id: "../escape" } }).success,
    ).toBe(false);
  });

  it("renders a readable transcript with a header and one block per message", () => {
    // Prepare
    const s = session({
      systemPrompt: "Be brief.",
      usage: { promptTokens: 3, completionTokens: 4, totalMs: 0, replies: 1 },
    });
    const doc = buildArchive(s, [message(1, "hi"), message(2, "hello!")], ARCHIVED_AT);

    // Act
    const text = renderTranscript(doc);

    // Assess
    const lines = text.split("\n");
    expect(lines[0]).toBe("Conversation with llama3:8b");
    expect(lines[1]).toBe("User: @alice (id 42, chat 4242)");
    expect(lines[2]).toContain("still active");
    expect(lines[3]).toContain("2 messages · 3+4 tokens");
    expect(lines[4]).toBe("System prompt: Be brief.");
    expect(lines[5]).toBe("=".repeat(72));
    expect(text).toContain("[2026-03-01T10:00:01.000Z] @alice:\nhi\n");
    expect(text).toContain("[2026-03-01T10:00:02.000Z] llama3:8b:\nhello!\n");
    expect(text.indexOf("hi\n")).toBeLessThan(text.indexOf("hello!"));
  });

  it("names the user by first name or id when there is no username", () => {
    // Act
    const byName = renderTranscript(
      buildArchive(session({ user: { id: 42, firstName: "Alice" } }), [message(1)], ARCHIVED_AT),
    );
    const byId = renderTranscript(buildArchive(session({ user: { id: 42 } }), [], ARCHIVED_AT));

    // Assess
    expect(byName).toContain("User: Alice (id 42");
    expect(byName).toContain("] Alice:\nm1");
    expect(byId).toContain("User: 42 (id 42");
  });

  it("marks unanswered messages and closed sessions in the transcript", () => {
    // Prepare
    const s = session({ status: "closed", closedAt: "2026-03-01T11:00:00.000Z" });
    const doc = buildArchive(s, [message(1, "q", { failed: "timeout" })], ARCHIVED_AT);

    // Act
    const text = renderTranscript(doc);

    // Assess
    expect(text).toContain("ended 2026-03-01T11:00:00.000Z");
    expect(text).toContain("@alice [not answered: timeout]:\nq");
    expect(text).not.toContain("System prompt:");
  });

  it("says a failed message answered later by /retry was answered, not 'not answered'", () => {
    // Prepare: the model failed on "q", then /retry answered it.
    const s = session();
    const messages = [message(1, "q", { failed: "timeout" }), message(2, "the answer")];

    // Act
    const text = renderTranscript(buildArchive(s, messages, ARCHIVED_AT));

    // Assess
    expect(text).toContain("@alice [first attempt failed: timeout]:\nq");
    expect(text).not.toContain("not answered");
  });

  it("marks an answer cut off at the length limit in the transcript and keeps the mark through export and import", () => {
    // Prepare
    const messages = [message(1, "q"), message(2, "half an ans", { cutOff: "length" })];

    // Act
    const doc = buildArchive(session(), messages, ARCHIVED_AT);
    const text = renderTranscript(doc);

    // Assess
    expect(doc.messages[1]).toMatchObject({ role: "assistant", cut_off: "length" });
    expect(doc.messages[0]).not.toHaveProperty("cut_off");
    expect(text).toContain(" [cut off: length]:\nhalf an ans");
    expect(archiveMessages(doc).map((m) => m.cutOff)).toEqual([undefined, "length"]);
  });

  it("keeps a stopped answer marked in the JSON archive (read back too) and in the transcript", () => {
    // Prepare: the user pressed Stop after "Once upon".
    const messages = [message(1, "a story"), message(2, "Once upon", { stopped: true })];

    // Act
    const doc = archiveSchema.parse(
      JSON.parse(JSON.stringify(buildArchive(session(), messages, ARCHIVED_AT))),
    );

    // Assess
    expect(doc.messages[1]).toMatchObject({ content: "Once upon", stopped: true });
    expect(archiveMessages(doc)[1]).toMatchObject({ stopped: true });
    expect(archiveMessages(doc)[0]).not.toHaveProperty("stopped");
    expect(renderTranscript(doc)).toContain("llama3:8b [stopped by the user]:\nOnce upon");
  });

  it("keeps a voice turn's mark and audio key in the JSON archive (read back too) and marks it in the transcript", () => {
    // Prepare
    const key = "42/model_llama3_8b/audio/session_20260301T100000Z-abc123/7.ogg";
    const messages = [message(1, "what I said", { voice: true, audio: key }), message(2, "ok")];

    // Act
    const doc = archiveSchema.parse(
      JSON.parse(JSON.stringify(buildArchive(session(), messages, ARCHIVED_AT))),
    );

    // Assess
    expect(doc.messages[0]).toMatchObject({ voice: true, audio: key });
    expect(archiveMessages(doc)[0]).toMatchObject({ voice: true, audio: key });
    expect(archiveMessages(doc)[1]).not.toHaveProperty("voice");
    expect(renderTranscript(doc)).toContain("@alice [voice message, transcribed]:\nwhat I said");
  });

  it("merges archived and live messages by seq, in seq order, without duplicates", () => {
    // Prepare
    const archived = [message(1), message(2), message(3)];
    const live = [message(3), message(4), message(5)];

    // Act
    const merged = mergeMessages(archived, live);

    // Assess
    expect(merged.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("prefers the live copy of a message present in both", () => {
    // Act
    const merged = mergeMessages([message(2, "old")], [message(2, "new", { failed: "x" })]);

    // Assess
    expect(merged).toEqual([message(2, "new", { failed: "x" })]);
  });

  it("sorts out-of-order input and is idempotent", () => {
    // Prepare
    const archived = [message(3), message(1)];
    const live = [message(5), message(2), message(4)];

    // Act
    const once = mergeMessages(archived, live);
    const twice = mergeMessages(once, live);

    // Assess
    expect(once.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(twice).toEqual(once);
  });

  it("merges empty inputs to an empty list", () => {
    expect(mergeMessages([], [])).toEqual([]);
  });
});

describe("app/archive/format import validation", () => {
  const doc = (): ArchiveDocument =>
    buildArchive(session(), [message(1), message(2), message(3)], ARCHIVED_AT);

  /** The issues of a rejected document, as `path: message`. */
  const issues = (input: unknown): string[] => {
    const parsed = archiveSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    return (parsed.error?.issues ?? []).map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("reads the model name in its canonical form", () => {
    // Act
    const parsed = archiveSchema.parse({
      ...doc(),
      session: { ...doc().session, model: "Llama3:latest" },
    });

    // Assess
    expect(parsed.session.model).toBe("llama3");
  });

  it("rejects a model name Ollama could not have, saying so", () => {
    expect(issues({ ...doc(), session: { ...doc().session, model: "../llama" } })).toEqual([
      "session.model: is not a valid Ollama model name",
    ]);
  });

  it("names the first message out of sequence", () => {
    // Prepare
    const gapped = { ...doc(), messages: [doc().messages[0], doc().messages[2]], message_count: 2 };
    const late = { ...doc(), messages: doc().messages.slice(1), message_count: 2 };

    // Act / Assess
    expect(issues(gapped)).toEqual([
      "messages.1.seq: expected message number 2; messages must be numbered 1..n without gaps",
    ]);
    expect(issues(late)).toEqual([
      "messages.0.seq: expected message number 1; messages must be numbered 1..n without gaps",
    ]);
  });

  it("rejects a message count that disagrees with the messages", () => {
    expect(issues({ ...doc(), message_count: 5 })).toEqual([
      "message_count: says 5 but the file has 3 messages",
    ]);
  });
});

describe("app/archive/format writer limits", () => {
  it("clips what it records to the reader's limits, so its own archives always import", () => {
    // Prepare
    const s = session({
      ollamaUrl: `http://${"o".repeat(MAX_RECORDED_ENDPOINT_CHARS)}`,
      systemPrompt: "p".repeat(MAX_SYSTEM_PROMPT_CHARS + 1),
    });
    const long = message(1, "c".repeat(MAX_ARCHIVED_MESSAGE_CHARS + 1));

    // Act
    const doc = buildArchive(s, [long], ARCHIVED_AT);

    // Assess
    expect(doc.session.ollama_endpoint).toHaveLength(MAX_RECORDED_ENDPOINT_CHARS);
    expect(doc.parameters.system_prompt).toBe("p".repeat(MAX_SYSTEM_PROMPT_CHARS));
    expect(doc.messages[0]?.content).toBe("c".repeat(MAX_ARCHIVED_MESSAGE_CHARS));
    expect(archiveSchema.safeParse(doc).success).toBe(true);
  });

  it("records the model defaults in effect, the session's own options over them, numbers only", () => {
    // Prepare: an option cleared in the session is stored as undefined.
    const s = session({ options: { num_ctx: 4096, temperature: undefined } });

    // Act
    const doc = buildArchive(s, [], ARCHIVED_AT, { num_ctx: 8192, num_predict: 2048 });

    // Assess
    expect(doc.parameters.options).toEqual({ num_ctx: 4096, num_predict: 2048 });
    expect(archiveSchema.safeParse(doc).success).toBe(true);
  });
});

describe("app/archive/format transcript layout", () => {
  it("lays out the header, a rule, then messages separated by blank lines", () => {
    // Prepare
    const s = session({ user: { id: 42 }, systemPrompt: undefined });
    const msgs: ChatMessage[] = [
      { seq: 1, role: "system", content: "persona", ts: "2026-03-01T10:00:00.000Z" },
      message(2, "answer"),
      message(3, "question"),
    ];

    // Act
    const text = renderTranscript(buildArchive(s, msgs, ARCHIVED_AT));

    // Assess
    expect(text).toBe(
      [
        "Conversation with llama3:8b",
        "User: 42 (id 42, chat 4242)",
        `Session: 20260301T100000Z-abc123 · started ${T0} · still active`,
        `Exported live: ${ARCHIVED_AT} · 3 messages · 0+0 tokens`,
        "=".repeat(72),
        "",
        "[2026-03-01T10:00:00.000Z] system:\npersona\n",
        "[2026-03-01T10:00:02.000Z] llama3:8b:\nanswer\n",
        "[2026-03-01T10:00:03.000Z] 42:\nquestion\n",
      ].join("\n"),
    );
  });
});
