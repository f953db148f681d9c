import { Ollama } from "ollama";
import type { ModelGateway, ModelInfo, ModelRequest, ModelResult } from "../app/ports.js";
import { ModelError, type ModelFailureKind } from "../errors.js";

const NS_PER_MS = 1_000_000;

/**
 * {@link ModelGateway} over the official `ollama` client and Ollama's native
 * `/api/chat` (always streamed: partial text reaches the chat early and an
 * `{"error": …}` line after HTTP 200 is caught). Every failure becomes a
 * {@link ModelError} whose `kind` says what the user should be told.
 */
export class OllamaGateway implements ModelGateway {
  constructor(private readonly fetchFn: typeof fetch = fetch) {}

  async chat(
    request: ModelRequest,
    onDelta?: (delta: { content: string; thinking: string }) => void,
  ): Promise<ModelResult> {
    const client = this.client(request.endpoint, request.signal);
    let content = "";
    let thinking = "";
    let stage: "connect" | "stream" = "connect";
    try {
      const stream = await client.chat({
        model: request.model,
        messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
        options: request.options,
        keep_alive: request.keepAlive,
        stream: true,
      });
      stage = "stream";
      for await (const part of stream) {
        const delta = {
          content: part.message?.content ?? "",
          thinking: part.message?.thinking ?? "",
        };
        content += delta.content;
        thinking += delta.thinking;
        if (onDelta && (delta.content || delta.thinking)) onDelta(delta);
        if (part.done) {
          return {
            content,
            thinking,
            promptTokens: part.prompt_eval_count ?? 0,
            completionTokens: part.eval_count ?? 0,
            totalMs: Math.round((part.total_duration ?? 0) / NS_PER_MS),
            loadMs: Math.round((part.load_duration ?? 0) / NS_PER_MS),
            doneReason: part.done_reason ?? "stop",
          };
        }
      }
      throw new Error("the stream ended without a final message");
    } catch (err) {
      throw toModelError(err, request.model, stage, request.signal);
    }
  }

  async listModels(endpoint: string, signal: AbortSignal): Promise<ModelInfo[]> {
    try {
      const res = await this.client(endpoint, signal).list();
      return res.models.map((m) => ({
        name: m.name,
        sizeBytes: m.size,
        parameterSize: m.details?.parameter_size,
      }));
    } catch (err) {
      throw toModelError(err, "", "connect", signal);
    }
  }

  private client(host: string, signal: AbortSignal): Ollama {
    const fetchFn = this.fetchFn;
    return new Ollama({
      host,
      fetch: (input, init) =>
        fetchFn(input, {
          ...init,
          signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal,
        }),
    });
  }
}

function toModelError(
  err: unknown,
  model: string,
  stage: "connect" | "stream",
  signal: AbortSignal,
): ModelError {
  if (err instanceof ModelError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const status = statusOf(err);
  let kind: ModelFailureKind;
  if (signal.aborted) kind = "timeout";
  else if (status === 404) kind = "not_found";
  else if (status === 503 || status === 429) kind = "busy";
  else if (status !== undefined && status >= 500) kind = "server_error";
  else if (status !== undefined) kind = "bad_response";
  else if (stage === "stream") kind = "stream_error";
  else kind = "unreachable";
  return new ModelError(kind, model, `Ollama ${kind.replace("_", " ")}: ${message}`, {
    cause: err,
  });
}

/** The HTTP status of ollama-js's (unexported) `ResponseError`. */
function statusOf(err: unknown): number | undefined {
  if (typeof err === "object" && err !== null && "status_code" in err) {
    const code = (err as { status_code: unknown }).status_code;
    return typeof code === "number" ? code : undefined;
  }
  return undefined;
}
