/**
 * Guards on Ollama's NDJSON stream, applied to the bytes before the ollama
 * client parses them: a stream that goes silent mid-answer, and a line that is
 * not a JSON object.
 */

/**
 * Fails a streamed answer that goes silent after its first bytes. Before them
 * the model may be loading (minutes for a large one), which the call's own
 * deadline bounds; once Ollama streams, tokens come every fraction of a second,
 * so a long silence means a stuck runner, and waiting for the deadline would
 * only delay the reply the user is owed.
 */
export class StallWatch {
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

/**
 * Checks each NDJSON line before the ollama client sees it (the client logs and
 * skips a bad line, then reports only that the stream ended early): a line that
 * is not a JSON object fails the stream with a {@link MalformedLineError}.
 * Lines may arrive split anywhere, even inside a multi-byte character: the
 * decoder is streaming, and only whole lines are checked.
 */
export function validateLines(stall?: StallWatch): TransformStream<Uint8Array, Uint8Array> {
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
