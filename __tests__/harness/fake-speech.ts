/**
 * In-process fake of an OpenAI-compatible speech-to-text server for
 * integration tests: `POST {url}/v1/audio/transcriptions` as OpenAI documents
 * it and speaches, LocalAI, whisper.cpp's server and Groq follow.
 *
 * The multipart body is parsed by Node's own `Request.formData()` (undici's
 * parser, the WHATWG algorithm, maintained with Node): a malformed body is
 * refused as a real server refuses it, and no hand-written parser can be
 * kinder than the real ones. Errors come in OpenAI's shape
 * `{"error": {"message", "type", "param", "code"}}`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { RestartableServer, readBody, sendJson } from "./http.js";

/** The extensions OpenAI accepts, in the order its 400 lists them. */
const OPENAI_AUDIO_EXTENSIONS = [
  "flac",
  "m4a",
  "mp3",
  "mp4",
  "mpeg",
  "mpga",
  "oga",
  "ogg",
  "wav",
  "webm",
] as const;

/** The response formats OpenAI's transcription endpoint takes. */
const RESPONSE_FORMATS = ["json", "text", "srt", "verbose_json", "vtt"];

/** One transcription request, as the server read it. */
export interface TranscriptionCall {
  readonly path: string;
  readonly model: string;
  /** The `file` part's name, as the client sent it. */
  readonly fileName: string;
  /** The `file` part's Content-Type. */
  readonly mimeType: string;
  readonly bytes: Buffer;
  readonly responseFormat: string;
  readonly language?: string;
  readonly prompt?: string;
  /** The Authorization header, when sent. */
  readonly authorization?: string;
  readonly at: number;
}

/** A failure for the next request(s). */
export type SpeechFault =
  /** Answers `status` with an OpenAI-shaped error. */
  | { kind: "status"; status: number; message: string; type?: string; code?: string | null }
  /** Never answers (the connection stays open until the client gives up). */
  | { kind: "hang" }
  /** Answers 200 with a body that is no transcript. */
  | { kind: "garbage" };

/** An error in OpenAI's shape. */
export function openAiError(
  message: string,
  type = "invalid_request_error",
  param: string | null = null,
  code: string | null = null,
): { error: { message: string; type: string; param: string | null; code: string | null } } {
  return { error: { message, type, param, code } };
}

/** Marks the words a test recording "says" (see {@link recording}). */
const SPOKEN = "SPOKEN:";

/**
 * Bytes of a recording that says `words`: an Ogg page signature (what
 * Telegram serves for a voice note), padding, and the words after a marker,
 * which the fake "hears". Without words, the recording is silence.
 */
export function recording(words: string | undefined, bytes = 4_000, head = "OggS"): Buffer {
  const spoken = words === undefined ? Buffer.alloc(0) : Buffer.from(`${SPOKEN}${words}`, "utf8");
  const out = Buffer.alloc(Math.max(bytes, head.length + spoken.length), 0x5a);
  out.write(head, 0, "latin1");
  spoken.copy(out, out.length - spoken.length);
  return out;
}

/** The words a {@link recording} says ("" for silence): what a real server would transcribe. */
export function heardIn(bytes: Buffer): string {
  const at = bytes.lastIndexOf(SPOKEN);
  return at < 0 ? "" : bytes.subarray(at + SPOKEN.length).toString("utf8");
}

/**
 * Parses a request's multipart body as the real servers do (Node's own
 * `formData()`). @returns undefined when it is not multipart or is malformed.
 */
export async function parseMultipart(
  req: IncomingMessage,
  raw: Buffer,
): Promise<FormData | undefined> {
  const contentType = req.headers["content-type"] ?? "";
  if (!contentType.startsWith("multipart/form-data")) return undefined;
  try {
    return await new Request("http://fake.invalid/", {
      method: "POST",
      headers: { "content-type": contentType },
      body: raw,
    }).formData();
  } catch {
    return undefined;
  }
}

/** A text field of a form, when it is one. */
export function textField(form: FormData, name: string): string | undefined {
  const value = form.get(name);
  return typeof value === "string" ? value : undefined;
}

/**
 * A fake speech-to-text server over HTTP. It hears what a {@link recording}
 * says (or what {@link setTranscript} decides), checks the Bearer key when it
 * has one, refuses unknown models (404 `model_not_found`) and file names
 * whose extension OpenAI does not list (400 "Invalid file format"), and
 * answers `json` (`{"text"}`) or `text` (plain).
 */
export class FakeSpeechServer {
  private readonly server: RestartableServer;
  private recorded: TranscriptionCall[] = [];
  private readonly faults: SpeechFault[] = [];
  private hanging: ServerResponse[] = [];
  private transcript: (call: TranscriptionCall) => string = (call) => heardIn(call.bytes);
  /** Models the server has (`TRANSCRIBE_MODEL` must be one). */
  models: string[] = ["whisper-1"];

  private constructor(private readonly apiKey: string | undefined) {
    this.server = new RestartableServer((req, res) => void this.route(req, res));
  }

  /** Starts a fake on a free port of 127.0.0.1; with `apiKey`, requests must carry it as a Bearer token. */
  static async start(options: { apiKey?: string } = {}): Promise<FakeSpeechServer> {
    const fake = new FakeSpeechServer(options.apiKey);
    await fake.server.start();
    return fake;
  }

  /** The base URL a client is configured with (`TRANSCRIBE_URL`), ending in `/v1`. */
  get baseUrl(): string {
    return `${this.server.url}/v1`;
  }

  /** Every transcription request so far, oldest first. */
  calls(): TranscriptionCall[] {
    return [...this.recorded];
  }

  /** What the server hears from now on (default: the words of a {@link recording}). */
  setTranscript(transcript: (call: TranscriptionCall) => string): void {
    this.transcript = transcript;
  }

  /** Fails the next `times` requests. */
  failNext(fault: SpeechFault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push(fault);
  }

  /** Goes down: connections are refused until {@link start}. */
  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging = [];
    await this.server.stop();
  }

  /** Comes back on the same port. */
  start(): Promise<void> {
    return this.server.start();
  }

  close(): Promise<void> {
    return this.stop();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path !== "/v1/audio/transcriptions" || req.method !== "POST") {
      sendJson(res, 404, openAiError(`Invalid URL (${req.method} ${path})`));
      return;
    }
    const authorization = req.headers.authorization;
    if (this.apiKey !== undefined && authorization !== `Bearer ${this.apiKey}`) {
      sendJson(res, 401, unauthorized(authorization));
      return;
    }
    const form = await parseMultipart(req, raw);
    if (!form) {
      sendJson(res, 400, openAiError("Could not parse multipart form."));
      return;
    }
    const file = form.get("file");
    if (!(file instanceof File)) {
      sendJson(res, 400, openAiError("1 validation error: file field required", undefined, "file"));
      return;
    }
    const model = textField(form, "model");
    if (!model) {
      sendJson(res, 400, openAiError("you must provide a model parameter", undefined, "model"));
      return;
    }
    const language = textField(form, "language");
    const prompt = textField(form, "prompt");
    const call: TranscriptionCall = {
      path,
      model,
      fileName: file.name,
      mimeType: file.type,
      bytes: Buffer.from(await file.arrayBuffer()),
      responseFormat: textField(form, "response_format") ?? "json",
      ...(language !== undefined ? { language } : {}),
      ...(prompt !== undefined ? { prompt } : {}),
      ...(authorization !== undefined ? { authorization } : {}),
      at: Date.now(),
    };
    this.recorded.push(call);
    const refused = this.refusal(call);
    if (refused) {
      sendJson(res, refused.status, refused.body);
      return;
    }
    const fault = this.faults.shift();
    if (fault?.kind === "hang") {
      this.hanging.push(res);
      return;
    }
    if (fault?.kind === "status") {
      sendJson(
        res,
        fault.status,
        openAiError(fault.message, fault.type ?? "server_error", null, fault.code ?? null),
      );
      return;
    }
    if (fault?.kind === "garbage") {
      sendJson(res, 200, { transcription: "the field is not called that" });
      return;
    }
    const transcript = this.transcript(call);
    if (call.responseFormat === "text") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end(`${transcript}\n`);
      return;
    }
    sendJson(res, 200, { text: transcript });
  }

  /** What OpenAI refuses before transcribing: an unknown model, format or response format. */
  private refusal(
    call: TranscriptionCall,
  ): { status: number; body: ReturnType<typeof openAiError> } | undefined {
    if (!this.models.includes(call.model))
      return {
        status: 404,
        body: openAiError(
          `The model \`${call.model}\` does not exist or you do not have access to it.`,
          "invalid_request_error",
          null,
          "model_not_found",
        ),
      };
    const ext = /\.([^.]+)$/.exec(call.fileName)?.[1]?.toLowerCase() ?? "";
    if (!(OPENAI_AUDIO_EXTENSIONS as readonly string[]).includes(ext))
      return {
        status: 400,
        body: openAiError(
          `Invalid file format. Supported formats: [${OPENAI_AUDIO_EXTENSIONS.map((e) => `'${e}'`).join(", ")}]`,
        ),
      };
    if (!RESPONSE_FORMATS.includes(call.responseFormat))
      return {
        status: 400,
        body: openAiError(
          `'${call.responseFormat}' is not one of [${RESPONSE_FORMATS.map((f) => `'${f}'`).join(", ")}] - 'response_format'`,
        ),
      };
    return undefined;
  }
}

/**
 * OpenAI's 401s: no key at all, or a wrong one quoted masked (its first and
 * last characters), as api.openai.com answers.
 */
function unauthorized(authorization: string | undefined): ReturnType<typeof openAiError> {
  const given = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
  if (given === undefined)
    return openAiError(
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    );
  const masked = `${given.slice(0, 3)}${"*".repeat(Math.max(0, given.length - 7))}${given.slice(-4)}`;
  return openAiError(
    `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    "invalid_request_error",
    null,
    "invalid_api_key",
  );
}
