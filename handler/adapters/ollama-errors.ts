import { ModelError, type ModelFailureKind } from "../errors.js";

/** The ollama client's complaint when a stream ends without its final (`done`) line. */
const NO_FINAL_LINE = /did not receive done or success response/i;

/**
 * Turns whatever the ollama client threw into a {@link ModelError} whose `kind`
 * says what the user should be told (not pulled, busy, unreachable, …).
 * `stage` tells a failure before the answer's first byte from one mid-stream;
 * `server` is the public URL of the server asked.
 */
export function toModelError(
  err: unknown,
  model: string,
  stage: "connect" | "stream",
  signal: AbortSignal,
  server: string,
): ModelError {
  if (err instanceof ModelError) return err;
  let message = err instanceof Error ? err.message : String(err);
  if (stage === "stream" && NO_FINAL_LINE.test(message))
    message = "the answer stopped before its end (Ollama closed the stream without a final line)";
  const status = statusOf(err);
  let kind: ModelFailureKind;
  if (signal.aborted) kind = "timeout";
  else if (status === 404) kind = "not_found";
  else if (status === 401 || status === 403) kind = "unauthorized";
  else if (status === 503 || status === 429) kind = "busy";
  else if (status !== undefined && status >= 500) kind = "server_error";
  else if (status !== undefined) kind = "bad_response";
  else if (stage === "stream") kind = "stream_error";
  else kind = "unreachable";
  return new ModelError(kind, model, `Ollama ${kind.replace("_", " ")}: ${message}`, {
    cause: err,
    servers: [server],
    beforeAnswer: stage === "connect",
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
