import type { Update } from "@grammyjs/types";
import { Api, type ApiClientOptions, GrammyError, HttpError, InputFile } from "grammy";
import { HANDLED_UPDATES } from "../app/intake/update-types.js";
import type {
  BotCommandInfo,
  ChatGateway,
  DraftOptions,
  SendOptions,
  UpdatesRequest,
} from "../app/ports.js";
import {
  TelegramApiError,
  TelegramNetworkError,
  TokenRejectedError,
  UserInputError,
} from "../errors.js";
import type { RichBlock } from "../format/index.js";
import { withTimeLimit } from "../time-limit.js";
import { inTopic, keyboard, replyTo } from "./telegram-payload.js";
import {
  CALL_DEADLINE_MARGIN_MS,
  type TelegramRetry,
  telegramRetryPolicy,
} from "./telegram-retry.js";

/** Settings of {@link TelegramGateway}. */
export interface TelegramGatewayOptions {
  readonly token: string;
  /** Bot API base, e.g. `https://api.telegram.org` or a test server. */
  readonly apiUrl: string;
  /** Epoch ms by which the current invoke must finish; bounds retries. */
  readonly deadline: () => number;
  readonly fetch?: typeof fetch;
  /** Told of each retried call (see {@link telegramRetryPolicy}). */
  readonly onRetry?: (retry: TelegramRetry) => void;
}

/**
 * {@link ChatGateway} over grammY's `Api`. grammY keeps the token out of its
 * error messages; this class turns its errors into the bot's own
 * ({@link TelegramApiError} when Telegram said no, {@link TelegramNetworkError} when it could not be reached).
 */
export class TelegramGateway implements ChatGateway {
  private readonly api: Api;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: TelegramGatewayOptions) {
    this.fetchFn = options.fetch ?? fetch;
    this.api = new Api(options.token, {
      apiRoot: options.apiUrl,
      // grammY's own type for fetch is the node-fetch polyfill's; it calls it as the standard one.
      fetch: this.fetchFn as unknown as NonNullable<ApiClientOptions["fetch"]>,
    });
    this.api.config.use(
      telegramRetryPolicy({
        deadline: options.deadline,
        ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      }),
    );
  }

  async getMe(): Promise<{ id: number; username: string }> {
    const me = await this.call("getMe", () => this.api.getMe());
    return { id: me.id, username: me.username };
  }

  getUpdates(request: UpdatesRequest): Promise<Update[]> {
    const { offset, limit, timeoutSeconds, signal } = request;
    return this.call("getUpdates", () =>
      this.api.getUpdates(
        { offset, limit, timeout: timeoutSeconds, allowed_updates: [...HANDLED_UPDATES] },
        signal as GrammySignal,
      ),
    );
  }

  async sendMessage(chatId: number, text: string, options: SendOptions = {}): Promise<number> {
    const sent = await this.call("sendMessage", () =>
      this.api.sendMessage(chatId, text, {
        ...(options.html ? { parse_mode: "HTML" as const } : {}),
        ...replyTo(options.replyTo),
        ...inTopic(options.threadId),
        ...keyboard(options.buttons),
        link_preview_options: { is_disabled: true },
      }),
    );
    return sent.message_id;
  }

  async editMessage(
    chatId: number,
    messageId: number,
    text: string,
    options: SendOptions = {},
  ): Promise<void> {
    try {
      await this.call("editMessageText", () =>
        this.api.editMessageText(chatId, messageId, text, {
          ...(options.html ? { parse_mode: "HTML" as const } : {}),
          ...keyboard(options.buttons),
          link_preview_options: { is_disabled: true },
        }),
      );
    } catch (err) {
      if (err instanceof TelegramApiError && err.isNotModified) return;
      throw err;
    }
  }

  async sendRich(
    chatId: number,
    blocks: readonly RichBlock[],
    options: SendOptions = {},
  ): Promise<number> {
    const sent = await this.call(
      "sendRichMessage",
      () =>
        this.api.sendRichMessage(
          chatId,
          { blocks: [...blocks] },
          {
            ...replyTo(options.replyTo),
            ...inTopic(options.threadId),
            ...keyboard(options.buttons),
          },
        ),
      // The token works (updates arrived): a 404 here means a Bot API server without rich messages.
      { notFoundIsMissingMethod: true },
    );
    return sent.message_id;
  }

  async editRich(
    chatId: number,
    messageId: number,
    blocks: readonly RichBlock[],
    options: SendOptions = {},
  ): Promise<void> {
    try {
      await this.call("editMessageText", () =>
        this.api.editMessageText(
          chatId,
          messageId,
          { blocks: [...blocks] },
          keyboard(options.buttons),
        ),
      );
    } catch (err) {
      if (err instanceof TelegramApiError && err.isNotModified) return;
      throw err;
    }
  }

  async sendRichDraft(
    chatId: number,
    draftId: number,
    blocks: readonly RichBlock[],
    options: DraftOptions = {},
  ): Promise<void> {
    await this.call(
      "sendRichMessageDraft",
      () =>
        this.api.sendRichMessageDraft(
          chatId,
          draftId,
          { blocks: [...blocks] },
          {
            ...inTopic(options.threadId),
            ...(options.canStop ? { can_stop: true, keep_on_stop: true } : {}),
          },
        ),
      { notFoundIsMissingMethod: true },
    );
  }

  async sendTyping(chatId: number, threadId?: number): Promise<void> {
    await this.call("sendChatAction", () =>
      this.api.sendChatAction(chatId, "typing", inTopic(threadId)),
    );
  }

  async sendDraft(
    chatId: number,
    draftId: number,
    text: string,
    options: DraftOptions = {},
  ): Promise<void> {
    await this.call(
      "sendMessageDraft",
      () =>
        this.api.sendMessageDraft(chatId, draftId, text, {
          ...(options.html ? { parse_mode: "HTML" as const } : {}),
          ...inTopic(options.threadId),
          // The partial text stays while the final message (what was written so far) is sent.
          ...(options.canStop ? { can_stop: true, keep_on_stop: true } : {}),
        }),
      // The token works (updates arrived): a 404 here means a Bot API server without drafts.
      { notFoundIsMissingMethod: true },
    );
  }

  async answerCallback(queryId: string, text: string, options: { alert?: boolean } = {}) {
    await this.call("answerCallbackQuery", () =>
      this.api.answerCallbackQuery(queryId, {
        text: text.slice(0, 200),
        ...(options.alert ? { show_alert: true } : {}),
      }),
    );
  }

  async sendDocument(
    chatId: number,
    file: { name: string; content: Uint8Array },
    options: { caption?: string; threadId?: number } = {},
  ): Promise<void> {
    await this.call("sendDocument", () =>
      this.api.sendDocument(chatId, new InputFile(file.content, file.name), {
        ...(options.caption ? { caption: options.caption } : {}),
        ...inTopic(options.threadId),
      }),
    );
  }

  async downloadFile(fileId: string, maxBytes: number): Promise<Uint8Array> {
    const file = await this.call("getFile", () => this.api.getFile(fileId));
    if (!file.file_path)
      throw new UserInputError("Telegram did not return a download path for that file.");
    if ((file.file_size ?? 0) > maxBytes) {
      throw new UserInputError(`That file is ${file.file_size} bytes; the limit is ${maxBytes}.`);
    }
    const left = this.options.deadline() - CALL_DEADLINE_MARGIN_MS - Date.now();
    // The download, body included, ends by the deadline.
    const body = await withTimeLimit(Math.max(1, left), [], async (signal) => {
      let res: Response;
      try {
        res = await this.fetchFn(
          `${this.options.apiUrl}/file/bot${this.options.token}/${file.file_path}`,
          { signal },
        );
      } catch (err) {
        throw new TelegramNetworkError("Downloading a file from Telegram failed.", {
          cause: redactError(err, this.options.token),
        });
      }
      if (!res.ok) throw new TelegramApiError("downloadFile", res.status, res.statusText);
      return new Uint8Array(await res.arrayBuffer());
    });
    if (body.byteLength > maxBytes)
      throw new UserInputError(`That file is over the ${maxBytes}-byte limit.`);
    return body;
  }

  async setCommands(commands: readonly BotCommandInfo[]): Promise<void> {
    await this.call("setMyCommands", () => this.api.setMyCommands([...commands]));
  }

  private async call<T>(
    method: string,
    fn: () => Promise<T>,
    { notFoundIsMissingMethod = false } = {},
  ): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof GrammyError) {
        // 401: a revoked or mistyped token; 404: a string that is not a token at all.
        if (err.error_code === 401 || (err.error_code === 404 && !notFoundIsMissingMethod)) {
          throw new TokenRejectedError(method, err.error_code);
        }
        throw new TelegramApiError(
          method,
          err.error_code,
          err.description,
          err.parameters.retry_after,
        );
      }
      if (err instanceof HttpError) {
        throw new TelegramNetworkError(`Telegram ${method} could not be reached: ${err.message}`);
      }
      throw err;
    }
  }
}

/** grammY types signals as the `abort-controller` polyfill's; the bundle aliases it to Node's own. */
type GrammySignal = Parameters<Api["getUpdates"]>[1];

function redactError(err: unknown, token: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  return new Error(message.split(token).join("[REDACTED]"));
}
