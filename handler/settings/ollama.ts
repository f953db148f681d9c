import { int, keepAlive, modelName, ollamaServers, setting } from "../setting-kinds.js";

/** Settings: how the bot talks to Ollama: where it is, the default model and the request options sent with every chat. Rows of the one table in `handler/settings.ts`. */
export const OLLAMA_SETTINGS = {
  OLLAMA_URL: setting(
    {
      type: "string",
      // It may carry passwords (basic auth on a reverse proxy): kept out of plans and outputs.
      sensitive: true,
      description:
        "Ollama server(s) as seen from the Lambda container, comma-separated; http://user:password@host:port for basic auth on a reverse proxy.",
    },
    "http://host.docker.internal:11434",
    (d) => ollamaServers(d),
  ),
  OLLAMA_PARALLEL: setting(
    {
      type: "number",
      description:
        "With several servers, answers the bot asks of each Ollama server at once (match the servers' OLLAMA_NUM_PARALLEL, which is 1 unless set); more wait in the bot for a free server. MAX_CONCURRENCY stays the overall cap; a lone server is bounded by it alone.",
    },
    1,
    (d) => int(d, 1, 64),
  ),
  DEFAULT_MODEL: setting(
    {
      type: "string",
      description: "Model for users who have not chosen one with /model.",
    },
    "llama3",
    (d) => modelName.default(d),
  ),
  OLLAMA_NUM_CTX: setting(
    {
      type: "number",
      description:
        "Context window (tokens) sent with every request unless /set num_ctx overrides it.",
    },
    8192,
    (d) => int(d, 256, 1_048_576),
  ),
  OLLAMA_MAX_NUM_CTX: setting(
    {
      type: "number",
      description:
        "Largest num_ctx a user may /set or an import may bring (at least OLLAMA_NUM_CTX): each distinct value makes Ollama reload the model, and its memory grows with it.",
    },
    // 2x the default: llama3 8B's KV cache is ~128 KiB per token, so 2 GiB here on top of
    // its 4.7 GB of weights (an 8 GB GPU); 131072 would need 16 GiB of cache.
    16_384,
    (d) => int(d, 256, 1_048_576),
  ),
  OLLAMA_NUM_PREDICT: setting(
    {
      type: "number",
      description: "Longest answer in tokens (1-16384) unless a conversation sets num_predict.",
    },
    2048,
    (d) => int(d, 1, 16_384),
  ),
  OLLAMA_MAX_NUM_PREDICT: setting(
    {
      type: "number",
      description:
        "Largest num_predict a user may /set or an import may bring (at least OLLAMA_NUM_PREDICT): the longest answer one message can make the shared Ollama write.",
    },
    // At 30-60 tokens/s, 8192 tokens take 2-4.5 minutes: what one invoke (300 s) can wait.
    // Room for a thinking model's reasoning; what is shown and stored stops at 20,000 characters.
    8192,
    (d) => int(d, 1, 16_384),
  ),
  OLLAMA_KEEP_ALIVE: setting(
    {
      type: "string",
      description:
        "How long Ollama keeps the model loaded after a reply: seconds (3600; -1 = forever) or a Go duration (5m, 24h, -1s).",
    },
    "5m",
    (d) => keepAlive(d),
  ),
  OLLAMA_STALL_SECONDS: setting(
    {
      type: "number",
      description:
        "Seconds of silence after an answer has started streaming before it is given up as stalled (the user is told, the message kept).",
    },
    60,
    (d) => int(d, 1, 900),
  ),
};
