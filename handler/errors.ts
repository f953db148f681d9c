/**
 * The handler's error hierarchy. Each error carries a stable `name`, the `cause`
 * it wraps, and the context a person needs to fix the problem.
 */

/** Base class: everything the handler throws on purpose derives from it. */
export class BotError extends Error {
  override readonly name: string = "BotError";
}

/** A missing or malformed environment variable; the invoke cannot run. */
export class ConfigError extends BotError {
  override readonly name = "ConfigError";
}

/** Telegram answered, and said no (`ok: false`). */
export class TelegramApiError extends BotError {
  override readonly name = "TelegramApiError";
  constructor(
    readonly method: string,
    readonly code: number,
    readonly description: string,
    readonly retryAfterSeconds?: number,
    options?: ErrorOptions,
  ) {
    super(`Telegram ${method} failed (${code}): ${description}`, options);
  }

  /** `400 message is not modified`: the edit already shows what we wanted. */
  get isNotModified(): boolean {
    return this.code === 400 && /message is not modified/i.test(this.description);
  }

  /** `400 can't parse entities`: our HTML was rejected; resend as plain text. */
  get isParseError(): boolean {
    return (
      this.code === 400 &&
      /can't parse entities|unsupported start tag|can't find end/i.test(this.description)
    );
  }

  /** `400 message is too long` (Telegram counts after entity parsing): split it smaller. */
  get isTooLong(): boolean {
    return (
      this.code === 400 &&
      /message is too long|text is too long|MESSAGE_TOO_LONG/i.test(this.description)
    );
  }

  /**
   * A `400` about size (too long, too many blocks or columns, nested too
   * deep): Telegram counted more than we did, so the message goes out smaller.
   */
  get isOverLimit(): boolean {
    return this.code === 400 && /too[ _](long|many|deep)/i.test(this.description);
  }

  /** `404` from a working token: the Bot API server does not know this method (an older one). */
  get isMethodMissing(): boolean {
    return this.code === 404;
  }

  /** The user blocked the bot or left the chat: replying is pointless. */
  get isForbidden(): boolean {
    return this.code === 403;
  }
}

/**
 * Telegram rejected the bot token (401 Unauthorized, or 404 for a token that
 * is not one): nothing works until an operator fixes TELEGRAM_BOT_TOKEN, so
 * callers stop instead of retrying. The message never contains the token.
 */
export class TokenRejectedError extends BotError {
  override readonly name = "TokenRejectedError";
  constructor(
    readonly method: string,
    readonly code: number,
    options?: ErrorOptions,
  ) {
    super(
      `Telegram rejected the bot token (${method}: ${code} ${code === 401 ? "Unauthorized" : "Not Found"}). Check TELEGRAM_BOT_TOKEN: copy it again from @BotFather (it looks like 123456789:AA…).`,
      options,
    );
  }
}

/** Telegram could not be reached (network failure, timeout). */
export class TelegramNetworkError extends BotError {
  override readonly name = "TelegramNetworkError";
}

/** Why a model call failed; each kind gets its own reply to the user. */
export type ModelFailureKind =
  | "not_found"
  | "unreachable"
  /** 401/403: the server, or the proxy in front of it, refused the credentials in OLLAMA_URL. */
  | "unauthorized"
  | "busy"
  | "server_error"
  | "timeout"
  | "stalled"
  | "stream_error"
  | "bad_response";

/** Where a {@link ModelError} happened, beside its cause. */
export interface ModelErrorOptions extends ErrorOptions {
  /** Public URLs (never user info) of the servers the failure is about. */
  readonly servers?: readonly string[];
  /** The server sent no byte of an answer (see {@link ModelError.beforeAnswer}). @default false */
  readonly beforeAnswer?: boolean;
}

/** The Ollama server could not produce an answer. */
export class ModelError extends BotError {
  override readonly name = "ModelError";
  /** Public URLs of the servers the failure is about; empty when it is about none in particular. */
  readonly servers: readonly string[];
  /**
   * The request failed before the server sent any byte of an answer (refused,
   * reset, an HTTP error status, no first byte in time): nothing reached the
   * user, so another server may take the request without anything repeating.
   */
  readonly beforeAnswer: boolean;

  constructor(
    readonly kind: ModelFailureKind,
    readonly model: string,
    message: string,
    { servers = [], beforeAnswer = false, ...options }: ModelErrorOptions = {},
  ) {
    super(message, options);
    this.servers = servers;
    this.beforeAnswer = beforeAnswer;
  }
}

/** Why a transcription failed; each kind gets its own reply to the user. */
export type TranscriptionFailureKind =
  /** Connection refused, DNS, reset: nothing answered. */
  | "unreachable"
  /** No answer within the time the bot gave it. */
  | "timeout"
  /** 401 or 403: the server refused the bot's key (TRANSCRIBE_API_KEY). */
  | "key_refused"
  /** 404: no such path or model (TRANSCRIBE_URL without /v1, TRANSCRIBE_MODEL not installed). */
  | "not_found"
  /** 429: the server (or its quota) is busy. */
  | "busy"
  /** Another 4xx: the server refused this audio or request. */
  | "refused"
  /** 5xx: the server failed. */
  | "server_error"
  /** 2xx without a transcript the bot can read. */
  | "bad_response"
  /** A transcript with no words in it (silence, noise). */
  | "empty";

/**
 * The speech-to-text server produced no transcript. `detail` is what the
 * server said (its `error.message`, with the API key taken out), for the
 * reply and the log.
 */
export class TranscriptionError extends BotError {
  override readonly name = "TranscriptionError";
  constructor(
    readonly kind: TranscriptionFailureKind,
    message: string,
    readonly status?: number,
    readonly detail?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * True when a file was not downloaded for its size: over the limit the bot
 * asked for (`UserInputError` from `downloadFile`) or over Telegram's own
 * (`400 file is too big` from getFile).
 */
export function isTooBigToDownload(err: unknown): err is UserInputError | TelegramApiError {
  return (
    err instanceof UserInputError ||
    (err instanceof TelegramApiError && /file is too big/i.test(err.description))
  );
}

/** DynamoDB could not be reached or refused a request the invoke cannot go on without. */
export class StorageError extends BotError {
  override readonly name = "StorageError";
}

/** A conditional write lost a race or found the item already changed. */
export class ConflictError extends BotError {
  override readonly name = "ConflictError";
}

/** Input a user sent that the bot refuses (too long, malformed, unknown). */
export class UserInputError extends BotError {
  override readonly name = "UserInputError";
}

/**
 * An update too large to keep while it waits to be answered (see
 * `MAX_UPDATE_BYTES` in `app/intake/handled.ts`): given up at once, its user told.
 */
export class UpdateTooLargeError extends BotError {
  override readonly name = "UpdateTooLargeError";
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`The update is ${bytes} bytes; at most ${limit} can be stored.`);
  }
}

/**
 * True for a failure that retrying cannot fix: DynamoDB refused the request
 * itself as invalid (`ValidationException`, e.g. an item over 400 KB). Such an
 * update is given up at once; retrying would only answer its user again.
 */
export function isPermanentFailure(err: unknown): boolean {
  if (err instanceof UpdateTooLargeError) return true;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === "ValidationException") return true;
  }
  return false;
}

/**
 * True when Telegram's flood limit refused a call and asked for a pause longer
 * than the invoke had left (shorter ones are waited out by the retry policy).
 * Not the update's fault: it keeps its attempts and waits for a later invoke,
 * since giving it up would lose the answer (and the apology would meet the same limit).
 */
export function isFloodLimited(err: unknown): err is TelegramApiError {
  return err instanceof TelegramApiError && err.code === 429;
}

/**
 * True when Telegram refused the reply itself: 403 (the user blocked the bot
 * or left the chat) or 400 (a request Telegram will never accept). Sending it
 * again gets the same answer, so the update is finished, not retried: the one
 * rule the poller and the webhook lanes both follow.
 */
export function isRefusedReply(err: unknown): err is TelegramApiError {
  return err instanceof TelegramApiError && (err.isForbidden || err.code === 400);
}

/**
 * The table lacks an index the code queries: it was created before the index
 * existed (a stack not deployed again, or an old `npm start` DATA_DIR).
 */
export class MissingIndexError extends BotError {
  override readonly name = "MissingIndexError";
  constructor(
    readonly index: string,
    options?: ErrorOptions,
  ) {
    super(`The table has no index ${index}: it predates it; deploy the stack again`, options);
  }
}
