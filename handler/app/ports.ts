/**
 * The small interfaces the bot logic owns. Adapters in `handler/adapters/`
 * implement them for Telegram, Ollama, DynamoDB and S3; the logic never sees
 * an SDK or an HTTP call. The gateways (Telegram, Ollama) are here; the
 * storage ports are in `store-ports.ts` (conversations, people) and
 * `update-store-ports.ts` (the poller state, the update ledger), re-exported below.
 */
import type { Update } from "@grammyjs/types";
import type { KeepAlive } from "../domain/keep-alive.js";
import type { OllamaServer } from "../domain/ollama-server.js";
import type { ThinkParam } from "../domain/think.js";
import type { RichBlock } from "../format/index.js";

/** Options for an outgoing Telegram text. */
export interface SendOptions {
  /** Send as Telegram HTML (the text must be valid Telegram HTML). */
  readonly html?: boolean;
  /** Quote this message of the same chat. */
  readonly replyTo?: number;
  /** Forum topic to post in (`message_thread_id`). */
  readonly threadId?: number;
  /**
   * Inline buttons under the message (one row each). On an edit, leaving this
   * out removes the buttons the message had, as Telegram does.
   */
  readonly buttons?: readonly InlineButton[];
}

/** An inline keyboard button whose press comes back as a `callback_query` carrying `data`. */
export interface InlineButton {
  readonly text: string;
  /** At most 64 bytes (Telegram's limit for `callback_data`). */
  readonly data: string;
}

/** One native draft frame (`sendMessageDraft`, private chats only). */
export interface DraftOptions {
  readonly html?: boolean;
  readonly threadId?: number;
  /** Shows Telegram's own Stop button; a press arrives as a `stopped_message_generation` update. */
  readonly canStop?: boolean;
}

/** A command shown in Telegram's menu. */
export interface BotCommandInfo {
  readonly command: string;
  readonly description: string;
}

/** One `getUpdates` call. */
export interface UpdatesRequest {
  readonly offset: number;
  readonly limit: number;
  readonly timeoutSeconds: number;
  readonly signal?: AbortSignal;
}

/** Telegram, as the bot needs it. Errors: TelegramApiError, TelegramNetworkError. */
export interface ChatGateway {
  getMe(): Promise<{ readonly id: number; readonly username: string }>;
  /**
   * Long-polls for updates from `offset` (which confirms every update below it),
   * waiting up to `timeoutSeconds` for one to arrive. Aborting `signal` ends the wait.
   * @throws TokenRejectedError when Telegram rejects the bot token.
   */
  getUpdates(request: UpdatesRequest): Promise<Update[]>;
  /** @returns the id of the sent message. */
  sendMessage(chatId: number, text: string, options?: SendOptions): Promise<number>;
  editMessage(
    chatId: number,
    messageId: number,
    text: string,
    options?: SendOptions,
  ): Promise<void>;
  sendTyping(chatId: number, threadId?: number): Promise<void>;
  /**
   * Shows (or updates) a draft of an answer being written (private chats only).
   * @throws MethodMissingError when the Bot API server does not know the method.
   */
  sendDraft(chatId: number, draftId: number, text: string, options?: DraftOptions): Promise<void>;
  /**
   * Sends a rich message (Bot API 10.1 `sendRichMessage`) of `blocks`.
   * @returns the id of the sent message.
   * @throws TelegramApiError (404 when the Bot API server has no rich messages).
   */
  sendRich(chatId: number, blocks: readonly RichBlock[], options?: SendOptions): Promise<number>;
  /** Replaces a message's content with `blocks` (`editMessageText` with `rich_message`). */
  editRich(
    chatId: number,
    messageId: number,
    blocks: readonly RichBlock[],
    options?: SendOptions,
  ): Promise<void>;
  /**
   * Shows (or updates) a rich draft of an answer being written (`sendRichMessageDraft`,
   * private chats only; the only place a `thinking` block may appear).
   * @throws TelegramApiError (404 when the Bot API server has no rich messages).
   */
  sendRichDraft(
    chatId: number,
    draftId: number,
    blocks: readonly RichBlock[],
    options?: DraftOptions,
  ): Promise<void>;
  /** Answers a button press (Telegram shows `text` as a small notice, or an alert). */
  answerCallback(
    queryId: string,
    text: string,
    options?: { readonly alert?: boolean },
  ): Promise<void>;
  sendDocument(
    chatId: number,
    file: { readonly name: string; readonly content: Uint8Array },
    options?: { readonly caption?: string; readonly threadId?: number },
  ): Promise<void>;
  /** Downloads a file the user sent, refusing files above `maxBytes`. */
  downloadFile(fileId: string, maxBytes: number): Promise<Uint8Array>;
  setCommands(commands: readonly BotCommandInfo[]): Promise<void>;
}

/** A message as sent to the model. */
export interface ModelMessage {
  readonly role: "system" | "user" | "assistant";
  readonly content: string;
  /** Base64 images (vision models only: Ollama refuses them for others). */
  readonly images?: readonly string[];
}

/** One model call. */
export interface ModelRequest {
  readonly server: OllamaServer;
  readonly model: string;
  readonly messages: readonly ModelMessage[];
  readonly options: Readonly<Record<string, number>>;
  /** Seconds (sent as a JSON number) or a Go duration (a string), as Ollama reads `keep_alive`. */
  readonly keepAlive: KeepAlive;
  /** Ollama's `think` (the conversation's `/think`); absent, the model decides. */
  readonly think?: ThinkParam;
  /** Aborts the call (deadline or shutdown). */
  readonly signal: AbortSignal;
  /** Longest silence once the answer has started streaming; longer fails the call as `stalled`. */
  readonly stallMs?: number;
  /**
   * Longest wait for the answer's first byte (Ollama sends its headers with the
   * first token, after loading the model); longer fails the call as `timeout`
   * before any answer. Absent: only `signal` bounds the wait.
   */
  readonly firstByteMs?: number;
}

/** What the model produced. Durations in milliseconds (Ollama reports nanoseconds). */
export interface ModelResult {
  readonly content: string;
  readonly thinking: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalMs: number;
  readonly loadMs: number;
  /** Why generation ended: `stop`, or `length` when `num_predict` cut the answer off. */
  readonly doneReason: string;
}

/** An installed model. */
export interface ModelInfo {
  readonly name: string;
  readonly sizeBytes: number;
  readonly parameterSize?: string;
}

/** The model server. Errors: ModelError with a kind per failure. */
export interface ModelGateway {
  /** Streams the answer; `onDelta` sees content and thinking as they arrive. */
  chat(
    request: ModelRequest,
    onDelta?: (delta: { content: string; thinking: string }) => void,
  ): Promise<ModelResult>;
  listModels(server: OllamaServer, signal: AbortSignal): Promise<ModelInfo[]>;
  /** What `model` can do (`/api/show` `capabilities`, e.g. `vision`, `thinking`, `tools`). */
  capabilities(
    server: OllamaServer,
    model: string,
    signal: AbortSignal,
  ): Promise<readonly string[]>;
  /**
   * Downloads a model (`/api/pull`), reporting each progress line.
   * @throws ModelError (`pull_failed` when Ollama reports an error, such as an unknown name).
   */
  pull(request: PullRequest, onProgress: (progress: PullProgress) => void): Promise<void>;
}

/** One `/api/pull`. */
export interface PullRequest {
  readonly server: OllamaServer;
  readonly model: string;
  /** Aborts the download (Cancel, deadline). */
  readonly signal: AbortSignal;
}

/** A progress line of `/api/pull`: `status`, and bytes of the layer being pulled. */
export interface PullProgress {
  readonly status: string;
  /** The layer this line is about (progress comes layer by layer). */
  readonly digest?: string;
  readonly total?: number;
  readonly completed?: number;
}

/** One audio file to transcribe. */
export interface TranscriptionRequest {
  readonly audio: Uint8Array;
  /** Sent as the file's name: its extension tells the server the format (`.ogg` for voice notes). */
  readonly fileName: string;
  readonly mimeType: string;
  /** Aborts the request (the time the bot gives it, or shutdown). */
  readonly signal: AbortSignal;
}

/**
 * The speech-to-text server (OpenAI's `POST /audio/transcriptions`).
 * Errors: TranscriptionError with a kind per failure.
 */
export interface SpeechGateway {
  /** @returns the transcript, trimmed (an empty one is a `TranscriptionError` of kind `empty`). */
  transcribe(request: TranscriptionRequest): Promise<string>;
}

export type * from "./store-ports.js";
export type * from "./update-store-ports.js";
