import { int, keepAlive, modelName, ollamaServer, setting } from "../setting-kinds.js";

/** Settings: how the bot talks to Ollama: where it is, the default model and the request options sent with every chat. Rows of the one table in `handler/settings.ts`. */
export const OLLAMA_SETTINGS = {
  OLLAMA_URL: setting(
    {
      type: "string",
      // It may carry a password (basic auth on a reverse proxy): kept out of plans and outputs.
      sensitive: true,
      description:
        "Ollama server as seen from the Lambda container; http://user:password@host:port for basic auth on a reverse proxy.",
    },
    "http://host.docker.internal:11434",
    (d) => ollamaServer(d),
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
  OLLAMA_NUM_PREDICT: setting(
    {
      type: "number",
      description: "Longest answer in tokens (1-16384) unless a conversation sets num_predict.",
    },
    2048,
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
