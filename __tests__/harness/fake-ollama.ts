import type { IncomingMessage, ServerResponse } from "node:http";
import { openAiError, parseMultipart, textField } from "./fake-speech.js";
import { parseGoDuration } from "./go-duration.js";
import { RestartableServer, readBody, sendJson } from "./http.js";

/** A chat message as Ollama receives it. */
export interface OllamaMessage {
  role: string;
  content: string;
  /** Base64 images (vision models). */
  images?: string[];
}

/** The body of `POST /api/chat`. */
export interface ChatBody {
  model: string;
  messages: OllamaMessage[];
  stream?: boolean;
  /** `true`/`false`, or a level: `"low"`, `"medium"`, `"high"` (`"max"` is read as high). */
  think?: boolean | string;
  keep_alive?: unknown;
  options?: Record<string, number>;
}

/** One request the fake received. */
export interface OllamaRequest {
  path: string;
  method: string;
  body: ChatBody;
  at: number;
  /** When the first streamed chunk was written (chat requests that streamed). */
  firstChunkAt?: number;
  /** The token counts its final line reported (`prompt_eval_count`, `eval_count`). */
  reported?: { promptEvalCount: number; evalCount: number };
  /**
   * When the connection closed before the answer ended: the client went away
   * (Ollama then stops generating, or stops downloading, at once), or the
   * server was stopped while the request waited or was answered.
   */
  cancelledAt?: number;
  /** The `Authorization` header it carried, if any. */
  authorization?: string;
}

/** The body of `POST /api/pull` (`name` is the older spelling of `model`). */
interface PullBody {
  model?: string;
  name?: string;
  stream?: boolean;
}

/** What a model answers: plain content, or content with separate reasoning. */
export type Reply = string | { content: string; thinking?: string };

/** A failure for the next chat request(s). */
export type OllamaFault =
  | { kind: "status"; status: number; error: string }
  | { kind: "midstream"; error: string; afterChunks?: number }
  | { kind: "hang" }
  | { kind: "malformed" }
  /** Sends `afterChunks` chunks, then nothing more: the response stays open, silent. */
  | { kind: "stall"; afterChunks?: number }
  /** Sends `afterChunks` chunks, then closes the stream with neither a final line nor an error. */
  | { kind: "truncated"; afterChunks?: number }
  /** Stops after `afterChunks` chunks with a final line saying `done_reason: "length"` (num_predict reached). */
  | { kind: "length"; afterChunks?: number };

const canonical = (name: string): string => (name.includes(":") ? name : `${name}:latest`);

/** The default model behaviour: echo the last user message, so tests can follow each answer. */
const echo = (body: ChatBody): Reply => {
  const last = body.messages.filter((m) => m.role === "user").at(-1)?.content ?? "";
  return `You said: ${last}`;
};

/**
 * A fake Ollama server over HTTP, faithful to the documented API: NDJSON
 * streaming with a final `done` line carrying durations in nanoseconds,
 * `404 model "x" not found, try pulling it first`, 503 when busy, error lines
 * inside a 200 stream, `/api/tags`, `/api/show`, `/api/version`.
 */
export class FakeOllama {
  private readonly server: RestartableServer;
  private models = ["llama3:latest", "mistral:latest", "phi3:latest"];
  private readonly details = new Map<string, ModelDetails>();
  private readonly replies = new Map<string, (body: ChatBody) => Reply>();
  private defaultReply: (body: ChatBody) => Reply = echo;
  private readonly faults: OllamaFault[] = [];
  private recorded: OllamaRequest[] = [];
  private hanging: ServerResponse[] = [];
  private holds: { matches: (body: ChatBody) => boolean; released: Promise<void> }[] = [];
  /** Milliseconds before the first token (model "thinking" time). */
  latencyMs = 0;
  /**
   * As Ollama before 0.17.7 (server/routes.go until commit 122c68c, "loosen thinking level
   * constraint"): a `think` level (a string) for a model whose parser is not harmony
   * (anything but gpt-oss) is refused with 400 `think value "low" is not supported for this model`.
   */
  levelsOnlyForHarmony = false;
  /** Milliseconds between streamed chunks. */
  chunkDelayMs = 0;
  /** Characters per streamed chunk. */
  chunkSize = 16;
  /**
   * When above 0, every NDJSON write is cut into pieces of this many bytes, each
   * written on its own: lines then arrive split at arbitrary byte boundaries, also
   * inside a multi-byte UTF-8 character, as TCP may deliver them from a real server.
   */
  fragmentBytes = 0;
  /** Milliseconds between `/api/pull` progress lines. */
  pullDelayMs = 0;
  /** Progress lines per layer of a pull. */
  pullSteps = 4;
  /** Models `/api/pull` can download (name → bytes of its one big layer). */
  private library = new Map<string, number>([
    ["llava:latest", 4_700_000_000],
    ["qwen2.5:latest", 4_400_000_000],
    ["gemma3:latest", 3_300_000_000],
  ]);
  /** Requests being answered right now, and the most seen at once. */
  inFlight = 0;
  maxInFlight = 0;
  /**
   * Chat requests answered at once, as Ollama's `OLLAMA_NUM_PARALLEL` (0: no
   * limit). More wait in line, in the order they came, with no byte sent (Ollama
   * writes its headers with the first token), and leave the line when their
   * client goes away. (Ollama counts per loaded model and caps its line at
   * `OLLAMA_MAX_QUEUE`, 512; this fake serves its models as one and never fills up.)
   */
  parallel = 0;
  /** Chat requests open right now (answered or waiting in line), and the most seen at once. */
  open = 0;
  maxOpen = 0;
  private readonly line: (() => void)[] = [];
  /** The user and password a reverse proxy in front demands (none: open, as Ollama itself is). */
  private basicAuth: { readonly user: string; readonly password: string } | undefined;

  private constructor(host: string) {
    this.server = new RestartableServer((req, res) => void this.route(req, res), host);
  }

  /** Starts a fake on a free port of `host` (default 127.0.0.1). */
  static async start(options: { host?: string } = {}): Promise<FakeOllama> {
    const fake = new FakeOllama(options.host ?? "127.0.0.1");
    await fake.server.start();
    return fake;
  }

  /** The port in use. */
  get port(): number {
    return this.server.port;
  }

  /** Base URL (what `OLLAMA_URL` is set to). */
  get url(): string {
    return this.server.url;
  }

  /** Installed models, as `name:tag`. */
  setModels(names: readonly string[]): void {
    this.models = names.map(canonical);
  }

  /**
   * What `/api/show` lists for `model` (default: `completion`, plus `vision`
   * for llava and names with "vision", and `thinking` for qwen3, deepseek-r1
   * and gpt-oss, as the real models do).
   */
  setCapabilities(model: string, capabilities: readonly string[]): void {
    this.setModelDetails(model, { capabilities: [...capabilities] });
  }

  /** The capabilities of an installed model. */
  capabilitiesOf(model: string): string[] {
    const name = canonical(model);
    const set = this.details.get(name)?.capabilities;
    if (set) return [...set];
    if (/^(qwen3|deepseek-r1|gpt-oss)/.test(name)) return ["completion", "thinking"];
    return /^llava|vision/.test(name) ? ["completion", "vision"] : ["completion"];
  }

  /**
   * What `/api/tags` and `/api/show` report for `model`: its size in bytes
   * (default 4,661,224,676, llama3 8B Q4_0), parameter size (default 8.0B) and
   * `capabilities` (default: see {@link capabilitiesOf}).
   */
  setModelDetails(model: string, details: ModelDetails): void {
    this.details.set(canonical(model), { ...this.details.get(canonical(model)), ...details });
  }
  /** How `model` answers from now on (default: echo). */
  setReply(model: string, reply: (body: ChatBody) => Reply): void {
    this.replies.set(canonical(model), reply);
  }

  /** How every model without a reply of its own answers from now on (default: echo). */
  setDefaultReply(reply: (body: ChatBody) => Reply): void {
    this.defaultReply = reply;
  }

  /**
   * Puts the fake behind a reverse proxy with basic auth (nginx's `auth_basic`):
   * a request without `Authorization: Basic base64(user:password)` gets 401 with
   * `WWW-Authenticate` and an HTML page, and never reaches Ollama.
   */
  requireBasicAuth(user: string, password: string): void {
    this.basicAuth = { user, password };
  }

  /** Fails the next `times` chat requests. */
  failNext(fault: OllamaFault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push(fault);
  }

  /**
   * Holds the next streamed answer whose request matches: it sends its first
   * chunk, then waits until `release()` before sending the rest, so a test can
   * act while that answer is visibly streaming (no timing involved).
   */
  holdAfterFirstChunk(matches: (body: ChatBody) => boolean): { release(): void } {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.holds.push({ matches, released });
    return { release };
  }

  /** Every request so far. */
  requests(): OllamaRequest[] {
    return [...this.recorded];
  }

  /** Makes `name` downloadable by `/api/pull` (its big layer `bytes` long). */
  addToLibrary(name: string, bytes: number): void {
    this.library.set(canonical(name), bytes);
  }

  /** Installed models, as `name:tag`. */
  installed(): string[] {
    return [...this.models];
  }

  /** Only the `/api/pull` requests. */
  pulls(): OllamaRequest[] {
    return this.recorded.filter((r) => r.path === "/api/pull");
  }

  /** Only the `/api/chat` requests. */
  chats(): OllamaRequest[] {
    return this.recorded.filter((r) => r.path === "/api/chat");
  }

  /** Forgets requests, replies, faults and latency. */
  reset(): void {
    this.recorded = [];
    this.replies.clear();
    this.defaultReply = echo;
    this.details.clear();
    this.faults.length = 0;
    this.holds = [];
    this.latencyMs = 0;
    this.levelsOnlyForHarmony = false;
    this.chunkDelayMs = 0;
    this.fragmentBytes = 0;
    this.pullDelayMs = 0;
    this.maxInFlight = 0;
    this.maxOpen = 0;
    this.parallel = 0;
  }

  /** Goes down: connections are refused until {@link start}. */
  async stop(): Promise<void> {
    this.releaseHanging();
    await this.server.stop();
  }

  /** Comes back on the same port. */
  start(): Promise<void> {
    return this.server.start();
  }

  async close(): Promise<void> {
    await this.stop();
  }

  private releaseHanging(): void {
    for (const res of this.hanging) res.destroy();
    this.hanging = [];
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/v1/audio/transcriptions" && req.method === "POST") {
      await this.transcribe(req, raw, res, path);
      return;
    }
    let body: ChatBody = { model: "", messages: [] };
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString("utf8")) as ChatBody;
      } catch {
        sendJson(res, 400, { error: "invalid character in request body" });
        return;
      }
    }
    const authorization = req.headers.authorization;
    const record: OllamaRequest = {
      path,
      method: req.method ?? "GET",
      body,
      at: Date.now(),
      ...(authorization !== undefined ? { authorization } : {}),
    };
    this.recorded.push(record);
    if (this.basicAuth && !basicAuthMatches(authorization, this.basicAuth)) {
      const page =
        "<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
      res.writeHead(401, {
        "content-type": "text/html",
        "www-authenticate": 'Basic realm="Ollama"',
        "content-length": Buffer.byteLength(page),
      });
      res.end(page);
      return;
    }
    if (path === "/api/tags") {
      sendJson(res, 200, {
        models: this.models.map((m) => tagEntry(m, this.details.get(m))),
      });
      return;
    }
    if (path === "/api/version") {
      sendJson(res, 200, { version: "0.12.6" });
      return;
    }
    if (path === "/api/show") {
      this.show(body, res);
      return;
    }
    if (path === "/api/pull" && req.method === "POST") {
      await this.pull(body as unknown as PullBody, res, record);
      return;
    }
    if (path === "/api/chat" && req.method === "POST") {
      await this.chat(body, res, record);
      return;
    }
    sendJson(res, 404, { error: "404 page not found" });
  }

  /**
   * `/api/pull` as Ollama answers it: NDJSON progress (`pulling manifest`,
   * `pulling <digest>` with `total`/`completed`, `verifying sha256 digest`,
   * `writing manifest`, `success`), the model installed at the end. A name
   * not in the library fails after `pulling manifest` with an error line in
   * the 200 stream (500 without streaming). A client that goes away stops the
   * download: nothing is installed.
   */
  private async pull(body: PullBody, res: ServerResponse, record: OllamaRequest): Promise<void> {
    const name = canonical(body.model ?? body.name ?? "");
    const unknown = "pull model manifest: file does not exist";
    const bytes = this.library.get(name);
    if (body.stream === false) {
      if (bytes === undefined) sendJson(res, 500, { error: unknown });
      else {
        this.install(name);
        sendJson(res, 200, { status: "success" });
      }
      return;
    }
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    let closed = false;
    res.on("close", () => {
      if (res.writableFinished) return;
      closed = true;
      record.cancelledAt ??= Date.now();
    });
    const line = (o: unknown) => res.write(`${JSON.stringify(o)}\n`);
    line({ status: "pulling manifest" });
    await sleep(this.pullDelayMs);
    if (bytes === undefined) {
      line({ error: unknown });
      res.end();
      return;
    }
    const digest = "sha256:6a0746a1ec1aef3e7ec53868f220ff6e389f6f8ef87a01d77c96807de94ca2aa";
    for (let step = 1; step <= this.pullSteps; step++) {
      if (closed) return;
      const completed = Math.round((bytes * step) / this.pullSteps);
      line({ status: `pulling ${digest.slice(7, 19)}`, digest, total: bytes, completed });
      await sleep(this.pullDelayMs);
    }
    if (closed) return;
    for (const status of ["verifying sha256 digest", "writing manifest", "success"])
      line({ status });
    this.install(name);
    res.end();
  }

  private install(name: string): void {
    if (!this.models.includes(name)) this.models.push(name);
  }

  private show(body: ChatBody, res: ServerResponse): void {
    const name = canonical((body as { model?: string; name?: string }).model ?? "");
    if (!this.models.includes(name)) {
      sendJson(res, 404, { error: `model '${name}' not found` });
      return;
    }
    // The fields of Ollama's /api/show answer a client reads; `capabilities` since Ollama 0.6.
    const details = this.details.get(name);
    sendJson(res, 200, {
      modelfile: `FROM ${name}`,
      parameters: 'stop "<|eot_id|>"',
      template: "{{ .Prompt }}",
      details: detailsOf(details),
      model_info: { "general.architecture": "llama" },
      capabilities: this.capabilitiesOf(name),
      modified_at: "2026-11-01T10:00:00Z",
    });
  }

  /**
   * `/v1/audio/transcriptions` as Ollama serves it (middleware/openai.go and
   * openai.FromTranscriptionRequest, read at ollama@fb30760, 2026-08-21): the
   * form becomes a chat whose user message carries the audio in `images`,
   * answered by the model (its reply, trimmed, is the transcript); errors in
   * OpenAI's shape (`openai.NewError`); no key is checked. Ollama takes only WAV
   * and MP3 as audio (llm/media.go, by their first bytes): other bytes fail
   * here with a 500 whose wording is this fake's own (Ollama's was not verified).
   */
  private async transcribe(
    req: IncomingMessage,
    raw: Buffer,
    res: ServerResponse,
    path: string,
  ): Promise<void> {
    const fail = (status: number, message: string) => {
      const type =
        status === 400 ? "invalid_request_error" : status === 404 ? "not_found_error" : "api_error";
      sendJson(res, status, openAiError(message, type));
    };
    const form = await parseMultipart(req, raw);
    if (!form) return fail(400, "failed to parse multipart form: no multipart boundary param");
    const model = textField(form, "model") ?? "";
    if (!model) return fail(400, "model is required");
    const file = form.get("file");
    if (!(file instanceof File)) return fail(400, "file is required: http: no such file");
    const audio = Buffer.from(await file.arrayBuffer());
    if (audio.length === 0) return fail(400, "audio file is empty");
    const body: ChatBody = {
      model,
      messages: [
        {
          role: "system",
          content:
            "Transcribe the audio exactly as spoken. Output only the spoken words. Do not answer any question in the audio.",
        },
        {
          role: "user",
          content: "What exact words are spoken in this audio?",
          images: [audio.toString("base64")],
        },
      ],
      options: { temperature: 0 },
    };
    this.recorded.push({ path, method: "POST", body, at: Date.now() });
    const name = canonical(model);
    if (!this.models.includes(name))
      return fail(404, `model "${model}" not found, try pulling it first`);
    if (!this.capabilitiesOf(name).includes("audio"))
      return fail(400, `registry.ollama.ai/library/${name} does not support audio`);
    if (!isWavOrMp3(audio)) return fail(500, "the audio is neither WAV nor MP3");
    const reply = (this.replies.get(name) ?? echo)(body);
    const text = (typeof reply === "string" ? reply : reply.content).trim();
    if (textField(form, "response_format") === "text") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(text);
      return;
    }
    sendJson(res, 200, { text });
  }

  private async chat(body: ChatBody, res: ServerResponse, record: OllamaRequest): Promise<void> {
    // Ollama binds the whole body before anything else: a keep_alive it cannot read is a 400.
    const keepAliveError = checkKeepAlive(body.keep_alive);
    if (keepAliveError !== undefined) {
      sendJson(res, 400, { error: keepAliveError });
      return;
    }
    if (!body.model) {
      sendJson(res, 400, { error: "model is required" });
      return;
    }
    const model = canonical(body.model);
    if (!this.models.includes(model)) {
      sendJson(res, 404, { error: `model "${body.model}" not found, try pulling it first` });
      return;
    }
    const images = body.messages.flatMap((m) => m.images ?? []);
    if (images.length > 0 && !this.capabilitiesOf(model).includes("vision")) {
      // Ollama checks the model's capabilities before loading it.
      sendJson(res, 400, { error: `registry.ollama.ai/library/${model} does not support vision` });
      return;
    }
    const bad = images.findIndex((i) => !/^[A-Za-z0-9+/]*={0,2}$/.test(i) || i.length % 4 !== 0);
    if (bad >= 0) {
      sendJson(res, 400, { error: "illegal base64 data at input byte 0" });
      return;
    }
    const think = this.thinkOf(model, body);
    if (typeof think === "string") {
      sendJson(res, 400, { error: think });
      return;
    }
    const fault = this.faults.shift();
    if (fault?.kind === "status") {
      sendJson(res, fault.status, { error: fault.error });
      return;
    }
    if (fault?.kind === "hang") {
      this.hanging.push(res);
      return;
    }
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    res.once("close", () => {
      if (!res.writableFinished) record.cancelledAt ??= Date.now();
    });
    try {
      if (await this.admit(res)) await this.answer(body, res, record, think, fault, model);
    } finally {
      this.open--;
    }
  }

  /**
   * Waits for one of the {@link parallel} places, then takes it (counted in
   * {@link inFlight}); false when the client went away while waiting.
   */
  private admit(res: ServerResponse): Promise<boolean> {
    const take = () => {
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    };
    if (this.parallel <= 0 || this.inFlight < this.parallel) {
      take();
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const turn = () => {
        res.off("close", gone);
        take();
        resolve(true);
      };
      const gone = () => {
        this.line.splice(this.line.indexOf(turn), 1);
        resolve(false);
      };
      this.line.push(turn);
      res.once("close", gone);
    });
  }

  /** Answers a chat request that has its place, and gives the place to the next in line. */
  private async answer(
    body: ChatBody,
    res: ServerResponse,
    record: OllamaRequest,
    think: boolean,
    fault: OllamaFault | undefined,
    model: string,
  ): Promise<void> {
    try {
      await sleep(this.latencyMs);
      const reply = (this.replies.get(model) ?? this.defaultReply)(body);
      const { content, thinking: reasoning = "" } =
        typeof reply === "string" ? { content: reply } : reply;
      // A thinking model told `think: false` does not reason; any other writes what it writes.
      const thinking = think || !this.capabilitiesOf(model).includes("thinking") ? reasoning : "";
      if (body.stream === false) {
        const inline = think || !thinking ? content : `<think>${thinking}</think>${content}`;
        sendJson(res, 200, this.final(body, inline, think ? thinking : "", record));
        return;
      }
      await this.stream(body, res, content, thinking, fault, record, think);
    } finally {
      this.inFlight--;
      this.line.shift()?.();
    }
  }

  private async stream(
    body: ChatBody,
    res: ServerResponse,
    content: string,
    thinking: string,
    fault: OllamaFault | undefined,
    record: OllamaRequest,
    think: boolean,
  ): Promise<void> {
    res.writeHead(200, { "content-type": "application/x-ndjson" });
    // Ollama stops generating when the client goes away (the bot's Stop aborts the request).
    let closed = false;
    const gone = new Promise<void>((resolve) =>
      res.on("close", () => {
        if (!res.writableFinished) {
          closed = true;
          record.cancelledAt ??= Date.now();
        }
        resolve();
      }),
    );
    const line = (o: unknown) => this.write(res, `${JSON.stringify(o)}\n`);
    // Reasoning comes first, in `message.thinking`; a model Ollama cannot parse it for writes
    // its `<think>` section into the content.
    const chunks = [
      ...pieces(think ? thinking : "", this.chunkSize).map((t) => ({
        thinking: t,
        content: "",
      })),
      ...pieces(
        think || !thinking ? content : `<think>${thinking}</think>${content}`,
        this.chunkSize,
      ).map((c) => ({ thinking: "", content: c })),
    ];
    const holdIndex = this.holds.findIndex((h) => h.matches(body));
    const hold = holdIndex >= 0 ? this.holds.splice(holdIndex, 1)[0] : undefined;
    let sent = 0;
    const stopAt = cutAfter(fault);
    for (const c of chunks) {
      if (hold && sent === 1) await Promise.race([hold.released, gone]);
      if (closed) return;
      if (sent === stopAt) break;
      if (fault?.kind === "malformed" && sent === 1) {
        res.write("{not json\n");
        break;
      }
      await line({
        model: body.model,
        created_at: new Date().toISOString(),
        message: {
          role: "assistant",
          content: c.content,
          ...(c.thinking ? { thinking: c.thinking } : {}),
        },
        done: false,
      });
      record.firstChunkAt ??= Date.now();
      sent++;
      await sleep(this.chunkDelayMs);
    }
    if (fault?.kind === "stall") {
      this.hanging.push(res);
      return;
    }
    if (fault?.kind === "midstream") await line({ error: fault.error });
    else if (fault?.kind === "length") await line(this.final(body, "", "", record, "length"));
    else if (fault?.kind !== "malformed" && fault?.kind !== "truncated")
      await line(this.final(body, "", "", record));
    res.end();
  }

  /**
   * Ollama's `think` rules (server/routes.go, api/types.go): a string must be a
   * level ("low", "medium", "high", "max"); a model whose capabilities list
   * `thinking` thinks unless told `false`, and reports it in `message.thinking`;
   * gpt-oss ignores `true`/`false` (it always reasons, at the level asked or
   * medium); any other model refuses a `think` that is not `false`.
   * @returns whether reasoning goes in `message.thinking`, or the 400 error text.
   */
  private thinkOf(model: string, body: ChatBody): boolean | string {
    const { think } = body;
    if (typeof think === "string" && !["low", "medium", "high", "max"].includes(think))
      return `invalid think value: "${think}" (must be "high", "medium", "low", "max", true, or false)`;
    if (think !== undefined && typeof think !== "string" && typeof think !== "boolean")
      return 'think must be a boolean or string ("high", "medium", "low", "max", true, or false)';
    if (this.levelsOnlyForHarmony && typeof think === "string" && !model.startsWith("gpt-oss"))
      return `think value "${think}" is not supported for this model`;
    if (!this.capabilitiesOf(model).includes("thinking")) {
      return think === undefined || think === false
        ? false
        : `"${body.model}" does not support thinking`;
    }
    return model.startsWith("gpt-oss") || think !== false;
  }

  /** Writes `text` whole, or in {@link fragmentBytes}-sized pieces that leave one at a time. */
  private async write(res: ServerResponse, text: string): Promise<void> {
    const bytes = Buffer.from(text, "utf8");
    if (this.fragmentBytes <= 0) {
      res.write(bytes);
      return;
    }
    for (let at = 0; at < bytes.length; at += this.fragmentBytes) {
      res.write(bytes.subarray(at, at + this.fragmentBytes));
      // A macrotask between pieces, so each leaves in its own TCP segment.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  private final(
    body: ChatBody,
    content: string,
    thinking: string,
    record: OllamaRequest | undefined,
    doneReason = "stop",
  ): Record<string, unknown> {
    const promptTokens = body.messages.reduce((n, m) => n + Math.ceil(m.content.length / 4), 0);
    if (record) record.reported = { promptEvalCount: promptTokens, evalCount: 42 };
    return {
      model: body.model,
      created_at: new Date().toISOString(),
      message: { role: "assistant", content, ...(thinking ? { thinking } : {}) },
      done: true,
      done_reason: doneReason,
      total_duration: 1_250_000_000,
      load_duration: 50_000_000,
      prompt_eval_count: promptTokens,
      prompt_eval_duration: 100_000_000,
      eval_count: 42,
      eval_duration: 1_000_000_000,
    };
  }
}

/** What the fake reports about an installed model (see {@link FakeOllama.setModelDetails}). */
export interface ModelDetails {
  readonly sizeBytes?: number;
  readonly parameterSize?: string;
  /** `/api/show` `capabilities`, e.g. `["completion", "vision"]`. */
  readonly capabilities?: readonly string[];
}

function detailsOf(details: ModelDetails | undefined): Record<string, unknown> {
  return {
    parent_model: "",
    format: "gguf",
    family: "llama",
    families: ["llama"],
    parameter_size: details?.parameterSize ?? "8.0B",
    quantization_level: "Q4_0",
  };
}

function tagEntry(name: string, details: ModelDetails | undefined): Record<string, unknown> {
  return {
    name,
    model: name,
    modified_at: "2026-11-01T10:00:00Z",
    size: details?.sizeBytes ?? 4_661_224_676,
    digest: "365c0bd3c000a25d28ddbf732fe1c6add414de7275464c4e4d1c3b5fcb5d8ad1",
    details: detailsOf(details),
  };
}

/**
 * Ollama's `api.Duration.UnmarshalJSON` on `keep_alive`: a JSON number is
 * seconds (negative: forever), a string is a Go duration (`"5m"`, `"-1s"`; a
 * string without a unit such as `"-1"` fails with Go's message), anything else
 * is refused. Absent or null leaves the server's default.
 * @returns the error body's message, or undefined when Ollama accepts it.
 */
function checkKeepAlive(value: unknown): string | undefined {
  if (value === undefined || value === null || typeof value === "number") return undefined;
  if (typeof value !== "string") {
    const goType =
      typeof value === "boolean"
        ? "bool"
        : Array.isArray(value)
          ? "[]interface {}"
          : "map[string]interface {}";
    return `Unsupported type: '${goType}'`;
  }
  try {
    parseGoDuration(value);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Whether `header` is `Basic base64(user:password)` for these credentials (compared after decoding, as a proxy does). */
function basicAuthMatches(
  header: string | undefined,
  expected: { readonly user: string; readonly password: string },
): boolean {
  const match = /^Basic ([A-Za-z0-9+/]+=*)$/i.exec(header ?? "");
  if (!match?.[1]) return false;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return (
    colon >= 0 &&
    decoded.slice(0, colon) === expected.user &&
    decoded.slice(colon + 1) === expected.password
  );
}

/** After how many chunks a fault cuts the answer short (none for the others). */
function cutAfter(fault: OllamaFault | undefined): number | undefined {
  switch (fault?.kind) {
    case "midstream":
    case "stall":
    case "truncated":
    case "length":
      return fault.afterChunks ?? 2;
    default:
      return undefined;
  }
}

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

/** Ollama's audio detection (llm/media.go `AudioFormat`): RIFF/WAVE, an ID3 tag, or an MPEG frame sync. */
function isWavOrMp3(data: Buffer): boolean {
  if (data.length >= 12 && data.toString("latin1", 0, 4) === "RIFF")
    return data.toString("latin1", 8, 12) === "WAVE";
  if (data.length >= 3 && data.toString("latin1", 0, 3) === "ID3") return true;
  return data.length >= 2 && data[0] === 0xff && ((data[1] ?? 0) & 0xe0) === 0xe0;
}
