import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { recording } from "./fake-speech.js";
import { FakeTelegram } from "./fake-telegram.js";

describe("FakeTelegram: voice notes and audio files", () => {
  let telegram: FakeTelegram;
  const user = { id: 31, first_name: "Vee" };
  const chat = { id: 31, type: "private" as const };
  const call = async (method: string, params: Record<string, unknown> = {}) =>
    (await (
      await fetch(`${telegram.url}/bot${telegram.token}/${method}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(params),
      })
    ).json()) as { ok: boolean; result: Record<string, unknown>; description?: string };
  beforeAll(async () => {
    telegram = await FakeTelegram.start({ flood: false });
  });
  afterAll(() => telegram.close());

  it("delivers a voice note and an audio file as the Bot API shapes them, downloadable through getFile, and records downloads", async () => {
    // Prepare
    const note = recording("hi", 500);
    telegram.pushVoice(user, chat, { content: note, seconds: 3 }, { caption: "listen" });
    telegram.pushAudio(user, chat, {
      content: recording("song", 700, "ID3"),
      seconds: 180,
      fileName: "song.mp3",
      mimeType: "audio/mpeg",
    });

    // Act
    const updates = (await call("getUpdates")).result as unknown as {
      message: Record<string, Record<string, unknown>>;
    }[];
    const voice = updates[0]?.message.voice ?? {};
    const file = (await call("getFile", { file_id: voice.file_id })).result;
    const bytes = Buffer.from(
      await (
        await fetch(`${telegram.url}/file/bot${telegram.token}/${file.file_path}`)
      ).arrayBuffer(),
    );

    // Assess
    expect(voice).toEqual({
      file_id: expect.any(String),
      file_unique_id: expect.any(String),
      duration: 3,
      mime_type: "audio/ogg",
      file_size: 500,
    });
    expect(updates[0]?.message.caption).toBe("listen");
    expect(updates[1]?.message.audio).toMatchObject({
      duration: 180,
      file_name: "song.mp3",
      mime_type: "audio/mpeg",
      file_size: 700,
    });
    expect(bytes.equals(note)).toBe(true);
    expect(telegram.fileDownloads()).toEqual([file.file_path]);
  });

  it("refuses getFile for a voice note over 20 MB, as Telegram does", async () => {
    // Prepare
    telegram.pushVoice(user, chat, { content: Buffer.alloc(20 * 1024 * 1024 + 1), seconds: 9 });
    const updates = (await call("getUpdates", { offset: 0 })).result as unknown as {
      message: Record<string, Record<string, unknown>>;
    }[];

    // Act
    const answer = await call("getFile", { file_id: updates.at(-1)?.message.voice?.file_id });

    // Assess
    expect(answer).toMatchObject({ ok: false, description: "Bad Request: file is too big" });
  });
});
