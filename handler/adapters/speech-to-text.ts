import type { SpeechGateway, TranscriptionRequest } from "../app/ports.js";
import { TranscriptionError, type TranscriptionFailureKind } from "../errors.js";

/** Longest piece of a server's error message kept for the reply and the log. */
const MAX_DETAIL_CHARS = 300;

/** Settings of {@link OpenAiSpeechToText}. */
export interface SpeechToTextOptions {
  /** The server's base URL including `/v1` (`TRANSCRIBE_URL`), as an OpenAI client's base URL. */
  readonly baseUrl: string;
  /** Sent as the form field `model` (`TRANSCRIBE_MODEL`). */
  readonly model: string;
  /** Sent as `Authorization: Bearer <key>` when not empty (`TRANSCRIBE_API_KEY`). */
  readonly apiKey: string;
  /**
   * The project's fetch. Its keep-alive client takes strings and bytes only
   * and hands a `FormData` body to Node's own fetch, which writes the
   * multipart body and its boundary.
   */
  readonly fetch?: typeof fetch;
}

/**
 * {@link SpeechGateway} over OpenAI's `POST <base>/audio/transcriptions`, the
 * request every common speech server takes (speaches, LocalAI, whisper.cpp's
 * server, vLLM, Ollama, Groq, OpenAI): multipart `file`, `model` and
 * `response_format=json`, answered `{"text": …}`. Every failure becomes a
 * {@link TranscriptionError} whose `kind` says what the user should be told.
 */
export class OpenAiSpeechToText implements SpeechGateway {
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: SpeechToTextOptions) {
    this.fetchFn = options.fetch ?? fetch;
  }

  /** Where transcriptions are posted. */
  get endpoint(): string {
    return `${this.options.baseUrl}/audio/transcriptions`;
  }

  async transcribe(request: TranscriptionRequest): Promise<string> {
    const form = new FormData();
    form.append("file", new Blob([request.audio], { type: request.mimeType }), request.fileName);
    form.append("model", this.options.model);
    form.append("response_format", "json");
    const { apiKey } = this.options;
    let status: number;
    let body: string;
    try {
      const res = await this.fetchFn(this.endpoint, {
        method: "POST",
        headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
        body: form,
        signal: request.signal,
      });
      status = res.status;
      body = await res.text();
    } catch (err) {
      const kind = request.signal.aborted ? "timeout" : "unreachable";
      throw new TranscriptionError(
        kind,
        `Speech-to-text ${kind === "timeout" ? "timed out" : "unreachable"} at ${this.endpoint}: ${this.redact(err instanceof Error ? err.message : String(err))}`,
        undefined,
        undefined,
        { cause: err },
      );
    }
    if (status < 200 || status > 299) {
      const detail = this.redact(serverMessage(body));
      throw new TranscriptionError(
        kindOfStatus(status),
        `Speech-to-text server answered ${status}: ${detail}`,
        status,
        detail,
      );
    }
    const text = transcriptOf(body);
    if (text === undefined) {
      throw new TranscriptionError(
        "bad_response",
        `Speech-to-text server answered ${status} without a transcript: ${this.redact(body.slice(0, MAX_DETAIL_CHARS))}`,
        status,
      );
    }
    if (text === "") throw new TranscriptionError("empty", "The transcript is empty.", status);
    return text;
  }

  /** The text with the API key taken out (some servers quote what they were sent). */
  private redact(text: string): string {
    const key = this.options.apiKey;
    return key ? text.split(key).join("[REDACTED]") : text;
  }
}

function kindOfStatus(status: number): TranscriptionFailureKind {
  if (status === 401 || status === 403) return "key_refused";
  if (status === 404) return "not_found";
  if (status === 429) return "busy";
  if (status >= 500) return "server_error";
  return "refused";
}

/** The transcript in a 2xx body (`{"text": …}`), trimmed; undefined when there is none. */
function transcriptOf(body: string): string | undefined {
  const parsed = parseJson(body);
  const text =
    typeof parsed === "object" && parsed !== null && "text" in parsed ? parsed.text : undefined;
  return typeof text === "string" ? text.trim() : undefined;
}

/**
 * What a server said went wrong, in the shapes they use: OpenAI's (and
 * Ollama's, LocalAI's) `{"error": {"message"}}`, Ollama's native
 * `{"error": "…"}`, FastAPI's (speaches) `{"detail": "…" | [{"msg"}]}`, or
 * plain text.
 */
function serverMessage(body: string): string {
  const parsed = parseJson(body);
  const fields = typeof parsed === "object" && parsed !== null ? parsed : {};
  const { error, detail, message } = fields as Record<string, unknown>;
  const candidates: unknown[] = [
    (error as { message?: unknown } | undefined)?.message,
    error,
    Array.isArray(detail) ? (detail[0] as { msg?: unknown } | undefined)?.msg : detail,
    message,
  ];
  const said = candidates.find((c): c is string => typeof c === "string") ?? body;
  return said.replace(/\s+/g, " ").trim().slice(0, MAX_DETAIL_CHARS) || "no message";
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}
