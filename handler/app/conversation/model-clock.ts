import type { Metrics } from "../../metrics/invoke-metrics.js";
import type { ModelResult } from "../ports.js";

/**
 * Times one model call for the metrics: how long until its first token (text
 * or reasoning), and until its whole answer, as the bot waited for them
 * (Ollama's queue and loading the model included); and the answer's tokens.
 */
export class ModelClock {
  private readonly askedAt = performance.now();
  private firstTokenAt: number | undefined;

  constructor(private readonly metrics: Metrics) {}

  /** A piece of the answer arrived; the first that is not empty is the first token. */
  delta(piece: { readonly content: string; readonly thinking: string }): void {
    if (this.firstTokenAt === undefined && (piece.content || piece.thinking))
      this.firstTokenAt = performance.now();
  }

  /** The model finished its answer (not stopped, not failed). */
  answered(result: ModelResult): void {
    const { metrics, askedAt, firstTokenAt } = this;
    metrics.observe("ModelAnswerMs", Math.round(performance.now() - askedAt));
    if (firstTokenAt !== undefined)
      metrics.observe("ModelFirstTokenMs", Math.round(firstTokenAt - askedAt));
    metrics.observe("PromptTokens", result.promptTokens);
    metrics.observe("AnswerTokens", result.completionTokens);
  }
}
