import { Ollama } from "ollama";
import type {
  ModelGateway,
  ModelInfo,
  ModelRequest,
  ModelResult,
  PullProgress,
  PullRequest,
} from "../app/ports.js";
import type { OllamaServer } from "../domain/ollama-server.js";
import { ModelError } from "../errors.js";
import { TimeLimit } from "../time-limit.js";
import { toModelError } from "./ollama-errors.js";
import { StallWatch, validateLines } from "./ollama-stream-checks.js";

const NS_PER_MS = 1_000_000;
/** Ollama's 400 for a `think` level on a model that takes only true/false (before 0.17.7). */
const LEVEL_REFUSED = /think value "[^"]*" is not supported for this model/;

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
    // Disposed when the response's headers arrive: Ollama sends them with the first token.
    const firstByte = new TimeLimit(request.firstByteMs);
    const limit = new TimeLimit(undefined, [request.signal, stall.signal, firstByte.signal]);
    const client = this.client(request.server, limit, stall, firstByte);
    let content = "";
    let thinking = "";
    let stage: "connect" | "stream" = "connect";
    try {
      const body = {
        model: request.model,
        messages: request.messages.map((m) => ({
          role: m.role,
          content: m.content,
          ...(m.images?.length ? { images: [...m.images] } : {}),
        })),
        options: request.options,
        keep_alive: request.keepAlive,
        stream: true as const,
      };
      const { think } = request;
      const stream = await client
        .chat({ ...body, ...(think !== undefined ? { think } : {}) })
        .catch((err: unknown) => {
          // Ollama before 0.17.7 takes a level only for gpt-oss (harmony) models; others reason
          // with `true`. Refused before any text was written, so asking again repeats nothing.
          if (typeof think !== "string" || !LEVEL_REFUSED.test(String(err))) throw err;
          return client.chat({ ...body, think: true });
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
      const servers = [request.server.url];
      if (stall.fired) {
        throw new ModelError(
          "stalled",
          request.model,
          `Ollama stalled: no text for ${Math.round((request.stallMs ?? 0) / 1000)} s after the answer had started`,
          { cause: err, servers },
        );
      }
      if (firstByte.timedOut && !request.signal.aborted) {
        throw new ModelError(
          "timeout",
          request.model,
          `Ollama timeout: nothing came back in ${Math.round((request.firstByteMs ?? 0) / 1000)} s`,
          { cause: err, servers, beforeAnswer: true },
        );
      }
      throw toModelError(err, request.model, stage, request.signal, request.server.url);
    } finally {
      stall.stop();
      firstByte.dispose();
      limit.dispose();
    }
  }

  async listModels(server: OllamaServer, signal: AbortSignal): Promise<ModelInfo[]> {
    try {
      const res = await this.withClient(server, signal, (client) => client.list());
      return res.models.map((m) => ({
        name: m.name,
        sizeBytes: m.size,
        parameterSize: m.details?.parameter_size,
      }));
    } catch (err) {
      throw toModelError(err, "", "connect", signal, server.url);
    }
  }

  async pull(request: PullRequest, onProgress: (progress: PullProgress) => void): Promise<void> {
    let stage: "connect" | "stream" = "connect";
    try {
      await this.withClient(request.server, request.signal, async (client) => {
        // An error line (an unknown name: "pull model manifest: file does not exist") makes the
        // client throw; the last line of a complete pull says "success".
        const stream = await client.pull({ model: request.model, stream: true });
        stage = "stream";
        for await (const part of stream) {
          onProgress({
            status: part.status,
            digest: part.digest,
            total: part.total,
            completed: part.completed,
          });
          if (part.status === "success") return;
        }
        throw new Error("the download stopped before Ollama said it succeeded");
      });
    } catch (err) {
      throw toModelError(err, request.model, stage, request.signal, request.server.url);
    }
  }

  async capabilities(
    server: OllamaServer,
    model: string,
    signal: AbortSignal,
  ): Promise<readonly string[]> {
    try {
      const res = await this.withClient(server, signal, (client) => client.show({ model }));
      // Older servers send no `capabilities`: then nothing is known about the model.
      return Array.isArray(res.capabilities) ? res.capabilities : [];
    } catch (err) {
      throw toModelError(err, model, "connect", signal, server.url);
    }
  }

  /** Runs `call` with a client whose requests end when `signal` aborts. */
  private async withClient<T>(
    server: OllamaServer,
    signal: AbortSignal,
    call: (client: Ollama) => Promise<T>,
  ): Promise<T> {
    const limit = new TimeLimit(undefined, [signal]);
    try {
      return await call(this.client(server, limit));
    } finally {
      limit.dispose();
    }
  }

  /**
   * A client for one call to one server: the public URL is the host, and its
   * credentials travel only as the `Authorization` header of each request. Its
   * requests end when `limit` does, which also follows the client's own signal
   * (disposing `limit` detaches both); `firstByte` is disposed once the
   * response's headers are in.
   */
  private client(
    server: OllamaServer,
    limit: TimeLimit,
    stall?: StallWatch,
    firstByte?: TimeLimit,
  ): Ollama {
    const fetchFn = this.fetchFn;
    return new Ollama({
      host: server.url,
      headers: server.headers(),
      fetch: async (input, init) => {
        limit.follow(init?.signal ?? undefined);
        const res = await fetchFn(input, { ...init, signal: limit.signal });
        firstByte?.dispose();
        const type = res.headers.get("content-type") ?? "";
        if (!res.ok && !type.includes("application/json")) {
          // Not Ollama's own error (a proxy's HTML page, say): the client would print it to the
          // console and quote it to the user, so it becomes Ollama's error shape with the status.
          await res.body?.cancel();
          const error = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
          return Response.json({ error }, { status: res.status, statusText: res.statusText });
        }
        if (!res.ok || !res.body || !type.includes("ndjson")) return res;
        return new Response(res.body.pipeThrough(validateLines(stall)), {
          status: res.status,
          statusText: res.statusText,
          headers: res.headers,
        });
      },
    });
  }
}
