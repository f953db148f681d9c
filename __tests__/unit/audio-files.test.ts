import { describe, expect, it } from "@jest/globals";
import { audioFormat, audioKey } from "../../handler/app/voice/audio-files.js";

describe("voice/audio-files: how heard audio is named and kept", () => {
  it.each([
    ["a voice note", { mimeType: "audio/ogg" }, { ext: "ogg", mimeType: "audio/ogg" }],
    ["a voice note Telegram gave no type", {}, { ext: "ogg", mimeType: "audio/ogg" }],
    [
      "an MP3 by its name",
      { fileName: "Song.MP3", mimeType: "audio/mpeg" },
      { ext: "mp3", mimeType: "audio/mpeg" },
    ],
    [
      "an M4A by its type alone",
      { mimeType: "audio/x-m4a" },
      { ext: "m4a", mimeType: "audio/x-m4a" },
    ],
    [
      "an Opus file (Ogg inside; OpenAI refuses .opus)",
      { fileName: "talk.opus" },
      { ext: "ogg", mimeType: "audio/ogg" },
    ],
    [
      "a format it does not know, left for the server to judge",
      { fileName: "call.amr", mimeType: "audio/amr" },
      { ext: "amr", mimeType: "audio/amr" },
    ],
  ])("%s", (_what, file, format) => {
    expect(audioFormat(file)).toEqual(format);
  });

  it("keys audio beside its conversation by update id, model name made key-safe", () => {
    expect(
      audioKey({ userId: 42, model: "llama3:8b", sessionId: "20261201T101500Z-abc123" }, 777, {
        ext: "ogg",
        mimeType: "audio/ogg",
      }),
    ).toBe("42/model_llama3_8b/audio/session_20261201T101500Z-abc123/777.ogg");
  });
});
