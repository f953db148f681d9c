/**
 * The small interfaces the bot logic owns. Adapters in `handler/adapters/`
 * implement them for Telegram, Ollama, DynamoDB and S3; the logic never sees
 * an SDK or an HTTP call. The gateways (Telegram, Ollama) are here; the
 * storage ports are in `store-ports.ts`, re-exported below.
 */
import type { Update } from "@grammyjs/types";

/** Options for an outgoing Telegram text. */
export interface SendOptions {
  /** Send as Telegram HTML (the text must be valid Telegram HTML). */
  readonly html?: boolean;
  /** Quote this message of the same chat. */
  readonly replyTo?: number;
  /** Forum topic to post in (`message_thread_id`). */
  readonly threadId?: number;
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
}

/** One model call. */
export interface ModelRequest {
  readonly endpoint: string;
  readonly model: string;
  readonly messages: readonly ModelMessage[];
  readonly options: Readonly<Record<string, number>>;
  readonly keepAlive: string;
  /** Aborts the call (deadline or shutdown). */
  readonly signal: AbortSignal;
  /** Longest silence once the answer has started streaming; longer fails the call as `stalled`. */
  readonly stallMs?: number;
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
  listModels(endpoint: string, signal: AbortSignal): Promise<ModelInfo[]>;
}

export type * from "./store-ports.js";
