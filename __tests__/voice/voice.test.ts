import { beforeAll, describe, expect, it } from "@jest/globals";
import { archiveAt, expectedKeyBase, s3Text } from "../archive/support.js";
import { heardIn, recording } from "../harness/fake-speech.js";
import { lastPrompt, s3Bytes } from "../media/support.js";
import {
  conversationOf,
  invoke,
  lastText,
  person,
  repliesTo,
  say,
  sessionItems,
  textsTo,
  useVoiceBed,
  voiceNote,
} from "./support.js";

describe("voice notes and audio files are heard, shown and answered as if typed", () => {
  const bed = useVoiceBed({ TRANSCRIBE_MODEL: "Systran/faster-whisper-small" });
  beforeAll(() => {
    bed.speech.models = ["Systran/faster-whisper-small"];
  });

  it("sends a voice note's exact bytes as an .ogg file with the configured model; the user sees the transcript quoted, then the answer to it", async () => {
    // Arrange
    const ada = person("Ada");
    const audio = recording("What is the capital of France?", 6_000);

    // Act
    const updateId = voiceNote(bed, ada, undefined, { bytes: audio, seconds: 3 });
    const summary = await invoke(bed);

    // Assess: the server got these very bytes, named so that the format is plain
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    const [call] = bed.speech.calls();
    expect(call?.bytes.equals(audio)).toBe(true);
    expect(call).toMatchObject({
      path: "/v1/audio/transcriptions",
      model: "Systran/faster-whisper-small",
      fileName: `${updateId}.ogg`,
      mimeType: "audio/ogg",
      responseFormat: "json",
    });
    expect(call?.authorization).toBeUndefined();
    // Assess: the transcript, quoted, then the model's answer to it as the user's words
    expect(textsTo(bed, ada.chat.id)).toEqual([
      "🎤 What is the capital of France?",
      "You said: What is the capital of France?",
    ]);
    expect(bed.telegram.sentMessages(ada.chat.id)[0]?.html).toBe(
      "<blockquote>🎤 What is the capital of France?</blockquote>",
    );
    expect(lastPrompt(bed)).toEqual({ role: "user", content: "What is the capital of France?" });
  });

  it("stores the transcript as the user's turn, marked as voice, and keeps the audio in S3 beside the conversation", async () => {
    // Arrange
    const bo = person("Bo");
    const audio = recording("Remind me what a haiku is");

    // Act
    const updateId = voiceNote(bed, bo, undefined, { bytes: audio });
    await invoke(bed);

    // Assess
    const [session] = await sessionItems(bed, bo.user.id);
    const key = `${bo.user.id}/model_llama3/audio/session_${session?.session_id}/${updateId}.ogg`;
    expect(conversationOf(session)).toEqual([
      expect.objectContaining({
        role: "user",
        content: "Remind me what a haiku is",
        update_id: updateId,
        voice: true,
        audio: key,
      }),
      expect.objectContaining({
        role: "assistant",
        content: "You said: Remind me what a haiku is",
      }),
    ]);
    expect((await s3Bytes(bed, key))?.equals(audio)).toBe(true);
  });

  it("sends the caption with the transcript, the caption first", async () => {
    // Arrange
    const cy = person("Cy");

    // Act
    voiceNote(bed, cy, "bonjour tout le monde", { caption: "Translate to English:" });
    await invoke(bed);

    // Assess
    expect(lastPrompt(bed)?.content).toBe("Translate to English:\n\nbonjour tout le monde");
    expect(textsTo(bed, cy.chat.id)[0]).toBe("🎤 bonjour tout le monde");
  });

  it("hears an audio file (message.audio) under its own format's name, and keeps it as that format", async () => {
    // Arrange
    const di = person("Di");
    const mp3 = recording("Summarise this podcast intro", 5_000, "ID3");

    // Act
    const updateId = bed.telegram.pushAudio(di.user, di.chat, {
      content: mp3,
      seconds: 42,
      fileName: "intro.mp3",
      mimeType: "audio/mpeg",
    });
    await invoke(bed);

    // Assess
    expect(bed.speech.calls().at(-1)).toMatchObject({
      fileName: `${updateId}.mp3`,
      mimeType: "audio/mpeg",
    });
    expect(lastText(bed, di.chat.id)).toBe("You said: Summarise this podcast intro");
    const [session] = await sessionItems(bed, di.user.id);
    const key = `${di.user.id}/model_llama3/audio/session_${session?.session_id}/${updateId}.mp3`;
    expect((await s3Bytes(bed, key))?.equals(mp3)).toBe(true);
  });

  it("hears an audio file sent as a document (a voice memo app's .m4a)", async () => {
    // Arrange
    const ed = person("Ed");
    const memo = recording("Ideas for the weekend", 3_000, "\0\0\0 ftypM4A ");

    // Act
    const updateId = bed.telegram.pushDocument(ed.user, ed.chat, {
      fileName: "Memo 12.m4a",
      content: memo,
      mimeType: "audio/mp4",
    });
    await invoke(bed);

    // Assess
    expect(bed.speech.calls().at(-1)).toMatchObject({
      fileName: `${updateId}.m4a`,
      mimeType: "audio/mp4",
    });
    expect(repliesTo(bed, ed)).toEqual([
      "🎤 Ideas for the weekend",
      "You said: Ideas for the weekend",
    ]);
  });

  it("/history marks the voice turn; /end's archive and the readable transcript carry it; an import keeps the transcript and the mark, not the audio key", async () => {
    // Arrange: a voice turn and a typed one
    const flo = person("Flo");
    const updateId = voiceNote(bed, flo, "Spoken question");
    await invoke(bed);
    await say(bed, flo, "Typed question");
    const [live] = await sessionItems(bed, flo.user.id);
    const audioKey = `${flo.user.id}/model_llama3/audio/session_${live?.session_id}/${updateId}.ogg`;

    // Act
    await say(bed, flo, "/history");
    const history = bed.telegram.sentMessages(flo.chat.id).at(-1)?.text ?? "";
    await say(bed, flo, "/end");
    const base = expectedKeyBase(flo.user.id, "llama3", live?.session_id);
    const archive = await archiveAt(bed, `${base}.json`);
    const readable = (await s3Text(bed, `${base}.txt`)) ?? "";
    const gus = person("Gus");
    bed.telegram.pushDocument(gus.user, gus.chat, {
      fileName: "export.json",
      content: JSON.stringify(archive),
      mimeType: "application/json",
    });
    await invoke(bed);

    // Assess: /history and the archives tell the spoken turn from the typed one
    expect(history).toContain("🧑 You 🎤 ");
    expect(history.match(/🎤/g)).toHaveLength(1);
    expect(archive.messages[0]).toMatchObject({
      role: "user",
      content: "Spoken question",
      voice: true,
      audio: audioKey,
    });
    expect(archive.messages[2]).not.toHaveProperty("voice");
    expect(readable).toMatch(/ \[voice message, transcribed\]:\nSpoken question\n/);
    expect(readable.match(/\[voice message/g)).toHaveLength(1);
    // Assess: the import has the transcript and the mark; the key named someone else's object
    const [imported] = await sessionItems(bed, gus.user.id);
    const copy = await archiveAt(
      bed,
      `${expectedKeyBase(gus.user.id, "llama3", imported?.session_id)}.json`,
    );
    expect(copy.messages[0]).toEqual({
      seq: 1,
      role: "user",
      content: "Spoken question",
      timestamp: archive.messages[0]?.timestamp,
      voice: true,
    });
  });

  it("cuts a transcript longer than a stored message can be, and says so", async () => {
    // Arrange: a long monologue, heard in full
    const ivy = person("Ivy");
    const words = "and then ".repeat(2_500).trim();
    bed.speech.setTranscript(() => words);

    // Act
    try {
      voiceNote(bed, ivy, "ignored: the server hears the monologue");
      await invoke(bed);
    } finally {
      bed.speech.setTranscript((call) => heardIn(call.bytes));
    }

    // Assess: the whole transcript is shown; the model and the session get the first 20,000 characters
    const replies = repliesTo(bed, ivy);
    expect(replies.join("")).toContain(words.slice(-100));
    expect(replies).toContain(
      "ℹ️ Your voice message is long: the model gets its first 20000 characters.",
    );
    expect(lastPrompt(bed)?.content).toBe(words.slice(0, 20_000));
    const [session] = await sessionItems(bed, ivy.user.id);
    expect(conversationOf(session)[0]?.content).toHaveLength(20_000);
  });

  it("counts a voice turn in /usage like a typed one", async () => {
    // Arrange
    const hal = person("Hal");

    // Act
    voiceNote(bed, hal, "How are you?");
    await invoke(bed);
    await say(bed, hal, "/usage");

    // Assess
    expect(lastText(bed, hal.chat.id)).toMatch(/Today \(.*, UTC\): 1 message\b/);
  });
});

describe("a speech server that wants a key (TRANSCRIBE_API_KEY)", () => {
  const key = "sk-voice-test-0123456789abcdef";
  const bed = useVoiceBed({}, key);

  it("sends the key as a Bearer token", async () => {
    // Act
    const ida = person("Ida");
    voiceNote(bed, ida, "Hello there");
    await invoke(bed);

    // Assess
    expect(bed.speech.calls().at(-1)?.authorization).toBe(`Bearer ${key}`);
    expect(lastText(bed, ida.chat.id)).toBe("You said: Hello there");
  });

  it("a refused key gets a reply naming TRANSCRIBE_API_KEY, and the key never reaches the chat or the log", async () => {
    // Arrange
    const wrong = "sk-wrong-key-9876543210fedcba";
    const env = { ...bed.env, TRANSCRIBE_API_KEY: wrong };
    const jo = person("Jo");
    const chats = bed.ollama.chats().length;

    // Act
    voiceNote(bed, jo, "Can you hear me?");
    const { logs } = await bed.captureLogs(() => invoke(bed, env));

    // Assess
    expect(repliesTo(bed, jo)).toEqual([
      "🎤 The speech-to-text server refused the bot's key (its owner should check TRANSCRIBE_API_KEY). Nothing was sent to the model.",
    ]);
    expect(bed.ollama.chats()).toHaveLength(chats);
    const failure = logs.find((l) => l.includes('"transcription failed"'));
    expect(failure).toContain('"kind":"key_refused"');
    expect(logs.join("\n")).not.toContain(wrong);
    expect(logs.join("\n")).not.toContain(key);
  });
});

describe("Ollama as the speech server (TRANSCRIBE_URL=<OLLAMA_URL>/v1)", () => {
  const bed = useVoiceBed({ TRANSCRIBE_MODEL: "gemma4:e4b" });
  let env: Record<string, string>;
  beforeAll(() => {
    env = { ...bed.env, TRANSCRIBE_URL: `${bed.ollama.url}/v1` };
    bed.ollama.setModels(["llama3:latest", "gemma4:e4b"]);
    bed.ollama.setCapabilities("gemma4:e4b", ["completion", "vision", "audio"]);
    // The audio model hears what the recording says.
    bed.ollama.setReply("gemma4:e4b", (body) => {
      const audio = body.messages.at(-1)?.images?.[0] ?? "";
      return ` ${Buffer.from(audio, "base64").toString("latin1").split("SPOKEN:")[1] ?? ""}\n`;
    });
  });

  it("posts to Ollama's /v1/audio/transcriptions and answers what its audio model heard (an MP3)", async () => {
    // Arrange
    const kai = person("Kai");

    // Act
    bed.telegram.pushAudio(kai.user, kai.chat, {
      content: recording("Name three rivers", 3_000, "ID3"),
      seconds: 5,
      fileName: "question.mp3",
      mimeType: "audio/mpeg",
    });
    await invoke(bed, env);

    // Assess: the path shape, the model asked, and the transcript answered by the chat model
    const heard = bed.ollama.requests().find((r) => r.path === "/v1/audio/transcriptions");
    expect(heard?.body.model).toBe("gemma4:e4b");
    expect(bed.speech.calls()).toHaveLength(0);
    expect(repliesTo(bed, kai)).toEqual(["🎤 Name three rivers", "You said: Name three rivers"]);
    expect(bed.ollama.chats().at(-1)?.body.model).toBe("llama3");
  });

  it("a voice note (OGG/Opus, which Ollama does not take as audio) gets the server's failure as a reply, and nothing goes to the chat model", async () => {
    // Arrange
    const lu = person("Lu");
    const chats = bed.ollama.chats().length;

    // Act
    voiceNote(bed, lu, "Will this work?");
    await invoke(bed, env);

    // Assess
    expect(repliesTo(bed, lu)).toEqual([
      "🎤 The speech-to-text server failed on your voice message (500: the audio is neither WAV nor MP3). Nothing was sent to the model; please try again later, or type it.",
    ]);
    expect(bed.ollama.chats()).toHaveLength(chats);
  });
});
