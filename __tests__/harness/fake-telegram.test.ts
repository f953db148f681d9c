import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { FakeTelegram } from "./fake-telegram.js";

interface ApiAnswer {
  status: number;
  body: {
    ok: boolean;
    result?: unknown;
    error_code?: number;
    description?: string;
    parameters?: { retry_after?: number };
  };
}

const ada = { id: 1001, first_name: "Ada", username: "ada" };
const adaChat = { id: ada.id, type: "private" as const };

describe("FakeTelegram", () => {
  let tg: FakeTelegram;

  beforeEach(async () => {
    tg = await FakeTelegram.start();
  });
  afterEach(async () => {
    await tg.close();
  });

  const call = async (
    method: string,
    params: object = {},
    token = tg.token,
  ): Promise<ApiAnswer> => {
    const res = await fetch(`${tg.url}/bot${token}/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(params),
    });
    return { status: res.status, body: (await res.json()) as ApiAnswer["body"] };
  };

  it("answers getMe, and rejects a wrong token with 401 and an unknown method with 404", async () => {
    // Arrange: default options

    // Act
    const me = await call("getMe");
    const wrongToken = await call("getMe", {}, "1:nope");
    const unknown = await call("sendTelepathy");

    // Assert
    expect(me.body).toEqual({
      ok: true,
      result: expect.objectContaining({ id: 777000111, is_bot: true, username: "ollama_test_bot" }),
    });
    expect(wrongToken).toEqual({
      status: 401,
      body: { ok: false, error_code: 401, description: "Unauthorized" },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.description).toBe("Not Found");
  });

  it("delivers pushed updates with a bot_command entity and forgets those below the offset", async () => {
    // Arrange
    const first = tg.pushText(ada, adaChat, "/start@ollama_test_bot now");
    const second = tg.pushText(ada, adaChat, "hello");

    // Act
    const all = await call("getUpdates", { timeout: 0 });
    const rest = await call("getUpdates", { offset: second });

    // Assert
    expect(first).toBe(100000);
    const updates = all.body.result as { update_id: number; message: Record<string, unknown> }[];
    expect(updates.map((u) => u.update_id)).toEqual([first, second]);
    expect(updates[0]?.message).toMatchObject({
      message_id: 1,
      text: "/start@ollama_test_bot now",
      entities: [{ type: "bot_command", offset: 0, length: 22 }],
      chat: { id: ada.id, type: "private" },
    });
    expect((rest.body.result as unknown[]).length).toBe(1);
    expect(tg.pendingUpdates()).toBe(1);
  });

  it("holds a long poll until an update arrives and terminates an older poll with 409", async () => {
    // Arrange
    // Each poll must have reached the server before the next step: order, not a sleep.
    const arrived = async (count: number) => {
      while (tg.requests("getUpdates").length < count)
        await new Promise((resolve) => setTimeout(resolve, 5));
    };
    const older = call("getUpdates", { timeout: 30 });
    await arrived(1);
    const newer = call("getUpdates", { timeout: 30 });
    await arrived(2);

    // Act
    const updateId = tg.pushText(ada, adaChat, "wake up");

    // Assert
    const [olderAnswer, newerAnswer] = await Promise.all([older, newer]);
    expect(olderAnswer.status).toBe(409);
    expect(olderAnswer.body.description).toMatch(
      /^Conflict: terminated by other getUpdates request/,
    );
    expect(newerAnswer.body.result).toEqual([expect.objectContaining({ update_id: updateId })]);
  });

  it("parses HTML into plain text and rejects bad markup the way Telegram does", async () => {
    // Arrange
    const ok = {
      chat_id: ada.id,
      parse_mode: "HTML",
      text: "<b>Hi</b> &amp; <i>bye</i> &#x1F600;",
    };

    // Act
    const sent = await call("sendMessage", ok);
    const unsupported = await call("sendMessage", { ...ok, text: "a <br> b" });
    const unclosed = await call("sendMessage", { ...ok, text: "<b>bold <i>both</i>" });
    const strayAmp = await call("sendMessage", { ...ok, text: "fish & chips" });

    // Assert
    expect(sent.body.result).toMatchObject({
      message_id: 1,
      text: "Hi & bye 😀",
      entities: [
        { type: "bold", offset: 0, length: 2 },
        { type: "italic", offset: 5, length: 3 },
      ],
    });
    expect(unsupported.body.description).toBe(
      'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 2',
    );
    expect(unclosed.body.description).toBe(
      "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
    );
    expect(strayAmp.status).toBe(400);
    expect(strayAmp.body.description).toMatch(/^Bad Request: can't parse entities:/);
    expect(tg.sentMessages(ada.id)).toEqual([
      expect.objectContaining({ messageId: 1, text: "Hi & bye 😀", html: ok.text, edits: 0 }),
    ]);
  });

  it("counts the length after entity decoding, in UTF-16 code units", async () => {
    // Arrange: 4096 characters once "&amp;" is decoded; 4095 + an emoji (2 UTF-16 units) = 4097
    const fits = "&amp;".repeat(4096);
    const tooLong = `${"a".repeat(4095)}😀`;

    // Act
    const fitting = await call("sendMessage", { chat_id: ada.id, text: fits, parse_mode: "HTML" });
    const rejected = await call("sendMessage", { chat_id: ada.id + 1, text: tooLong });

    // Assert
    expect(fitting.body.ok).toBe(true);
    expect(rejected.body).toEqual({
      ok: false,
      error_code: 400,
      description: "Bad Request: message is too long",
    });
  });

  it("edits a message, refusing unknown messages and unchanged content", async () => {
    // Arrange
    await call("sendMessage", { chat_id: ada.id, text: "draft" });

    // Act
    const edited = await call("editMessageText", { chat_id: ada.id, message_id: 1, text: "final" });
    const same = await call("editMessageText", { chat_id: ada.id, message_id: 1, text: "final" });
    const missing = await call("editMessageText", { chat_id: ada.id, message_id: 99, text: "x" });

    // Assert
    expect(edited.body.result).toMatchObject({ message_id: 1, text: "final" });
    expect(same.body.description).toMatch(/^Bad Request: message is not modified:/);
    expect(missing.body.description).toBe("Bad Request: message to edit not found");
    expect(tg.sentMessages(ada.id)).toEqual([expect.objectContaining({ text: "final", edits: 1 })]);
  });

  it("applies per-chat flood control with retry_after and keeps other chats unaffected", async () => {
    // Arrange: a frozen clock, so the burst cannot refill while the machine is slow.
    const frozen = Date.now();
    tg.setFlood({ now: () => frozen });
    for (let n = 1; n <= 3; n++) await call("sendMessage", { chat_id: ada.id, text: `m${n}` });

    // Act
    const flooded = await call("sendMessage", { chat_id: ada.id, text: "m4" });
    const stillPenalised = await call("editMessageText", {
      chat_id: ada.id,
      message_id: 1,
      text: "e",
    });
    const otherChat = await call("sendMessage", { chat_id: 2002, text: "hi" });

    // Assert
    expect(flooded).toEqual({
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: "Too Many Requests: retry after 30",
        parameters: { retry_after: 30 },
      },
    });
    expect(stillPenalised.status).toBe(429);
    expect(otherChat.status).toBe(200);
    expect(tg.sentMessages(ada.id).map((m) => m.text)).toEqual(["m1", "m2", "m3"]);
  });

  it("limits a group to 20 writes a minute, asking to wait until the oldest leaves the window", async () => {
    // Arrange: a fast per-chat pace, so only the group limit can refuse.
    const frozen = Date.now();
    tg.setFlood({ perChatBurst: 100, perChatPerSecond: 100, now: () => frozen });
    const group = -5005;
    const statuses: number[] = [];

    // Act
    for (let n = 1; n <= 21; n++)
      statuses.push((await call("sendMessage", { chat_id: group, text: `g${n}` })).status);
    const flooded = await call("sendMessage", { chat_id: group, text: "again" });

    // Assert
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.at(-1)).toBe(429);
    const retryAfter = flooded.body.parameters?.retry_after ?? 0;
    expect(retryAfter).toBeGreaterThanOrEqual(30);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it("limits writes overall to 30 a second across chats", async () => {
    // Arrange
    const frozen = Date.now();
    tg.setFlood({ retryAfterSeconds: 7, now: () => frozen });
    const statuses: number[] = [];

    // Act: one message to each of 31 chats, then one to a chat that sent nothing yet.
    for (let chat = 3001; chat <= 3031; chat++)
      statuses.push((await call("sendMessage", { chat_id: chat, text: "hi" })).status);
    const fresh = await call("sendMessage", { chat_id: 4004, text: "hi" });

    // Assert
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses[30]).toBe(429);
    expect(fresh.body.parameters?.retry_after).toBe(7);
  });

  it("throttles sendChatAction too, and refuses it while the chat is penalised", async () => {
    // Arrange
    const frozen = Date.now();
    tg.setFlood({ now: () => frozen });
    const actions: number[] = [];

    // Act
    for (let n = 1; n <= 4; n++)
      actions.push((await call("sendChatAction", { chat_id: ada.id, action: "typing" })).status);
    const send = await call("sendMessage", { chat_id: ada.id, text: "during the penalty" });

    // Assert
    expect(actions).toEqual([200, 200, 200, 429]);
    expect(send.status).toBe(429);
  });

  it("answers 403 for a blocking user and replays injected failures", async () => {
    // Arrange
    tg.blockBy(ada.id);
    tg.failNext("sendChatAction", { status: 502, description: "Bad Gateway" });

    // Act
    const blocked = await call("sendMessage", { chat_id: ada.id, text: "hi" });
    const injected = await call("sendChatAction", { chat_id: 2002, action: "typing" });
    const afterwards = await call("sendChatAction", { chat_id: 2002, action: "typing" });

    // Assert
    expect(blocked.body.description).toBe("Forbidden: bot was blocked by the user");
    expect(blocked.status).toBe(403);
    expect(injected).toEqual({
      status: 502,
      body: { ok: false, error_code: 502, description: "Bad Gateway" },
    });
    expect(afterwards.body).toEqual({ ok: true, result: true });
    expect(tg.requests("sendChatAction").map((r) => r.status)).toEqual([502, 200]);
  });

  it("accepts multipart uploads (incl. grammY's attach:// form) and serves pushed files", async () => {
    // Arrange
    const form = new FormData();
    form.set("chat_id", String(ada.id));
    form.set("caption", "your archive");
    form.set("document", new Blob(["hello archive"], { type: "text/plain" }), "chat.txt");
    const boundary = "----------grammyboundary";
    const grammyBody = [
      `--${boundary}\r\ncontent-disposition:form-data;name="chat_id"\r\n\r\n${ada.id}`,
      `--${boundary}\r\ncontent-disposition:form-data;name="document"\r\n\r\nattach://f1`,
      `--${boundary}\r\ncontent-disposition:form-data;name="f1";filename=my notes.txt\r\n` +
        "content-type:application/octet-stream\r\n\r\nbytes\r\n",
      `--${boundary}--\r\n`,
    ].join("\r\n");
    tg.pushDocument(ada, adaChat, { fileName: "notes.md", content: "# notes" });
    const [update] = (await call("getUpdates")).body.result as {
      message: { document: { file_id: string } };
    }[];

    // Act
    const upload = await fetch(`${tg.url}/bot${tg.token}/sendDocument`, {
      method: "POST",
      body: form,
    });
    const grammyUpload = await fetch(`${tg.url}/bot${tg.token}/sendDocument`, {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body: grammyBody,
    });
    const file = await call("getFile", { file_id: update?.message.document.file_id });
    const path = (file.body.result as { file_path: string }).file_path;
    const download = await fetch(`${tg.url}/file/bot${tg.token}/${path}`);
    const missing = await fetch(`${tg.url}/file/bot${tg.token}/documents/nope.txt`);

    // Assert
    expect(await upload.json()).toMatchObject({
      ok: true,
      result: {
        message_id: 2,
        document: { file_name: "chat.txt", file_size: 13 },
        caption: "your archive",
      },
    });
    expect(grammyUpload.status).toBe(200);
    expect(tg.documents(ada.id)).toEqual([
      { fileName: "chat.txt", content: Buffer.from("hello archive"), caption: "your archive" },
      { fileName: "my notes.txt", content: Buffer.from("bytes\r\n") },
    ]);
    expect(await download.text()).toBe("# notes");
    expect(missing.status).toBe(404);
  });

  it("refuses getUpdates while a webhook is set and stores commands", async () => {
    // Arrange
    await call("setWebhook", { url: "https://example.com/hook", secret_token: "s3cret" });
    await call("setMyCommands", { commands: [{ command: "start", description: "Start" }] });

    // Act
    const polled = await call("getUpdates");
    const info = await call("getWebhookInfo");
    const commands = await call("getMyCommands");

    // Assert
    expect(polled.status).toBe(409);
    expect(polled.body.description).toBe(
      "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    );
    expect(info.body.result).toMatchObject({ url: "https://example.com/hook" });
    expect(commands.body.result).toEqual([{ command: "start", description: "Start" }]);
    expect(tg.commands()).toEqual([{ command: "start", description: "Start" }]);
  });

  it("shows a client the bot's messages as they read now, and says when a call was answered", async () => {
    // Arrange
    const answered: string[] = [];
    const stop = tg.onAnswered(() => answered.push("call"));
    const keyboard = { inline_keyboard: [[{ text: "⏹ Stop", callback_data: "stop:1001:7" }]] };

    // Act
    await call("sendMessage", {
      chat_id: ada.id,
      text: "<b>draft</b>",
      parse_mode: "HTML",
      reply_markup: keyboard,
    });
    await call("editMessageText", { chat_id: ada.id, message_id: 1, text: "final" });
    stop();
    await call("sendMessage", { chat_id: ada.id, text: "after" });
    const later = await FakeTelegram.start({ firstUpdateId: 5_000 });
    const first = later.pushText(ada, adaChat, "hi");
    await later.close();

    // Assert
    expect(answered).toEqual(["call", "call"]);
    expect(tg.chatMessages(ada.id)).toEqual([
      expect.objectContaining({ message_id: 1, text: "final", edit_date: expect.any(Number) }),
      expect.objectContaining({ message_id: 2, text: "after" }),
    ]);
    expect(tg.chatMessages(ada.id)[0]).not.toHaveProperty("reply_markup");
    expect(first).toBe(5_000);
  });
});
