import type { ChatMessage } from "../domain/session.js";
import type { ModelMessage } from "./ports.js";

/** Rough token count: Ollama tokenizers average 3–4 characters per token; err on the high side. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3.5) + 4;
}

/** Inputs of {@link buildContext}. */
export interface ContextInput {
  readonly systemPrompt?: string;
  /** The session's recent window, oldest first. */
  readonly history: readonly ChatMessage[];
  /** The new user message (always kept). */
  readonly prompt: string;
  readonly numCtx: number;
  /** Tokens left free for the answer. */
  readonly reserveForAnswer: number;
  /** Most history messages ever sent, whatever their size. */
  readonly maxMessages: number;
}

/**
 * The messages sent to the model: the system prompt (always kept), as much
 * recent history as fits `num_ctx` minus the answer's reserve (oldest turns
 * dropped first), and the new prompt. Ollama would otherwise truncate silently
 * from the front and lose the system prompt.
 */
export function buildContext(input: ContextInput): {
  messages: ModelMessage[];
  trimmed: boolean;
  estimatedTokens: number;
} {
  const system: ModelMessage[] = input.systemPrompt
    ? [{ role: "system", content: input.systemPrompt }]
    : [];
  let budget = input.numCtx - input.reserveForAnswer - estimateTokens(input.prompt);
  for (const m of system) budget -= estimateTokens(m.content);
  const recent = input.history.filter((m) => m.role !== "system").slice(-input.maxMessages);
  const kept: ModelMessage[] = [];
  for (let i = recent.length - 1; i >= 0; i--) {
    const m = recent[i];
    if (!m) continue;
    const cost = estimateTokens(m.content);
    if (cost > budget) break;
    budget -= cost;
    kept.unshift({ role: m.role, content: m.content });
  }
  // Dropping history only counts as trimming when the window itself had more to give.
  const trimmed = kept.length < recent.length;
  const messages = [...system, ...kept, { role: "user" as const, content: input.prompt }];
  const estimatedTokens = messages.reduce((sum, m) => sum + estimateTokens(m.content), 0);
  return { messages, trimmed, estimatedTokens };
}
