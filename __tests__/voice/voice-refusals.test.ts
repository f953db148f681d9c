import { describe, expect, it } from "@jest/globals";
import type { SpeechFault } from "../harness/fake-speech.js";
import type { TgChat } from "../harness/fake-telegram.js";
import { coldStart } from "../harness/lambda.js";
import {
  invoke,
  lastText,
  type Person,
  person,
  recording,
  repliesTo,
  traffic,
  useVoiceBed,
  voiceNote,
} from "./support.js";

const NOT_SENT = "Nothing was sent to the model";

describe("voice the bot must not hear: refused with the reason before anything is downloaded", () => {
  const bed = useVoiceBed({ VOICE_MAX_SECONDS: "60" });

  it("no TRANSCRIBE_URL: one reply naming the setting, the operator's log says it too, nothing downloaded", async () => {
    // Arrange
    const ada = person("Ada");
    const before = traffic(bed);

    // Act
    voiceNote(bed, ada, "Is anyone there?");
    const { logs } = await bed.captureLogs(() => invoke(bed, { ...bed.env, TRANSCRIBE_URL: "" }));

    // Assess
    expect(repliesTo(bed, ada)).toEqual([
      `🎤 I can't listen to your voice message: this bot has no speech-to-text server (its owner sets TRANSCRIBE_URL to turn voice on). ${NOT_SENT}; please type it instead.`,
    ]);
    expect(traffic(bed)).toEqual(before);
    expect(logs.some((l) => l.includes("voice message refused: TRANSCRIBE_URL is not set"))).toBe(
      true,
    );
  });

  it("a note longer than VOICE_MAX_SECONDS: refused with both lengths, never downloaded", async () => {
    // Arrange
    const bo = person("Bo");
    const before = traffic(bed);

    // Act
    voiceNote(bed, bo, "A very long story", { seconds: 61 });
    await invoke(bed);

    // Assess
    expect(repliesTo(bed, bo)).toEqual([
      `🎤 That voice message is 1:01 long; I listen to at most 1:00. ${NOT_SENT}; send a shorter one, or type it.`,
    ]);
    expect(traffic(bed)).toEqual(before);
  });

  it("an audio file over Telegram's 20 MB download limit: refused with its size, never downloaded", async () => {
    // Arrange
    const cy = person("Cy");
    const before = traffic(bed);

    // Act
    bed.telegram.pushAudio(cy.user, cy.chat, {
      content: recording("Too big", 21 * 1024 * 1024, "ID3"),
      seconds: 50,
      fileName: "lecture.mp3",
      mimeType: "audio/mpeg",
    });
    await invoke(bed);

    // Assess
    expect(repliesTo(bed, cy)).toEqual([
      `🎤 That audio file is 21.0 MB: Telegram lets bots download at most 20 MB. ${NOT_SENT}; send a shorter one, or type it.`,
    ]);
    expect(traffic(bed)).toEqual(before);
  });

  it("a stranger's note to a closed bot is refused; nothing is downloaded or reaches the speech server", async () => {
    // Arrange
    const owner = person("Owner");
    const stranger = person("Stranger");
    const env = { ...bed.env, ALLOWED_USER_IDS: String(owner.user.id) };
    const before = traffic(bed);

    // Act
    voiceNote(bed, stranger, "Let me in");
    await invoke(bed, env);

    // Assess
    expect(repliesTo(bed, stranger)).toHaveLength(1);
    expect(lastText(bed, stranger.chat.id)).toMatch(/^Sorry, this is a private bot/);
    expect(traffic(bed)).toEqual(before);
  });

  it("in a group, a note not addressed to the bot is left alone; one replying to the bot is heard", async () => {
    // Arrange
    const dee = person("Dee");
    const group: TgChat = { id: -7001, type: "group", title: "Voice group" };
    const before = traffic(bed);

    // Act: a note to the group, then one replying to a message of the bot
    voiceNote(bed, dee, "Chatting with friends", { chat: group });
    await invoke(bed);
    const untouched = traffic(bed);
    bed.telegram.pushVoice(
      dee.user,
      group,
      { content: recording("Bot, what time is it in Tokyo?"), seconds: 2 },
      { reply_to_message: { message_id: 1, from: { id: bed.telegram.botId, is_bot: true } } },
    );
    await invoke(bed);

    // Assess
    expect(untouched).toEqual(before);
    expect(bed.telegram.sentMessages(group.id).map((m) => m.text)).toEqual([
      "🎤 Bot, what time is it in Tokyo?",
      "You said: Bot, what time is it in Tokyo?",
    ]);
    expect(bed.speech.calls()).toHaveLength(before.transcriptions + 1);
  });

  it("a user at the daily limit is told when it resets; the note is neither downloaded nor heard", async () => {
    // Arrange
    const eve = person("Eve");
    const env = { ...bed.env, DAILY_MESSAGE_LIMIT: "1" };
    bed.telegram.pushText(eve.user, eve.chat, "first");
    await invoke(bed, env);
    const before = traffic(bed);

    // Act
    voiceNote(bed, eve, "second, spoken");
    await invoke(bed, env);

    // Assess
    expect(lastText(bed, eve.chat.id)).toContain("today's limit of 1 message");
    expect(traffic(bed)).toEqual(before);
  });
});

describe("speech server failures: a specific reply each, nothing sent to the model, other users served", () => {
  const bed = useVoiceBed();

  /** A voice note from a new user and a text from another, in one invoke. */
  async function noteBesideText(
    env: Record<string, string> = bed.env,
    timeoutMs?: number,
  ): Promise<{ speaker: Person; typist: Person; chats: number }> {
    const speaker = person("Speaker");
    const typist = person("Typist");
    const chats = bed.ollama.chats().length;
    voiceNote(bed, speaker, "Please answer this");
    bed.telegram.pushText(typist.user, typist.chat, "typed meanwhile");
    await coldStart(env).invoke({}, timeoutMs === undefined ? {} : { timeoutMs });
    return { speaker, typist, chats };
  }

  it.each<[string, SpeechFault, string]>([
    [
      "a 500",
      { kind: "status", status: 500, message: "CUDA out of memory" },
      `🎤 The speech-to-text server failed on your voice message (500: CUDA out of memory). ${NOT_SENT}; please try again later, or type it.`,
    ],
    [
      "a 400 about the audio",
      {
        kind: "status",
        status: 400,
        message: "Audio file might be corrupted or unsupported",
        type: "invalid_request_error",
      },
      `🎤 The speech-to-text server could not take your voice message: Audio file might be corrupted or unsupported. ${NOT_SENT}.`,
    ],
    [
      "a 429",
      { kind: "status", status: 429, message: "Rate limit reached", code: "rate_limit_exceeded" },
      `🎤 The speech-to-text server is busy. ${NOT_SENT}; please send your voice message again in a minute.`,
    ],
    [
      "a 200 without a transcript",
      { kind: "garbage" },
      `🎤 The speech-to-text server answered without a transcript. ${NOT_SENT}; please try again later, or type it.`,
    ],
  ])("%s", async (_name, fault, reply) => {
    // Arrange
    bed.speech.failNext(fault);

    // Act
    const { speaker, typist, chats } = await noteBesideText();

    // Assess
    expect(repliesTo(bed, speaker)).toEqual([reply]);
    expect(repliesTo(bed, typist)).toEqual(["You said: typed meanwhile"]);
    expect(bed.ollama.chats()).toHaveLength(chats + 1);
  });

  it("a model the server does not have (404): the reply names TRANSCRIBE_URL and TRANSCRIBE_MODEL", async () => {
    // Act
    const { speaker, typist } = await noteBesideText({
      ...bed.env,
      TRANSCRIBE_MODEL: "whisper-large-v9",
    });

    // Assess
    expect(repliesTo(bed, speaker)).toEqual([
      `🎤 The speech-to-text server has no such model or address (The model \`whisper-large-v9\` does not exist or you do not have access to it.): its owner should check TRANSCRIBE_URL (the base URL, ending in /v1) and TRANSCRIBE_MODEL. ${NOT_SENT}.`,
    ]);
    expect(repliesTo(bed, typist)).toEqual(["You said: typed meanwhile"]);
  });

  it("silence (an empty transcript): says no words were made out", async () => {
    // Arrange
    const quiet = person("Quiet");
    const chats = bed.ollama.chats().length;

    // Act
    voiceNote(bed, quiet, undefined);
    await invoke(bed);

    // Assess
    expect(repliesTo(bed, quiet)).toEqual([
      `🎤 I couldn't make out any words in your voice message. ${NOT_SENT}; try again, or type it.`,
    ]);
    expect(bed.ollama.chats()).toHaveLength(chats);
  });

  it("the server down: says it could not be reached", async () => {
    // Arrange
    await bed.speech.stop();
    try {
      // Act
      const { speaker, typist } = await noteBesideText();

      // Assess
      expect(repliesTo(bed, speaker)).toEqual([
        `🎤 I couldn't reach the speech-to-text server to hear your voice message. ${NOT_SENT}; please try again later, or type it.`,
      ]);
      expect(repliesTo(bed, typist)).toEqual(["You said: typed meanwhile"]);
    } finally {
      await bed.speech.start();
    }
  });

  it("a server that never answers: cut off in time to say so, before the invoke's deadline", async () => {
    // Arrange: 25 s to the deadline: updates start only with 20 s left (a slow cold start on a
    // busy machine takes some of the other 5), and the transcription gets half of what is left
    // after the delivery reserve, about 7 s.
    bed.speech.failNext({ kind: "hang" });

    // Act
    const { speaker, typist, chats } = await noteBesideText(bed.env, 25_000);

    // Assess
    expect(repliesTo(bed, speaker)).toEqual([
      expect.stringMatching(
        /^🎤 The speech-to-text server took longer than \d s with your voice message\. Nothing was sent to the model; a shorter one may work, or type it\.$/,
      ),
    ]);
    expect(repliesTo(bed, typist)).toEqual(["You said: typed meanwhile"]);
    expect(bed.ollama.chats()).toHaveLength(chats + 1);
  });
});
