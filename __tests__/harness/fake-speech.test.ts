import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { FakeSpeechServer, recording } from "./fake-speech.js";

/** A transcription form as OpenAI's clients send it; `omit` leaves fields out. */
function form(fields: Record<string, string>, fileName = "a.ogg", omit: string[] = []): FormData {
  const body = new FormData();
  if (!omit.includes("file"))
    body.append("file", new Blob([recording("hello there")], { type: "audio/ogg" }), fileName);
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  return body;
}

describe("FakeSpeechServer: OpenAI's /v1/audio/transcriptions, as a spec", () => {
  let speech: FakeSpeechServer;
  let url: string;
  const key = "sk-harness-0123456789";
  const post = (body: RequestInit["body"], headers: Record<string, string> = {}) =>
    fetch(url, { method: "POST", body, headers: { authorization: `Bearer ${key}`, ...headers } });
  beforeAll(async () => {
    speech = await FakeSpeechServer.start({ apiKey: key });
    url = `${speech.baseUrl}/audio/transcriptions`;
  });
  afterAll(() => speech.close());

  it("answers json with the words of the recording, text as plain text, and records the file as sent", async () => {
    // Act
    const json = await post(form({ model: "whisper-1" }));
    const text = await post(form({ model: "whisper-1", response_format: "text", language: "en" }));

    // Assess
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ text: "hello there" });
    expect(text.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await text.text()).toBe("hello there\n");
    expect(speech.calls().at(-1)).toMatchObject({
      fileName: "a.ogg",
      mimeType: "audio/ogg",
      language: "en",
      responseFormat: "text",
    });
    expect(speech.calls().at(-1)?.bytes.equals(recording("hello there"))).toBe(true);
  });

  it("refuses what OpenAI refuses, in its error shape", async () => {
    // Act
    const noKey = await fetch(url, { method: "POST", body: form({ model: "whisper-1" }) });
    const wrongKey = await post(form({ model: "whisper-1" }), {
      authorization: "Bearer sk-wrong-000000000",
    });
    const badName = await post(form({ model: "whisper-1" }, "voice.opus"));
    const noFile = await post(form({ model: "whisper-1" }, "a.ogg", ["file"]));
    const noModel = await post(form({}));
    const unknownModel = await post(form({ model: "whisper-9" }));
    const badFormat = await post(form({ model: "whisper-1", response_format: "xml" }));
    const notMultipart = await post(JSON.stringify({ model: "whisper-1" }), {
      "content-type": "application/json",
    });
    const broken = await post("--x\r\nnot a part", {
      "content-type": "multipart/form-data; boundary=x",
    });

    // Assess
    const shape = async (res: Response) => ({ status: res.status, body: await res.json() });
    expect(await shape(noKey)).toEqual({
      status: 401,
      body: {
        error: {
          message: expect.stringContaining("You didn't provide an API key"),
          type: "invalid_request_error",
          param: null,
          code: null,
        },
      },
    });
    expect(await shape(wrongKey)).toMatchObject({
      status: 401,
      body: { error: { message: expect.stringContaining("sk-*"), code: "invalid_api_key" } },
    });
    expect(await shape(badName)).toMatchObject({
      status: 400,
      body: {
        error: {
          message: expect.stringMatching(
            /^Invalid file format\. Supported formats: \['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm'\]$/,
          ),
        },
      },
    });
    expect(await shape(noFile)).toMatchObject({ status: 400, body: { error: { param: "file" } } });
    expect(await shape(noModel)).toMatchObject({
      status: 400,
      body: { error: { param: "model" } },
    });
    expect(await shape(unknownModel)).toMatchObject({
      status: 404,
      body: { error: { code: "model_not_found" } },
    });
    expect((await shape(badFormat)).status).toBe(400);
    expect((await shape(notMultipart)).status).toBe(400);
    expect(await shape(broken)).toMatchObject({
      status: 400,
      body: { error: { message: "Could not parse multipart form." } },
    });
  });
});
