import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { keepAliveFetch } from "../../handler/adapters/keep-alive-fetch.js";
import { OpenAiSpeechToText } from "../../handler/adapters/speech-to-text.js";
import { TranscriptionError } from "../../handler/errors.js";
import { TimeLimit } from "../../handler/time-limit.js";
import { FakeSpeechServer, recording } from "../harness/fake-speech.js";

/** What `transcribe` threw (fails the test when it did not throw a TranscriptionError). */
async function failure(run: Promise<string>): Promise<TranscriptionError> {
  try {
    await run;
  } catch (err) {
    if (err instanceof TranscriptionError) return err;
    throw err;
  }
  throw new Error("expected a TranscriptionError");
}

const request = (signal = new TimeLimit(10_000).signal) => ({
  audio: recording("Testing one two"),
  fileName: "5.ogg",
  mimeType: "audio/ogg",
  signal,
});

describe("OpenAiSpeechToText: OpenAI's POST <base>/audio/transcriptions", () => {
  let speech: FakeSpeechServer;
  beforeAll(async () => {
    speech = await FakeSpeechServer.start({ apiKey: "sk-unit-0123456789" });
  });
  afterAll(() => speech.close());

  it("posts under the base URL, as an OpenAI client does: <OLLAMA_URL>/v1 becomes <OLLAMA_URL>/v1/audio/transcriptions", () => {
    const client = new OpenAiSpeechToText({
      baseUrl: "http://127.0.0.1:11434/v1",
      model: "gemma4:e4b",
      apiKey: "",
    });
    expect(client.endpoint).toBe("http://127.0.0.1:11434/v1/audio/transcriptions");
  });

  it("sends the multipart form through the project's keep-alive fetch (which hands FormData to Node's fetch) and reads the transcript", async () => {
    // Prepare
    const client = new OpenAiSpeechToText({
      baseUrl: speech.baseUrl,
      model: "whisper-1",
      apiKey: "sk-unit-0123456789",
      fetch: keepAliveFetch(),
    });

    // Act
    const text = await client.transcribe(request());

    // Assess
    expect(text).toBe("Testing one two");
    expect(speech.calls().at(-1)).toMatchObject({
      model: "whisper-1",
      fileName: "5.ogg",
      mimeType: "audio/ogg",
      responseFormat: "json",
      authorization: "Bearer sk-unit-0123456789",
    });
  });

  it("tells a deadline (the signal fired) from a server that is not there", async () => {
    // Prepare
    speech.failNext({ kind: "hang" });
    const client = new OpenAiSpeechToText({
      baseUrl: speech.baseUrl,
      model: "whisper-1",
      apiKey: "sk-unit-0123456789",
    });
    const nowhere = new OpenAiSpeechToText({
      baseUrl: "http://127.0.0.1:9/v1",
      model: "whisper-1",
      apiKey: "",
    });

    // Act + Assess
    expect((await failure(client.transcribe(request(new TimeLimit(200).signal)))).kind).toBe(
      "timeout",
    );
    expect((await failure(nowhere.transcribe(request()))).kind).toBe("unreachable");
  });
});

describe("OpenAiSpeechToText: what servers say when they refuse", () => {
  let server: Server;
  let base: string;
  let answer = { status: 500, type: "application/json", body: "{}" };
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(answer.status, { "content-type": answer.type });
        res.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it.each([
    [
      "OpenAI's error object",
      400,
      '{"error":{"message":"Invalid file format.","type":"x"}}',
      "refused",
      "Invalid file format.",
    ],
    [
      "Ollama's native error",
      500,
      '{"error":"model runner crashed"}',
      "server_error",
      "model runner crashed",
    ],
    [
      "FastAPI's detail (speaches)",
      404,
      '{"detail":"Model \'x\' is not installed locally."}',
      "not_found",
      "Model 'x' is not installed locally.",
    ],
    [
      "FastAPI's validation list",
      422,
      '{"detail":[{"loc":["body","file"],"msg":"Field required"}]}',
      "refused",
      "Field required",
    ],
    ["plain text", 502, "Bad Gateway\n\n", "server_error", "Bad Gateway"],
    [
      "a refused key",
      403,
      '{"error":{"message":"key sk-secret-abcdef1234 is revoked"}}',
      "key_refused",
      "key [REDACTED] is revoked",
    ],
    ["a quota", 429, '{"error":{"message":"Rate limit reached"}}', "busy", "Rate limit reached"],
  ])("%s: kind and detail, the key taken out", async (_shape, status, body, kind, detail) => {
    // Prepare
    answer = { status, type: body.startsWith("{") ? "application/json" : "text/plain", body };
    const client = new OpenAiSpeechToText({
      baseUrl: base,
      model: "m",
      apiKey: "sk-secret-abcdef1234",
    });

    // Act
    const err = await failure(client.transcribe(request()));

    // Assess
    expect({ kind: err.kind, status: err.status, detail: err.detail }).toEqual({
      kind,
      status,
      detail,
    });
    expect(err.message).not.toContain("sk-secret-abcdef1234");
  });

  it("a 200 without a `text` string is a bad response; an empty or blank one is empty", async () => {
    const client = new OpenAiSpeechToText({ baseUrl: base, model: "m", apiKey: "" });
    answer = { status: 200, type: "application/json", body: '{"segments":[]}' };
    expect((await failure(client.transcribe(request()))).kind).toBe("bad_response");
    answer = { status: 200, type: "application/json", body: '{"text":"  \\n"}' };
    expect((await failure(client.transcribe(request()))).kind).toBe("empty");
    answer = { status: 200, type: "application/json", body: '{"text":" Hello. "}' };
    expect(await client.transcribe(request())).toBe("Hello.");
  });
});
