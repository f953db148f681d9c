/**
 * The metrics the bot publishes (CloudWatch embedded metric format, one
 * document per invoke): their names, units and meaning, defined once here for
 * the handler that records them and for the stack's alarms and dashboard
 * (`src/alarms.ts`, `src/dashboard.ts`), which read them.
 */

/** CloudWatch namespace of every metric the bot publishes. */
export const METRICS_NAMESPACE = "TelegramOllamaBot";

/**
 * The one dimension: the function's name (Powertools calls it `service`). Low
 * cardinality by construction; one deployment, one value. Users, chats and
 * models are never dimensions (see docs/performance.md, "What it costs").
 */
export const SERVICE_DIMENSION = "service";

/** Counters: one summed value per invoke (0 when nothing happened, so graphs have no gaps). */
export const COUNTERS = {
  AnswersSent: "model answers delivered to a chat (stopped and cut-off answers included)",
  MessagesRefusedByLimits:
    "messages refused by a daily limit (DAILY_MESSAGE_LIMIT, DAILY_TOKEN_LIMIT)",
  UpdatesGivenUp:
    "updates given up with an apology to their user (MAX_UPDATE_ATTEMPTS reached, or retrying cannot help)",
  TelegramRetries: "Telegram calls tried again (429 flood waits, 5xx, network failures)",
} as const;

/** Distributions: one sample per event, so CloudWatch has percentiles (p50, p95) and sums. */
export const DISTRIBUTIONS = {
  ModelFirstTokenMs: { unit: "Milliseconds", meaning: "from asking the model to its first token" },
  ModelAnswerMs: { unit: "Milliseconds", meaning: "from asking the model to its whole answer" },
  PromptTokens: {
    unit: "Count",
    meaning: "prompt tokens of an answer (Ollama's prompt_eval_count)",
  },
  AnswerTokens: { unit: "Count", meaning: "tokens of an answer (Ollama's eval_count)" },
  TelegramFloodWaitMs: {
    unit: "Milliseconds",
    meaning: "one wait Telegram's 429 asked for (retry_after); SampleCount is the number of waits",
  },
  InvokeDurationMs: { unit: "Milliseconds", meaning: "the handler's own time for one invoke" },
} as const;

/** A counter's name. */
export type CounterName = keyof typeof COUNTERS;
/** A distribution's name. */
export type DistributionName = keyof typeof DISTRIBUTIONS;
