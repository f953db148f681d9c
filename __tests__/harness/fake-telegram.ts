/**
 * In-process fake of the Telegram Bot API for integration tests.
 *
 * Serves `{url}/bot<token>/<method>` and `{url}/file/bot<token>/<file_path>` on
 * 127.0.0.1 with a random port, keeps users' updates in a queue for `getUpdates`,
 * records every request and reproduces the server-side rules a bot must cope with:
 * HTML entity parsing and its errors, length limits, "message is not modified",
 * flood control (per chat, per group, overall; 429 + retry_after), blocked users and long-poll conflicts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { parseRichMessage, type RichJson, RichMessageError } from "./fake-rich.js";
import { FloodControl, FloodError, type FloodOptions } from "./flood-control.js";

/** A Telegram user as it appears in `from` of an incoming message. */
export interface TgUser {
  id: number;
  first_name: string;
  username?: string;
  language_code?: string;
  is_bot?: boolean;
}

/** A chat as it appears in `chat` of a message. Negative ids are groups. */
export interface TgChat {
  id: number;
  type: "private" | "group" | "supergroup";
  title?: string;
}

/** A text message the bot sent, as the fake stored it (reflecting later edits). */
export interface SentMessage {
  chatId: number;
  messageId: number;
  /** Plain text after entity parsing; the current text when the message was edited. */
  text: string;
  /** Raw text as sent (current after edits) when `parse_mode` was HTML. */
  html?: string;
  parseMode?: string;
  replyTo?: number;
  /** The blocks of a rich message (`text` is then what they read as). */
  rich?: RichJson[];
  /** How many successful `editMessageText` calls changed this message. */
  edits: number;
  /** `Date.now()` when the message was first sent. */
  sentAt: number;
}

/** One Bot API call received by the fake, with the answer it gave. */
export interface RecordedRequest {
  /** Method name as spelled by the client (the canonical spelling for known methods). */
  method: string;
  /** Merged query, body and form fields; uploaded files appear as `{ filename, size, mimeType }`. */
  params: Record<string, unknown>;
  /** HTTP status of the answer; 0 while the request is still in flight (long polls). */
  status: number;
  /** `Date.now()` when the request arrived. */
  at: number;
  /** The error description, for failed requests. */
  description?: string;
}

/** A message entity as produced by the HTML parser (offsets in UTF-16 code units). */
export interface TgEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
  custom_emoji_id?: string;
}

/** Options of {@link FakeTelegram.start}. */
export interface FakeTelegramOptions {
  /** Bot token the fake accepts; anything else gets 401. */
  token?: string;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  botId?: number;
  botUsername?: string;
  /**
   * Flood control: `false` disables it; `true`/omitted applies Telegram's limits
   * (see {@link FloodOptions}: 1/s per chat after a burst of 3, 20/min per group,
   * 30/s overall, retry after 30 s); an object overrides some of them.
   */
  flood?: boolean | FloodOptions;
  /**
   * Whether `sendMessageDraft` exists (default true, as on api.telegram.org since Bot API 9.3);
   * `false` answers it like any unknown method, 404 "Not Found", as an older self-hosted
   * Bot API server does.
   */
  drafts?: boolean;
  /** The first update's `update_id` (default 100000); a new Bot API server starts its own sequence. */
  firstUpdateId?: number;
  /**
   * Whether rich messages exist (default true, Bot API 10.1): `false` answers
   * `sendRichMessage` and `sendRichMessageDraft` 404 "Not Found: method not
   * found" and ignores `rich_message` in `editMessageText`, as an older
   * self-hosted Bot API server does.
   */
  richMessages?: boolean;
}

/** One `sendMessageDraft` frame the bot showed. */
export interface DraftFrame {
  chatId: number;
  draftId: number;
  /** Plain text after entity parsing ("" shows Telegram's "Thinking…" placeholder). */
  text: string;
  html?: string;
  /** The blocks of a rich draft (`sendRichMessageDraft`). */
  rich?: RichJson[];
  canStop: boolean;
  keepOnStop: boolean;
  at: number;
}

/** How the bot answered a button press (`answerCallbackQuery`). */
export interface CallbackAnswer {
  queryId: string;
  text?: string;
  showAlert: boolean;
}

/** A failure to inject with {@link FakeTelegram.failNext}. */
export interface InjectedFailure {
  status: number;
  description: string;
  retryAfter?: number;
  /** Only calls whose parameters match consume this failure (default: every call). */
  when?: (params: Readonly<Record<string, unknown>>) => boolean;
  /**
   * The call takes effect first and the error comes after, as with a 5xx or a timeout
   * after delivery, or a "message is not modified" for an edit that already shows
   * its text (default: the call fails before it has any effect).
   */
  afterEffect?: boolean;
}

type Params = Record<string, unknown>;
type Update = { update_id: number } & Record<string, unknown>;
type Handler = (params: Params, signal: AbortSignal) => unknown;

const FIRST_UPDATE_ID = 100_000;
const MAX_TEXT = 4096;
const MAX_CAPTION = 1024;
const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;
const BOT_FIRST_NAME = "Ollama Test Bot";
const CHAT_ACTIONS = new Set([
  "typing",
  "upload_photo",
  "record_video",
  "upload_video",
  "record_voice",
  "upload_voice",
  "upload_document",
  "choose_sticker",
  "find_location",
  "record_video_note",
  "upload_video_note",
]);

/** An error answered as `{ ok: false, error_code, description, parameters? }`. */
class TgError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly retryAfter?: number,
  ) {
    super(description);
  }
}

const badRequest = (what: string): TgError => new TgError(400, `Bad Request: ${what}`);
const tooMany = (seconds: number): TgError =>
  new TgError(429, `Too Many Requests: retry after ${seconds}`, seconds);

/** An uploaded multipart file field. */
class FilePart {
  constructor(
    readonly filename: string,
    readonly bytes: Buffer,
    readonly mimeType: string,
  ) {}
}

// ---------------------------------------------------------------------------
// Telegram HTML parsing (mirrors tdlib's parse_html, strict about stray "&")
// ---------------------------------------------------------------------------

const SUPPORTED_TAGS = new Set([
  "a",
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "span",
  "tg-spoiler",
  "code",
  "pre",
  "blockquote",
  "tg-emoji",
]);

const TAG_ENTITY: Record<string, string> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  span: "spoiler",
  "tg-spoiler": "spoiler",
  code: "code",
  pre: "pre",
};

const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

interface OpenTag {
  name: string;
  offset: number;
  attributes: Map<string, string>;
  language?: string;
}

const isSpace = (ch: string | undefined): boolean =>
  ch === " " || ch === "\t" || ch === "\n" || ch === "\r" || ch === "\v" || ch === "\f";

/** Decodes the HTML entity starting at `start` ("&"); `undefined` when it is not one. */
function decodeEntity(src: string, start: number): { value: string; end: number } | undefined {
  const match = /^&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,8})|([a-zA-Z]+));?/.exec(
    src.slice(start, start + 16),
  );
  if (!match) return undefined;
  const [whole, dec, hex, name] = match;
  if (name !== undefined) {
    const value = NAMED_ENTITIES[name];
    return value === undefined ? undefined : { value, end: start + whole.length };
  }
  const code = dec !== undefined ? Number.parseInt(dec, 10) : Number.parseInt(hex ?? "", 16);
  const valid = code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
  return valid ? { value: String.fromCodePoint(code), end: start + whole.length } : undefined;
}

/** Parses Telegram-flavoured HTML into plain text and entities, or throws a 400 TgError. */
class HtmlParser {
  private i = 0;
  private out = "";
  private readonly stack: OpenTag[] = [];
  private readonly entities: TgEntity[] = [];

  constructor(private readonly src: string) {}

  parse(): { text: string; entities: TgEntity[] } {
    while (this.i < this.src.length) {
      const ch = this.src[this.i];
      if (ch === "&") this.entity();
      else if (ch !== "<") {
        this.out += ch;
        this.i++;
      } else if (this.src[this.i + 1] === "/") this.endTag();
      else this.startTag();
    }
    const open = this.stack.at(-1);
    if (open) this.fail(`Can't find end tag corresponding to start tag "${open.name}"`);
    this.entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
    return { text: this.out, entities: this.entities };
  }

  private fail(message: string): never {
    throw badRequest(`can't parse entities: ${message}`);
  }

  private byteOffset(index: number): number {
    return Buffer.byteLength(this.src.slice(0, index), "utf8");
  }

  private entity(): void {
    const decoded = decodeEntity(this.src, this.i);
    if (!decoded) {
      this.fail(
        `Character "&" at byte offset ${this.byteOffset(this.i)} must start an HTML entity (use &amp;)`,
      );
    }
    this.out += decoded.value;
    this.i = decoded.end;
  }

  private startTag(): void {
    const begin = this.i;
    let j = begin + 1;
    while (j < this.src.length && !isSpace(this.src[j]) && this.src[j] !== ">") j++;
    if (j >= this.src.length)
      this.fail(`Unclosed start tag at byte offset ${this.byteOffset(begin)}`);
    const name = this.src.slice(begin + 1, j).toLowerCase();
    if (!SUPPORTED_TAGS.has(name)) {
      this.fail(`Unsupported start tag "${name}" at byte offset ${this.byteOffset(begin)}`);
    }
    this.i = j;
    const attributes = this.attributes(name, begin);
    if (name === "span" && attributes.get("class") !== "tg-spoiler") {
      this.fail(`Tag "span" must have class "tg-spoiler" at byte offset ${this.byteOffset(begin)}`);
    }
    this.stack.push({ name, offset: this.out.length, attributes });
  }

  /** Reads attributes up to and including the closing ">" of a start tag. */
  private attributes(tag: string, begin: number): Map<string, string> {
    const attributes = new Map<string, string>();
    const unclosed = (): never =>
      this.fail(`Unclosed start tag at byte offset ${this.byteOffset(begin)}`);
    for (;;) {
      while (isSpace(this.src[this.i])) this.i++;
      if (this.i >= this.src.length) unclosed();
      if (this.src[this.i] === ">") break;
      const nameStart = this.i;
      while (
        this.i < this.src.length &&
        !isSpace(this.src[this.i]) &&
        !"=>".includes(this.src[this.i] ?? "")
      )
        this.i++;
      const name = this.src.slice(nameStart, this.i).toLowerCase();
      if (name === "")
        this.fail(
          `Empty attribute name in the tag "${tag}" at byte offset ${this.byteOffset(begin)}`,
        );
      while (isSpace(this.src[this.i])) this.i++;
      if (this.src[this.i] !== "=") {
        if (tag === "blockquote" && name === "expandable") {
          attributes.set(name, "");
          continue;
        }
        this.fail(
          `Expected equal sign in declaration of an attribute of the tag "${tag}" at byte offset ${this.byteOffset(begin)}`,
        );
      }
      this.i++;
      while (isSpace(this.src[this.i])) this.i++;
      if (this.i >= this.src.length) unclosed();
      attributes.set(name, this.attributeValue());
      if (this.i >= this.src.length) unclosed();
    }
    this.i++;
    return attributes;
  }

  private attributeValue(): string {
    const quote = this.src[this.i];
    if (quote !== '"' && quote !== "'") {
      const start = this.i;
      while (/[a-zA-Z0-9.-]/.test(this.src[this.i] ?? "")) this.i++;
      const next = this.src[this.i];
      if (next !== undefined && !isSpace(next) && next !== ">") {
        this.fail(`Unexpected end of name token at byte offset ${this.byteOffset(start)}`);
      }
      return this.src.slice(start, this.i).toLowerCase();
    }
    this.i++;
    let value = "";
    while (this.i < this.src.length && this.src[this.i] !== quote) {
      const decoded = this.src[this.i] === "&" ? decodeEntity(this.src, this.i) : undefined;
      value += decoded ? decoded.value : this.src[this.i];
      this.i = decoded ? decoded.end : this.i + 1;
    }
    if (this.src[this.i] === quote) this.i++;
    return value;
  }

  private endTag(): void {
    const begin = this.i;
    const open = this.stack.at(-1);
    if (!open) this.fail(`Unexpected end tag at byte offset ${this.byteOffset(begin)}`);
    let j = begin + 2;
    while (j < this.src.length && !isSpace(this.src[j]) && this.src[j] !== ">") j++;
    const name = this.src.slice(begin + 2, j).toLowerCase();
    while (isSpace(this.src[j])) j++;
    if (this.src[j] !== ">") this.fail(`Unclosed end tag at byte offset ${this.byteOffset(begin)}`);
    if (name !== "" && name !== open.name) {
      this.fail(
        `Unmatched end tag at byte offset ${this.byteOffset(begin)}, expected "</${open.name}>", found "</${name}>"`,
      );
    }
    this.i = j + 1;
    this.stack.pop();
    this.close(open);
  }

  private close(tag: OpenTag): void {
    const length = this.out.length - tag.offset;
    const language = this.language(tag);
    const parent = this.stack.at(-1);
    if (tag.name === "code" && language !== undefined && parent?.name === "pre") {
      parent.language = language;
      return;
    }
    const entity = this.toEntity(tag, language);
    if (entity && length > 0) this.entities.push({ ...entity, offset: tag.offset, length });
  }

  private language(tag: OpenTag): string | undefined {
    const cls = tag.attributes.get("class");
    return tag.name === "code" && cls?.startsWith("language-") ? cls.slice(9) : undefined;
  }

  private toEntity(
    tag: OpenTag,
    language: string | undefined,
  ): Omit<TgEntity, "offset" | "length"> | undefined {
    switch (tag.name) {
      case "a": {
        const url = tag.attributes.get("href");
        return url ? { type: "text_link", url } : undefined;
      }
      case "blockquote":
        return { type: tag.attributes.has("expandable") ? "expandable_blockquote" : "blockquote" };
      case "tg-emoji": {
        const id = tag.attributes.get("emoji-id");
        return id ? { type: "custom_emoji", custom_emoji_id: id } : undefined;
      }
      case "pre":
        return tag.language ? { type: "pre", language: tag.language } : { type: "pre" };
      default: {
        const type = TAG_ENTITY[tag.name];
        if (!type) return undefined;
        return tag.name === "code" && language ? { type: "pre", language } : { type };
      }
    }
  }
}

/**
 * Parses a text in Telegram's HTML parse mode the way the Bot API does.
 * Throws a 400 `Bad Request: can't parse entities: ...` error for invalid markup.
 */
export function parseTelegramHtml(html: string): { text: string; entities: TgEntity[] } {
  return new HtmlParser(html).parse();
}

// ---------------------------------------------------------------------------
// Request parameters
// ---------------------------------------------------------------------------

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Parses multipart/form-data leniently. grammY writes headers like
 * `content-disposition:form-data;name="x";filename=a b.txt` (unquoted filename),
 * which undici's `Request.formData()` rejects, so parts are split by hand.
 */
function parseMultipart(contentType: string, body: Buffer): Params {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) throw badRequest("can't parse multipart/form-data: no boundary");
  const delimiter = Buffer.from(`--${boundary}`);
  const params: Params = {};
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    const start = pos + delimiter.length;
    const next = body.indexOf(delimiter, start);
    if (next === -1 || body.subarray(start, start + 2).toString("latin1") === "--") break;
    addPart(params, body.subarray(start, next));
    pos = next;
  }
  return resolveAttachments(params);
}

/** Adds one part (the bytes between two delimiters, CRLFs included) to `params`. */
function addPart(params: Params, raw: Buffer): void {
  const part = raw.subarray(raw.subarray(0, 2).toString("latin1") === "\r\n" ? 2 : 0);
  const headerEnd = part.indexOf("\r\n\r\n");
  if (headerEnd === -1) return;
  const headers = new Map<string, string>();
  for (const line of part.subarray(0, headerEnd).toString("utf8").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const end = part.length - (part.subarray(-2).toString("latin1") === "\r\n" ? 2 : 0);
  const content = part.subarray(headerEnd + 4, Math.max(headerEnd + 4, end));
  const disposition = dispositionParams(headers.get("content-disposition") ?? "");
  const name = disposition.get("name");
  if (name === undefined) return;
  const filename = disposition.get("filename");
  params[name] =
    filename === undefined
      ? content.toString("utf8")
      : new FilePart(filename, Buffer.from(content), headers.get("content-type") ?? "");
}

function dispositionParams(header: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of header.matchAll(/;\s*([A-Za-z*]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g)) {
    const key = (m[1] ?? "").toLowerCase();
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : (m[3] ?? "").trim();
    if (key === "filename*") {
      out.set("filename", decodeURIComponent(value.replace(/^[^']*'[^']*'/, "")));
    } else if (!(key === "filename" && out.has("filename"))) out.set(key, value);
  }
  return out;
}

/** Replaces `attach://<name>` values by the file part `<name>` (which is then dropped). */
function resolveAttachments(params: Params): Params {
  for (const [key, value] of Object.entries(params)) {
    if (typeof value !== "string" || !value.startsWith("attach://")) continue;
    const ref = value.slice("attach://".length);
    const file = params[ref];
    if (file instanceof FilePart) {
      params[key] = file;
      delete params[ref];
    }
  }
  return params;
}

function parseJson(body: Buffer): Params {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw badRequest("can't parse JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw badRequest("JSON object expected");
  }
  return { ...parsed };
}

function parseParams(req: IncomingMessage, url: URL, body: Buffer): Params {
  const params: Params = Object.fromEntries(url.searchParams);
  const contentType = req.headers["content-type"] ?? "";
  if (contentType.startsWith("application/json")) return { ...params, ...parseJson(body) };
  if (contentType.startsWith("multipart/form-data")) {
    return { ...params, ...parseMultipart(contentType, body) };
  }
  if (contentType.startsWith("application/x-www-form-urlencoded")) {
    return { ...params, ...Object.fromEntries(new URLSearchParams(body.toString("utf8"))) };
  }
  return params;
}

function intParam(params: Params, key: string): number | undefined {
  const value = params[key];
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) return Number(value);
  return undefined;
}

function strParam(params: Params, key: string): string | undefined {
  const value = params[key];
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** A structured parameter: objects are taken as-is, strings are JSON-decoded (form encodings). */
function jsonParam(params: Params, key: string): unknown {
  const value = params[key];
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(`can't parse ${key} JSON object`);
  }
}

function boolParam(params: Params, key: string): boolean {
  const value = params[key];
  return value === true || value === "true" || value === "1";
}

function summarize(params: Params): Params {
  const out: Params = {};
  for (const [key, value] of Object.entries(params)) {
    out[key] =
      value instanceof FilePart
        ? { filename: value.filename, size: value.bytes.length, mimeType: value.mimeType }
        : value;
  }
  return out;
}

/** Waits `ms`, or less when the caller hangs up (nobody is left to answer). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------
// The fake server
// ---------------------------------------------------------------------------

interface StoredMessage {
  chatId: number;
  messageId: number;
  /** Every callback_data this message has carried (a client may still show an old keyboard). */
  everData?: Set<string>;
  date: number;
  sentAt: number;
  text: string;
  html?: string;
  parseMode?: string;
  entities: TgEntity[];
  replyMarkup?: unknown;
  replyTo?: number;
  rich?: RichJson[];
  edits: number;
  editDate?: number;
  document?: StoredFile;
  caption?: string;
}

/** What a voice note or audio file may carry besides itself: a caption, its entities, a reply. */
interface VoiceExtra {
  caption?: string;
  caption_entities?: unknown[];
  reply_to_message?: unknown;
}

interface StoredFile {
  fileId: string;
  uniqueId: string;
  fileName: string;
  mimeType?: string;
  bytes: Buffer;
  path: string;
}

interface Poll {
  offset: number;
  limit: number;
  finish: (result: Update[] | TgError) => void;
}

interface Rendered {
  text: string;
  entities: TgEntity[];
  html?: string;
  parseMode?: string;
}

const unixNow = (): number => Math.floor(Date.now() / 1000);

/** An in-process fake Telegram Bot API server; create it with {@link FakeTelegram.start}. */
export class FakeTelegram {
  /** The accepted bot token. */
  readonly token: string;
  /** Base URL (no trailing slash), e.g. `http://127.0.0.1:1234`; use as grammY's `apiRoot`. */
  readonly url: string;
  readonly botId: number;
  readonly botUsername: string;

  private readonly server: Server;
  private flood: FloodControl | undefined;
  private readonly handlers = new Map<string, { name: string; run: Handler }>();
  private nextUpdateId = FIRST_UPDATE_ID;
  private nextFileNo = 1;
  private queue: Update[] = [];
  private poll: Poll | undefined;
  private recorded: RecordedRequest[] = [];
  private messages = new Map<number, StoredMessage[]>();
  private readonly messageCounters = new Map<number, number>();
  private readonly chats = new Map<number, Record<string, unknown>>();
  private files = new Map<string, StoredFile>();
  private downloads: string[] = [];
  private blocked = new Set<number>();
  private failures = new Map<string, InjectedFailure[]>();
  private hangs = new Map<string, { ms: number; afterEffect: boolean }[]>();
  private myCommands: { command: string; description: string }[] = [];
  private webhookUrl: string | undefined;
  /** The update types the last `allowed_updates` asked for; all when unset. */
  private allowedUpdates: Set<string> | undefined;
  private webhookSecret: string | undefined;
  private readonly draftsEnabled: boolean;
  private richEnabled: boolean;
  private draftFrames: DraftFrame[] = [];
  /** Presses not answered yet, by query id. */
  private openQueries = new Map<string, { from: number }>();
  private answers: CallbackAnswer[] = [];
  private nextQueryNo = 1;

  private constructor(server: Server, options: FakeTelegramOptions) {
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    this.token = options.token ?? "123456:TEST-fake-telegram-token";
    this.botId = options.botId ?? 777000111;
    this.botUsername = options.botUsername ?? "ollama_test_bot";
    this.setFlood(options.flood ?? true);
    this.draftsEnabled = options.drafts ?? true;
    this.nextUpdateId = options.firstUpdateId ?? FIRST_UPDATE_ID;
    this.richEnabled = options.richMessages ?? true;
    this.registerHandlers();
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        respond(res, 500, {
          ok: false,
          error_code: 500,
          description: `Internal Server Error: ${String(error)}`,
        });
      });
    });
  }

  /** Starts a fake on 127.0.0.1 with a random free port. */
  static async start(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      // Only the opt-in LocalStack test listens beyond loopback (Lambda containers call back in).
      server.listen(0, options.host ?? "127.0.0.1", () => resolve());
    });
    return new FakeTelegram(server, options);
  }

  // ---- test-side API -------------------------------------------------------

  /**
   * Queues a text message from `from` in `chat`; returns its update_id. A leading
   * `/command[@bot]` gets a `bot_command` entity unless `extra.entities` has one at offset 0.
   */
  pushText(
    from: TgUser,
    chat: TgChat,
    text: string,
    extra: { entities?: unknown[]; reply_to_message?: unknown } = {},
  ): number {
    const entities = [...(extra.entities ?? [])];
    const command = /^\/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?/.exec(text);
    const hasCommand = entities.some(
      (e) => isRecord(e) && e.type === "bot_command" && e.offset === 0,
    );
    if (command && !hasCommand)
      entities.unshift({ type: "bot_command", offset: 0, length: command[0].length });
    const message: Record<string, unknown> = { ...this.userMessage(from, chat), text };
    if (entities.length > 0) message.entities = entities;
    if (extra.reply_to_message !== undefined) message.reply_to_message = extra.reply_to_message;
    return this.pushUpdate({ message });
  }

  /** Queues a raw update (adding `update_id` when missing); returns its update_id. */
  pushUpdate(update: Record<string, unknown>): number {
    const given = typeof update.update_id === "number" ? update.update_id : undefined;
    const updateId = given ?? this.nextUpdateId;
    this.nextUpdateId = Math.max(this.nextUpdateId, updateId + 1);
    this.noteMessage(update.message);
    this.queue.push({ ...update, update_id: updateId });
    this.wakePoll();
    return updateId;
  }

  /** Queues a document message; the file becomes downloadable through getFile. */
  pushDocument(
    from: TgUser,
    chat: TgChat,
    file: {
      fileName: string;
      content: Uint8Array | string;
      mimeType?: string;
      /** Leaves out `file_size` (optional in the Bot API's Document). */
      withoutSize?: boolean;
    },
    caption?: string,
  ): number {
    const stored = this.storeFile(file.fileName, Buffer.from(file.content), file.mimeType);
    const document = documentJson(stored);
    if (file.withoutSize) delete document.file_size;
    const message: Record<string, unknown> = { ...this.userMessage(from, chat), document };
    if (caption !== undefined) message.caption = caption;
    return this.pushUpdate({ message });
  }

  /**
   * Queues a photo message: `sizes` smallest first, as Telegram sends them,
   * each one a file of its own (with `file_size`) that getFile serves.
   */
  pushPhoto(
    from: TgUser,
    chat: TgChat,
    sizes: readonly { width: number; height: number; content: Uint8Array }[],
    extra: { caption?: string; caption_entities?: unknown[]; reply_to_message?: unknown } = {},
  ): number {
    const photo = sizes.map((size) => {
      const stored = this.storeFile("photo.jpg", Buffer.from(size.content), undefined, "photos");
      return {
        file_id: stored.fileId,
        file_unique_id: stored.uniqueId,
        file_size: stored.bytes.length,
        width: size.width,
        height: size.height,
      };
    });
    const message: Record<string, unknown> = { ...this.userMessage(from, chat), photo };
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) message[k] = v;
    return this.pushUpdate({ message });
  }

  /**
   * Queues a voice note (`message.voice`): `seconds` long, `audio/ogg` (OGG/Opus,
   * as Telegram's apps record them) unless `mimeType` says otherwise. Its file
   * becomes downloadable through getFile (refused there over 20 MB, as Telegram does).
   */
  pushVoice(
    from: TgUser,
    chat: TgChat,
    voice: { content: Uint8Array; seconds: number; mimeType?: string },
    extra: VoiceExtra = {},
  ): number {
    const stored = this.storeFile("voice.oga", Buffer.from(voice.content), undefined, "voice");
    const json = {
      file_id: stored.fileId,
      file_unique_id: stored.uniqueId,
      duration: voice.seconds,
      mime_type: voice.mimeType ?? "audio/ogg",
      file_size: stored.bytes.length,
    };
    return this.pushMedia(from, chat, { voice: json }, extra);
  }

  /**
   * Queues an audio file (`message.audio`: music or a recording sent as audio),
   * with its name, MIME type and duration; downloadable like a voice note.
   */
  pushAudio(
    from: TgUser,
    chat: TgChat,
    audio: { content: Uint8Array; seconds: number; fileName?: string; mimeType?: string },
    extra: VoiceExtra = {},
  ): number {
    const stored = this.storeFile(
      audio.fileName ?? "audio",
      Buffer.from(audio.content),
      audio.mimeType,
      "music",
    );
    const json = {
      file_id: stored.fileId,
      file_unique_id: stored.uniqueId,
      duration: audio.seconds,
      ...(audio.fileName !== undefined ? { file_name: audio.fileName } : {}),
      ...(audio.mimeType !== undefined ? { mime_type: audio.mimeType } : {}),
      file_size: stored.bytes.length,
    };
    return this.pushMedia(from, chat, { audio: json }, extra);
  }

  /** The file paths the bot downloaded (`/file/bot<token>/<path>`), oldest first. */
  fileDownloads(): string[] {
    return [...this.downloads];
  }

  private pushMedia(
    from: TgUser,
    chat: TgChat,
    media: Record<string, unknown>,
    extra: VoiceExtra,
  ): number {
    const message: Record<string, unknown> = { ...this.userMessage(from, chat), ...media };
    for (const [k, v] of Object.entries(extra)) if (v !== undefined) message[k] = v;
    return this.pushUpdate({ message });
  }

  /**
   * Queues a press of an inline button of the bot's message `messageId` in
   * `chat`, as `callback_query` with the message as it reads now. Only buttons
   * the message carries, or once carried (a client may still show an old
   * keyboard), can be pressed. Returns the update_id.
   */
  pushPress(from: TgUser, chat: TgChat, messageId: number, data: string): number {
    return this.pushUpdate(this.pressUpdate(from, chat, messageId, data));
  }

  /**
   * The `callback_query` update of a press (see {@link pushPress}) without
   * queueing it, for webhook deliveries; it gets the next update_id.
   */
  pressUpdate(
    from: TgUser,
    chat: TgChat,
    messageId: number,
    data: string,
  ): { update_id: number } & Record<string, unknown> {
    const message = this.messages.get(chat.id)?.find((m) => m.messageId === messageId);
    if (!message?.everData?.has(data))
      throw new Error(`message ${messageId} in chat ${chat.id} never had a button "${data}"`);
    const id = `${4_000_000_000 + this.nextQueryNo++}`;
    this.openQueries.set(id, { from: from.id });
    return {
      update_id: this.nextUpdateId++,
      callback_query: {
        id,
        from: { is_bot: false, ...from },
        message: this.messageJson(message),
        chat_instance: `${chat.id}`,
        data,
      },
    };
  }

  /**
   * Queues a press of Telegram's own Stop on the draft `draftId` shown to `user`
   * (`stopped_message_generation`); the draft must have been shown with `can_stop`.
   */
  pushDraftStop(user: TgUser, draftId: number): number {
    return this.pushUpdate(this.draftStopUpdate(user, draftId));
  }

  /** The update of {@link pushDraftStop} without queueing it (webhook deliveries). */
  draftStopUpdate(user: TgUser, draftId: number): { update_id: number } & Record<string, unknown> {
    const shown = this.draftFrames.some(
      (d) => d.chatId === user.id && d.draftId === draftId && d.canStop,
    );
    if (!shown) throw new Error(`no draft ${draftId} with a Stop button was shown to ${user.id}`);
    return {
      update_id: this.nextUpdateId++,
      stopped_message_generation: {
        chat: { id: user.id, type: "private", first_name: user.first_name },
        draft_id: draftId,
      },
    };
  }

  /** Draft frames the bot showed in `chatId`, in order. */
  drafts(chatId: number): DraftFrame[] {
    return this.draftFrames.filter((d) => d.chatId === chatId);
  }

  /** Answers the bot gave to button presses, in order. */
  callbackAnswers(): CallbackAnswer[] {
    return [...this.answers];
  }

  /** The inline buttons (callback_data) the bot's message carries now. */
  buttonsOf(chatId: number, messageId: number): string[] {
    const message = this.messages.get(chatId)?.find((m) => m.messageId === messageId);
    return callbackData(message?.replyMarkup);
  }

  /** Number of queued updates not yet confirmed by a getUpdates offset. */
  pendingUpdates(): number {
    return this.queue.length;
  }

  /**
   * Starts a new update id sequence at `firstId`, as Telegram does when a bot
   * had no updates for a week ("the identifier of the next update will be
   * chosen randomly instead of sequentially") or as another Bot API server's
   * own ids would. Every earlier update must be confirmed (or expired) first,
   * as it is after a quiet week.
   */
  restartUpdateIds(firstId: number): void {
    if (this.queue.length > 0)
      throw new Error(`restartUpdateIds: ${this.queue.length} updates are still unconfirmed`);
    this.nextUpdateId = firstId;
  }

  /** Text messages the bot sent to `chatId`, in send order, with their current text. */
  sentMessages(chatId: number): SentMessage[] {
    return (this.messages.get(chatId) ?? [])
      .filter((m) => m.document === undefined)
      .map((m) => ({
        chatId: m.chatId,
        messageId: m.messageId,
        text: m.text,
        ...(m.html !== undefined ? { html: m.html } : {}),
        ...(m.parseMode !== undefined ? { parseMode: m.parseMode } : {}),
        ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
        ...(m.rich !== undefined ? { rich: m.rich } : {}),
        edits: m.edits,
        sentAt: m.sentAt,
      }));
  }

  /** Documents the bot sent to `chatId`, in send order. */
  documents(chatId: number): { fileName: string; content: Buffer; caption?: string }[] {
    return (this.messages.get(chatId) ?? []).flatMap((m) =>
      m.document
        ? [
            {
              fileName: m.document.fileName,
              content: m.document.bytes,
              ...(m.caption !== undefined ? { caption: m.caption } : {}),
            },
          ]
        : [],
    );
  }

  /** Recorded Bot API requests, optionally only those of one method (case-insensitive). */
  requests(method?: string): RecordedRequest[] {
    const wanted = method?.toLowerCase();
    return this.recorded.filter((r) => wanted === undefined || r.method.toLowerCase() === wanted);
  }

  /** Commands stored by the last setMyCommands. */
  commands(): { command: string; description: string }[] {
    return this.myCommands.map((c) => ({ ...c }));
  }

  /** Marks the user of private chat `chatId` as having blocked the bot: sends get 403. */
  blockBy(chatId: number): void {
    this.blocked.add(chatId);
  }

  /** Makes the next `times` calls of `method` fail with the given error. */
  failNext(method: string, failure: InjectedFailure, times = 1): void {
    const key = method.toLowerCase();
    const queue = this.failures.get(key) ?? [];
    for (let n = 0; n < times; n++) queue.push(failure);
    this.failures.set(key, queue);
  }

  /**
   * Delays the next `times` calls of `method` by `ms` before they are processed,
   * or with `afterEffect` after: the message is delivered and only the answer
   * hangs, as when a connection stalls after Telegram acted. A caller that gives
   * up ends the wait.
   */
  hang(method: string, ms: number, times = 1, options: { afterEffect?: boolean } = {}): void {
    const key = method.toLowerCase();
    const queue = this.hangs.get(key) ?? [];
    for (let n = 0; n < times; n++) queue.push({ ms, afterEffect: options.afterEffect ?? false });
    this.hangs.set(key, queue);
  }

  /** Replaces the flood limits (state starts afresh): `false` turns them off. */
  setFlood(flood: boolean | FloodOptions): void {
    this.flood = flood === false ? undefined : new FloodControl(flood === true ? {} : flood);
  }

  /** Turns rich messages on (Bot API 10.1) or off (an older server: the methods answer 404). */
  setRichMessages(enabled: boolean): void {
    this.richEnabled = enabled;
  }

  /** Sets (or with `undefined` removes) the webhook, as if setWebhook had been called. */
  setWebhook(url: string | undefined): void {
    this.webhookUrl = url === "" ? undefined : url;
    if (this.webhookUrl === undefined) this.webhookSecret = undefined;
  }

  /** The webhook secret_token set through the API, if any. */
  webhookSecretToken(): string | undefined {
    return this.webhookSecret;
  }

  /**
   * Clears recorded requests, sent messages, documents, queued updates, injected
   * failures and hangs, blocks, commands, webhook and flood state. Update and message
   * id counters keep counting.
   */
  reset(): void {
    this.recorded = [];
    this.messages = new Map();
    this.files = new Map();
    this.downloads = [];
    this.queue = [];
    this.blocked = new Set();
    this.failures = new Map();
    this.hangs = new Map();
    this.myCommands = [];
    this.webhookUrl = undefined;
    this.webhookSecret = undefined;
    this.allowedUpdates = undefined;
    this.draftFrames = [];
    this.openQueries = new Map();
    this.answers = [];
    this.flood?.reset();
  }

  /** Answers a pending long poll with no updates and stops the server. */
  async close(): Promise<void> {
    this.poll?.finish([]);
    this.poll = undefined;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- what a client shows (npm run demo's chat page) ----------------------

  /**
   * The bot's messages in `chatId` as a Telegram client receives them (Bot API
   * `Message` objects: text with entities or a document, and the inline
   * keyboard), in send order, current after edits.
   */
  chatMessages(chatId: number): Record<string, unknown>[] {
    return (this.messages.get(chatId) ?? []).map((m) => this.messageJson(m));
  }

  /**
   * Calls `listener` each time a Bot API call has been answered (what a client
   * shows may have changed); returns the function that stops the calls.
   */
  onAnswered(listener: () => void): () => void {
    const onRequest = (_req: IncomingMessage, res: ServerResponse) => res.once("finish", listener);
    this.server.on("request", onRequest);
    return () => this.server.off("request", onRequest);
  }

  // ---- HTTP ----------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const body = await readBody(req);
    if (url.pathname.startsWith("/file/")) return this.serveFile(url.pathname, res);
    const match = /^\/bot([^/]*)\/([^/]*)$/.exec(url.pathname);
    const record: RecordedRequest = {
      method: match?.[2] ?? url.pathname,
      params: {},
      status: 0,
      at: Date.now(),
    };
    this.recorded.push(record);
    const aborted = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) aborted.abort();
    });
    try {
      if (!match) throw new TgError(404, "Not Found");
      const params = parseParams(req, url, body);
      record.params = summarize(params);
      const result = await this.dispatch(match[1] ?? "", record, params, aborted.signal);
      record.status = 200;
      respond(res, 200, { ok: true, result });
    } catch (error) {
      const failure =
        error instanceof TgError
          ? error
          : new TgError(500, `Internal Server Error: ${String(error)}`);
      record.status = failure.code;
      record.description = failure.description;
      respond(res, failure.code, errorBody(failure));
    }
  }

  private async dispatch(
    token: string,
    record: RecordedRequest,
    params: Params,
    signal: AbortSignal,
  ): Promise<unknown> {
    if (token !== this.token) throw new TgError(401, "Unauthorized");
    const key = record.method.toLowerCase();
    const handler = this.handlers.get(key);
    if (!handler) throw new TgError(404, "Not Found");
    record.method = handler.name;
    const delay = this.hangs.get(key)?.shift();
    if (delay && !delay.afterEffect) await pause(delay.ms, signal);
    const queue = this.failures.get(key) ?? [];
    const at = queue.findIndex((f) => !f.when || f.when(params));
    const failure = at >= 0 ? queue.splice(at, 1)[0] : undefined;
    if (failure && !failure.afterEffect)
      throw new TgError(failure.status, failure.description, failure.retryAfter);
    const result = await handler.run(params, signal);
    if (delay?.afterEffect) await pause(delay.ms, signal);
    if (failure) throw new TgError(failure.status, failure.description, failure.retryAfter);
    return result;
  }

  private serveFile(pathname: string, res: ServerResponse): void {
    const prefix = `/file/bot${this.token}/`;
    const path = pathname.startsWith(prefix)
      ? decodeURIComponent(pathname.slice(prefix.length))
      : undefined;
    const file = [...this.files.values()].find((f) => f.path === path);
    if (!file) {
      respond(res, 404, { ok: false, error_code: 404, description: "Not Found" });
      return;
    }
    this.downloads.push(file.path);
    res.writeHead(200, {
      "content-type": file.mimeType ?? "application/octet-stream",
      "content-length": file.bytes.length,
    });
    res.end(file.bytes);
  }

  private registerHandlers(): void {
    const table: Record<string, Handler> = {
      getMe: () => this.botUser(),
      getUpdates: (p, signal) => this.getUpdates(p, signal),
      sendMessage: (p) => this.sendMessage(p),
      editMessageText: (p) =>
        this.richEnabled && p.rich_message !== undefined
          ? this.editRich(p)
          : this.editMessageText(p),
      sendRichMessage: (p) => this.sendRichMessage(p),
      sendRichMessageDraft: (p) => this.sendRichMessageDraft(p),
      sendChatAction: (p) => this.sendChatAction(p),
      ...(this.draftsEnabled ? { sendMessageDraft: (p: Params) => this.sendMessageDraft(p) } : {}),
      answerCallbackQuery: (p) => this.answerCallbackQuery(p),
      sendDocument: (p) => this.sendDocument(p),
      getFile: (p) => this.getFile(p),
      setMyCommands: (p) => this.setMyCommands(p),
      getMyCommands: () => this.commands(),
      deleteMyCommands: () => {
        this.myCommands = [];
        return true;
      },
      setWebhook: (p) => this.apiSetWebhook(p),
      deleteWebhook: (p) => this.deleteWebhook(p),
      getWebhookInfo: () => this.webhookInfo(),
    };
    for (const [name, run] of Object.entries(table))
      this.handlers.set(name.toLowerCase(), { name, run });
  }

  // ---- updates -------------------------------------------------------------

  private getUpdates(params: Params, signal: AbortSignal): Update[] | Promise<Update[]> {
    if (this.webhookUrl !== undefined) {
      throw new TgError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    const offset = intParam(params, "offset") ?? 0;
    const limit = Math.min(100, Math.max(1, intParam(params, "limit") ?? 100));
    const timeout = Math.max(0, intParam(params, "timeout") ?? 0);
    // Like Telegram: the list sticks until a call sends another; an empty list means the default.
    const allowed = jsonParam(params, "allowed_updates");
    if (Array.isArray(allowed))
      this.allowedUpdates = allowed.length > 0 ? new Set(allowed.map(String)) : undefined;
    this.confirm(this.from(offset));
    this.poll?.finish(
      new TgError(
        409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
      ),
    );
    this.poll = undefined;
    const ready = this.select(offset, limit);
    if (ready.length > 0 || timeout === 0) return ready;
    return this.longPoll(offset, limit, timeout, signal);
  }

  private longPoll(
    offset: number,
    limit: number,
    timeout: number,
    signal: AbortSignal,
  ): Promise<Update[]> {
    return new Promise((resolve, reject) => {
      const poll: Poll = {
        offset,
        limit,
        finish: (result) => {
          clearTimeout(timer);
          if (this.poll === poll) this.poll = undefined;
          if (result instanceof TgError) reject(result);
          else resolve(result);
        },
      };
      const timer = setTimeout(() => poll.finish([]), timeout * 1000);
      signal.addEventListener("abort", () => poll.finish([]), { once: true });
      this.poll = poll;
    });
  }

  /**
   * Where a `getUpdates` offset really starts, by tdlib's `TQueue::get` (which
   * the Bot API server uses): an offset more than 10 beyond the queue's tail
   * is "in the future" and one over 2,000,000 below it "in the past"; both
   * confirm nothing and are answered from the queue's head, as 0 is. So after
   * Telegram restarts its ids lower, an old offset sees the new updates, and
   * keeps seeing them until the bot confirms them with an offset of their own.
   */
  private from(offset: number): number {
    const tail = this.nextUpdateId;
    const inRange = offset <= tail + 10 && offset >= tail - 2_000_000;
    return offset > 0 && !inRange ? 0 : offset;
  }

  private confirm(offset: number): void {
    if (offset > 0) this.queue = this.queue.filter((u) => u.update_id >= offset);
    else if (offset < 0) this.queue = this.queue.slice(offset);
  }

  private select(asked: number, limit: number): Update[] {
    const allowed = this.allowedUpdates;
    const offset = this.from(asked);
    return this.queue
      .filter((u) => offset <= 0 || u.update_id >= offset)
      .filter((u) => !allowed || Object.keys(u).some((k) => k !== "update_id" && allowed.has(k)))
      .slice(0, limit);
  }

  private wakePoll(): void {
    const poll = this.poll;
    if (!poll) return;
    const ready = this.select(poll.offset, poll.limit);
    if (ready.length > 0) poll.finish(ready);
  }

  // ---- messages ------------------------------------------------------------

  private sendMessage(params: Params): unknown {
    const chatId = this.targetChat(params);
    const rendered = this.render(strParam(params, "text") ?? "", strParam(params, "parse_mode"));
    checkText(rendered.text, MAX_TEXT, "message text is empty", "message is too long");
    const message: StoredMessage = {
      ...this.newMessage(chatId, this.replyTarget(params, chatId)),
      ...rendered,
      replyMarkup: jsonParam(params, "reply_markup"),
    };
    noteButtons(message);
    this.store(message);
    return this.messageJson(message);
  }

  private editMessageText(params: Params): unknown {
    if (params.inline_message_id !== undefined)
      throw badRequest("inline messages are not supported by the fake");
    const chatId = this.targetChat(params);
    const message = this.editableMessage(chatId, intParam(params, "message_id"));
    const rendered = this.render(strParam(params, "text") ?? "", strParam(params, "parse_mode"));
    checkText(rendered.text, MAX_TEXT, "message text is empty", "message is too long");
    const replyMarkup = jsonParam(params, "reply_markup");
    if (
      rendered.text === message.text &&
      JSON.stringify(rendered.entities) === JSON.stringify(message.entities) &&
      JSON.stringify(replyMarkup) === JSON.stringify(message.replyMarkup)
    ) {
      throw badRequest(
        "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
      );
    }
    message.text = rendered.text;
    message.entities = rendered.entities;
    message.html = rendered.html;
    message.parseMode = rendered.parseMode;
    message.replyMarkup = replyMarkup;
    noteButtons(message);
    message.edits++;
    message.editDate = unixNow();
    this.flood?.count(chatId);
    return this.messageJson(message);
  }

  private editableMessage(chatId: number, messageId: number | undefined): StoredMessage {
    if (messageId === undefined) throw badRequest("message identifier is not specified");
    const message = this.messages.get(chatId)?.find((m) => m.messageId === messageId);
    if (!message) {
      const existed = messageId > 0 && messageId <= (this.messageCounters.get(chatId) ?? 0);
      throw badRequest(existed ? "message can't be edited" : "message to edit not found");
    }
    if (message.document) throw badRequest("there is no text in the message to edit");
    return message;
  }

  private sendMessageDraft(params: Params): true {
    const chatId = this.targetChat(params);
    // Drafts exist in private chats only (user ids are positive, groups negative).
    if (chatId < 0) throw badRequest("TEXTDRAFT_PEER_INVALID");
    const draftId = intParam(params, "draft_id");
    if (draftId === undefined || draftId === 0) throw badRequest("draft_id must be non-zero");
    const rendered = this.render(strParam(params, "text") ?? "", strParam(params, "parse_mode"));
    if (rendered.text.length > MAX_TEXT) throw badRequest("message is too long");
    this.draftFrames.push({
      chatId,
      draftId,
      text: rendered.text,
      ...(rendered.html !== undefined ? { html: rendered.html } : {}),
      canStop: boolParam(params, "can_stop"),
      keepOnStop: boolParam(params, "keep_on_stop"),
      at: Date.now(),
    });
    this.flood?.count(chatId);
    return true;
  }

  // ---- rich messages (Bot API 10.1; parsing and limits in fake-rich.ts) -------

  /** An older Bot API server does not know the rich methods (tdlib's own answer). */
  private requireRich(): void {
    if (!this.richEnabled) throw new TgError(404, "Not Found: method not found");
  }

  /** The parsed `rich_message`, or the 400 Telegram answers. */
  private richParam(params: Params, draft: boolean): { blocks: RichJson[]; text: string } {
    try {
      return parseRichMessage(jsonParam(params, "rich_message"), draft);
    } catch (err) {
      if (err instanceof RichMessageError) throw badRequest(err.message);
      throw err;
    }
  }

  private sendRichMessage(params: Params): unknown {
    this.requireRich();
    const chatId = this.targetChat(params);
    const { blocks, text } = this.richParam(params, false);
    const message: StoredMessage = {
      ...this.newMessage(chatId, this.replyTarget(params, chatId)),
      text,
      entities: [],
      rich: blocks,
      replyMarkup: jsonParam(params, "reply_markup"),
    };
    noteButtons(message);
    this.store(message);
    return this.messageJson(message);
  }

  private editRich(params: Params): unknown {
    const chatId = this.targetChat(params);
    const message = this.editableMessage(chatId, intParam(params, "message_id"));
    const { blocks, text } = this.richParam(params, false);
    const replyMarkup = jsonParam(params, "reply_markup");
    if (
      JSON.stringify(blocks) === JSON.stringify(message.rich) &&
      JSON.stringify(replyMarkup) === JSON.stringify(message.replyMarkup)
    ) {
      throw badRequest(
        "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
      );
    }
    Object.assign(message, {
      text,
      entities: [],
      rich: blocks,
      replyMarkup,
      edits: message.edits + 1,
    });
    delete message.html;
    delete message.parseMode;
    noteButtons(message);
    message.editDate = unixNow();
    this.flood?.count(chatId);
    return this.messageJson(message);
  }

  private sendRichMessageDraft(params: Params): true {
    this.requireRich();
    const chatId = this.targetChat(params);
    if (chatId < 0) throw badRequest("TEXTDRAFT_PEER_INVALID");
    const draftId = intParam(params, "draft_id");
    if (draftId === undefined || draftId === 0) throw badRequest("draft_id must be non-zero");
    const { blocks, text } = this.richParam(params, true);
    this.draftFrames.push({
      chatId,
      draftId,
      text,
      rich: blocks,
      canStop: boolParam(params, "can_stop"),
      keepOnStop: boolParam(params, "keep_on_stop"),
      at: Date.now(),
    });
    this.flood?.count(chatId);
    return true;
  }

  private answerCallbackQuery(params: Params): true {
    const queryId = strParam(params, "callback_query_id") ?? "";
    if (!this.openQueries.delete(queryId))
      throw badRequest("query is too old and response timeout expired or query ID is invalid");
    const text = strParam(params, "text");
    if (text !== undefined && text.length > 200) throw badRequest("MESSAGE_TOO_LONG");
    this.answers.push({
      queryId,
      ...(text !== undefined ? { text } : {}),
      showAlert: boolParam(params, "show_alert"),
    });
    return true;
  }

  private sendChatAction(params: Params): true {
    const chatId = this.targetChat(params, false);
    const action = strParam(params, "action") ?? "";
    if (!CHAT_ACTIONS.has(action)) throw badRequest("wrong parameter action in request");
    try {
      this.flood?.checkAction(chatId);
    } catch (err) {
      if (err instanceof FloodError) throw tooMany(err.retryAfter);
      throw err;
    }
    return true;
  }

  private sendDocument(params: Params): unknown {
    const chatId = this.targetChat(params);
    const file = this.documentParam(params.document);
    const caption = strParam(params, "caption");
    const rendered =
      caption === undefined ? undefined : this.render(caption, strParam(params, "parse_mode"));
    if (rendered && rendered.text.length > MAX_CAPTION)
      throw badRequest("message caption is too long");
    const message: StoredMessage = {
      ...this.newMessage(chatId, this.replyTarget(params, chatId)),
      text: "",
      entities: rendered?.entities ?? [],
      document: file,
      ...(rendered ? { caption: rendered.text } : {}),
    };
    this.store(message);
    return this.messageJson(message);
  }

  private documentParam(value: unknown): StoredFile {
    if (value instanceof FilePart) {
      return this.storeFile(value.filename || "document", value.bytes, value.mimeType || undefined);
    }
    if (value === undefined || value === "")
      throw badRequest("there is no document in the request");
    const known = typeof value === "string" ? this.files.get(value) : undefined;
    if (!known) throw badRequest("wrong file identifier/HTTP URL specified");
    return known;
  }

  private getFile(params: Params): unknown {
    const file = this.files.get(strParam(params, "file_id") ?? "");
    if (!file) throw badRequest("invalid file_id");
    // Bots may download files of up to 20 MB; Telegram refuses getFile for bigger ones.
    if (file.bytes.length > MAX_DOWNLOAD_BYTES) throw badRequest("file is too big");
    return {
      file_id: file.fileId,
      file_unique_id: file.uniqueId,
      file_size: file.bytes.length,
      file_path: file.path,
    };
  }

  // ---- commands and webhook ------------------------------------------------

  private setMyCommands(params: Params): true {
    const commands = jsonParam(params, "commands");
    if (!Array.isArray(commands)) throw badRequest('parameter "commands" is required');
    if (commands.length > 100) throw badRequest("BOT_COMMANDS_TOO_MUCH");
    this.myCommands = commands.map(parseCommand);
    return true;
  }

  private apiSetWebhook(params: Params): true {
    const url = strParam(params, "url") ?? "";
    const secret = strParam(params, "secret_token");
    if (secret !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(secret)) {
      throw badRequest("secret token contains unallowed characters");
    }
    if (url !== "" && !/^https?:\/\//.test(url))
      throw badRequest("bad webhook: An HTTPS URL must be provided for webhook");
    if (boolParam(params, "drop_pending_updates")) this.queue = [];
    this.setWebhook(url);
    this.webhookSecret = url === "" ? undefined : secret;
    return true;
  }

  private deleteWebhook(params: Params): true {
    if (boolParam(params, "drop_pending_updates")) this.queue = [];
    this.setWebhook(undefined);
    return true;
  }

  private webhookInfo(): unknown {
    return {
      url: this.webhookUrl ?? "",
      has_custom_certificate: false,
      pending_update_count: this.queue.length,
    };
  }

  // ---- helpers ---------------------------------------------------------------

  private botUser(): Record<string, unknown> {
    return { id: this.botId, is_bot: true, first_name: BOT_FIRST_NAME, username: this.botUsername };
  }

  /** Resolves `chat_id`, then applies the blocked-user and (optionally) flood rules. */
  private targetChat(params: Params, counted = true): number {
    const raw = params.chat_id;
    if (raw === undefined || raw === "") throw badRequest("chat_id is empty");
    const chatId = intParam(params, "chat_id");
    if (chatId === undefined || chatId === 0) throw badRequest("chat not found");
    if (this.blocked.has(chatId)) throw new TgError(403, "Forbidden: bot was blocked by the user");
    try {
      if (counted) this.flood?.check(chatId);
    } catch (err) {
      if (err instanceof FloodError) throw tooMany(err.retryAfter);
      throw err;
    }
    return chatId;
  }

  private replyTarget(params: Params, chatId: number): number | undefined {
    const reply = jsonParam(params, "reply_parameters");
    const legacy = intParam(params, "reply_to_message_id");
    const id = isRecord(reply) && typeof reply.message_id === "number" ? reply.message_id : legacy;
    if (id === undefined) return undefined;
    const exists = id > 0 && id <= (this.messageCounters.get(chatId) ?? 0);
    const lenient = isRecord(reply) && reply.allow_sending_without_reply === true;
    if (!exists && !lenient && !boolParam(params, "allow_sending_without_reply")) {
      throw badRequest("message to be replied not found");
    }
    return exists ? id : undefined;
  }

  private render(raw: string, parseMode: string | undefined): Rendered {
    const mode = parseMode?.toLowerCase() ?? "";
    if (mode === "") return { text: raw, entities: [] };
    if (mode === "html")
      return { ...parseTelegramHtml(raw), html: raw, parseMode: parseMode ?? "HTML" };
    if (mode === "markdown" || mode === "markdownv2") return { text: raw, entities: [], parseMode };
    throw badRequest("unsupported parse_mode");
  }

  private newMessage(
    chatId: number,
    replyTo: number | undefined,
  ): Omit<StoredMessage, "text" | "entities"> {
    const now = Date.now();
    return {
      chatId,
      messageId: this.nextMessageId(chatId),
      date: Math.floor(now / 1000),
      sentAt: now,
      edits: 0,
      ...(replyTo !== undefined ? { replyTo } : {}),
    };
  }

  private store(message: StoredMessage): void {
    this.flood?.count(message.chatId);
    const list = this.messages.get(message.chatId) ?? [];
    list.push(message);
    this.messages.set(message.chatId, list);
  }

  private messageJson(message: StoredMessage): Record<string, unknown> {
    const json: Record<string, unknown> = {
      message_id: message.messageId,
      from: this.botUser(),
      chat: this.chatJson(message.chatId),
      date: message.date,
    };
    if (message.editDate !== undefined) json.edit_date = message.editDate;
    if (message.replyTo !== undefined) {
      json.reply_to_message = { message_id: message.replyTo, chat: json.chat, date: message.date };
    }
    if (message.document) {
      json.document = documentJson(message.document);
      if (message.caption !== undefined) json.caption = message.caption;
      if (message.entities.length > 0) json.caption_entities = message.entities;
    } else if (message.rich) {
      json.rich_message = { blocks: message.rich };
    } else {
      json.text = message.text;
      if (message.entities.length > 0) json.entities = message.entities;
    }
    if (isRecord(message.replyMarkup) && "inline_keyboard" in message.replyMarkup) {
      json.reply_markup = message.replyMarkup;
    }
    return json;
  }

  private chatJson(chatId: number): Record<string, unknown> {
    const known = this.chats.get(chatId);
    if (known) return known;
    if (chatId > 0) return { id: chatId, type: "private", first_name: "User" };
    return {
      id: chatId,
      type: chatId <= -1_000_000_000_000 ? "supergroup" : "group",
      title: "Group",
    };
  }

  private userMessage(from: TgUser, chat: TgChat): Record<string, unknown> {
    const chatJson: Record<string, unknown> = { ...chat };
    if (chat.type === "private" && chat.id === from.id) {
      chatJson.first_name = from.first_name;
      if (from.username !== undefined) chatJson.username = from.username;
    }
    this.chats.set(chat.id, chatJson);
    return {
      message_id: this.nextMessageId(chat.id),
      from: { is_bot: false, ...from },
      chat: chatJson,
      date: unixNow(),
    };
  }

  /** Keeps per-chat message ids in step with messages of raw pushed updates. */
  private noteMessage(message: unknown): void {
    if (!isRecord(message) || !isRecord(message.chat)) return;
    const chatId = message.chat.id;
    const messageId = message.message_id;
    if (typeof chatId !== "number" || typeof messageId !== "number") return;
    if (!this.chats.has(chatId)) this.chats.set(chatId, { ...message.chat });
    this.messageCounters.set(chatId, Math.max(this.messageCounters.get(chatId) ?? 0, messageId));
  }

  private nextMessageId(chatId: number): number {
    const id = (this.messageCounters.get(chatId) ?? 0) + 1;
    this.messageCounters.set(chatId, id);
    return id;
  }

  private storeFile(
    fileName: string,
    bytes: Buffer,
    mimeType: string | undefined,
    folder = "documents",
  ): StoredFile {
    const n = this.nextFileNo++;
    const extension = /\.[A-Za-z0-9]{1,8}$/.exec(fileName)?.[0] ?? "";
    const file: StoredFile = {
      fileId: `BQACAgIAAxkBAAI${n.toString().padStart(6, "0")}fake`,
      uniqueId: `AgAD${n}`,
      fileName,
      bytes,
      path: `${folder}/file_${n}${extension}`,
      ...(mimeType !== undefined ? { mimeType } : {}),
    };
    this.files.set(file.fileId, file);
    return file;
  }
}

/** The callback_data of every button of an inline keyboard. */
function callbackData(markup: unknown): string[] {
  if (!isRecord(markup) || !Array.isArray(markup.inline_keyboard)) return [];
  return markup.inline_keyboard.flatMap((row: unknown) =>
    Array.isArray(row)
      ? row.flatMap((b: unknown) =>
          isRecord(b) && typeof b.callback_data === "string" ? [b.callback_data] : [],
        )
      : [],
  );
}

/** Checks the keyboard like Telegram (callback_data 1-64 bytes) and remembers its buttons. */
function noteButtons(message: StoredMessage): void {
  for (const data of callbackData(message.replyMarkup)) {
    if (Buffer.byteLength(data, "utf8") > 64 || data.length === 0)
      throw badRequest("BUTTON_DATA_INVALID");
    message.everData ??= new Set();
    message.everData.add(data);
  }
}

function documentJson(file: StoredFile): Record<string, unknown> {
  return {
    file_id: file.fileId,
    file_unique_id: file.uniqueId,
    file_name: file.fileName,
    ...(file.mimeType !== undefined ? { mime_type: file.mimeType } : {}),
    file_size: file.bytes.length,
  };
}

function checkText(text: string, max: number, emptyError: string, longError: string): void {
  if (text.trim() === "") throw badRequest(emptyError);
  if (text.length > max) throw badRequest(longError);
}

function parseCommand(value: unknown): { command: string; description: string } {
  if (
    !isRecord(value) ||
    typeof value.command !== "string" ||
    typeof value.description !== "string"
  ) {
    throw badRequest("can't parse BotCommand");
  }
  if (!/^[a-z0-9_]{1,32}$/.test(value.command)) throw badRequest("BOT_COMMAND_INVALID");
  if (value.description.length < 1 || value.description.length > 256) {
    throw badRequest("BOT_COMMAND_DESCRIPTION_INVALID");
  }
  return { command: value.command, description: value.description };
}

function errorBody(error: TgError): Record<string, unknown> {
  return {
    ok: false,
    error_code: error.code,
    description: error.description,
    ...(error.retryAfter !== undefined ? { parameters: { retry_after: error.retryAfter } } : {}),
  };
}

function respond(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
