import type { ChatMessage } from "../../domain/session.js";
import type { ModelMessage } from "../ports.js";

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
  const recent = withoutSuperseded(input.history).slice(-input.maxMessages);
  const kept: ModelMessage[] = [];
  for (const m of [...recent].reverse()) {
    const cost = estimateTokens(m.content);
    if (cost > budget) break;
    budget -= cost;
    kept.unshift({ role: m.role, content: m.content });
  }
  // Whole turns go: an answer whose question no longer fits is dropped with it.
  while (kept[0]?.role === "assistant") kept.shift();
  // Dropping history only counts as trimming when the window itself had more to give.
  const trimmed = kept.length < recent.length;
  const messages = [...system, ...kept, { role: "user" as const, content: input.prompt }];
  const estimatedTokens = messages.reduce((sum, m) => sum + estimateTokens(m.content), 0);
  return { messages, trimmed, estimatedTokens };
}

/**
 * The conversation as the model should see it: system entries dropped, and of
 * several answers in a row (the later ones from `/retry`) only the last kept,
 * so a regenerated answer replaces the old one instead of sitting beside it.
 */
function withoutSuperseded(history: readonly ChatMessage[]): ChatMessage[] {
  const messages = history.filter((m) => m.role !== "system");
  return messages.filter(
    (m, i) => !(m.role === "assistant" && messages[i + 1]?.role === "assistant"),
  );
}
