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
    const stall = new StallWatch(request.stallMs);
    const client = this.client(
      request.endpoint,
      AbortSignal.any([request.signal, stall.signal]),
      stall,
    );
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
      if (stall.fired) {
        throw new ModelError(
          "stalled",
          request.model,
          `Ollama stalled: no text for ${Math.round((request.stallMs ?? 0) / 1000)} s after the answer had started`,
          { cause: err },
        );
      }
      throw toModelError(err, request.model, stage, request.signal);
    } finally {
      stall.stop();
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

  private client(host: string, signal: AbortSignal, stall?: StallWatch): Ollama {
    const fetchFn = this.fetchFn;
    return new Ollama({
      host,
      fetch: async (input, init) => {
        const res = await fetchFn(input, {
          ...init,
          signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal,
        });
        const streamed = res.headers.get("content-type")?.includes("ndjson");
        if (!res.ok || !res.body || !streamed) return res;
        return new Response(res.body.pipeThrough(validateLines(stall)), {
          status: res.status,
          statusText: res.statusText,
          headers: res.headers,
        });
      },
    });
  }
}

/**
 * Fails a streamed answer that goes silent after its first bytes. Before them
 * the model may be loading (minutes for a large one), which the call's own
 * deadline bounds; once Ollama streams, tokens come every fraction of a second,
 * so a long silence means a stuck runner, and waiting for the deadline would
 * only delay the reply the user is owed.
 */
class StallWatch {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number | undefined) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get fired(): boolean {
    return this.controller.signal.aborted;
  }

  /** Bytes arrived: the silence starts again from now. */
  touch(): void {
    if (!this.ms || this.fired) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(), this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}

/** A streamed line that is not a JSON object: the answer cannot be trusted past it. */
class MalformedLineError extends Error {
  override readonly name = "MalformedLineError";
}

/** The ollama client's complaint when a stream ends without its final (`done`) line. */
const NO_FINAL_LINE = /did not receive done or success response/i;

/**
 * Checks each NDJSON line before the ollama client sees it (the client logs and
 * skips a bad line, then reports only that the stream ended early): a line that
 * is not a JSON object fails the stream with a {@link MalformedLineError}.
 * Lines may arrive split anywhere, even inside a multi-byte character: the
 * decoder is streaming, and only whole lines are checked.
 */
function validateLines(stall?: StallWatch): TransformStream<Uint8Array, Uint8Array> {
  const decoder = new TextDecoder();
  let pending = "";
  const check = (line: string) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = undefined;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new MalformedLineError(
        `Ollama sent a malformed line (not a JSON object): ${JSON.stringify(line.slice(0, 60))}`,
      );
  };
  return new TransformStream({
    transform(chunk, controller) {
      stall?.touch();
      const lines = (pending + decoder.decode(chunk, { stream: true })).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) check(line);
      controller.enqueue(chunk);
    },
    flush() {
      stall?.stop();
      check(pending + decoder.decode());
    },
  });
}

function toModelError(
  err: unknown,
  model: string,
  stage: "connect" | "stream",
  signal: AbortSignal,
): ModelError {
  if (err instanceof ModelError) return err;
  let message = err instanceof Error ? err.message : String(err);
  if (stage === "stream" && NO_FINAL_LINE.test(message))
    message = "the answer stopped before its end (Ollama closed the stream without a final line)";
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
