import type { ModelError } from "../../errors.js";

/**
 * What the user reads when the model could not answer: what happened and what
 * to do. Their message is kept either way. `servers` is how many `OLLAMA_URL`
 * lists: with one, the words are those the bot always used.
 */
export function describeModelError(err: ModelError, servers: number): string {
  const kept = "Your message is saved; send it again (or /retry) once this is fixed.";
  const several = servers > 1;
  const at = err.servers.join(", ");
  switch (err.kind) {
    case "not_found":
      return `⚠️ The model "${err.model}" is not installed on ${several ? "any of the Ollama servers" : "the Ollama server"}.\nPull it with: ollama pull ${err.model}\nor pick an installed one with /models.\n${kept}`;
    case "unreachable": {
      const where = `${err.servers.length > 1 ? "the Ollama servers" : "the Ollama server"} at ${at}`;
      const only = several && err.model ? `, and no other server has the model "${err.model}"` : "";
      return `⚠️ I can't reach ${where}${only}. Is it running (ollama serve) and reachable from the bot?\n${kept}`;
    }
    case "unauthorized":
      return `⚠️ The Ollama server at ${at} (or the proxy in front of it) refused the bot's credentials (${err.message.replace(/^Ollama unauthorized: /, "")}). Whoever runs the bot needs to check the user and password in OLLAMA_URL.\n${kept}`;
    case "busy":
      return `⏳ ${several ? "The Ollama servers are" : "The Ollama server is"} busy (too many requests queued). Please try again in a moment.\n${kept}`;
    case "server_error":
      return `⚠️ The Ollama server failed while answering (${err.message}).\n${kept}`;
    case "timeout":
      return `⌛ The model "${err.model}" took too long to answer, so I stopped waiting. Large models can be slow to load; try again, or choose a smaller one with /model.\n${kept}`;
    case "stalled":
      return `⚠️ The model "${err.model}" went silent mid-answer, so I stopped waiting; any text shown above is incomplete.\n${kept}`;
    case "stream_error":
      return `⚠️ The model stopped with an error mid-answer: ${err.message.replace(/^Ollama stream error: /, "")}\n${kept}`;
    case "bad_response":
      return `⚠️ Ollama refused the request: ${err.message.replace(/^Ollama bad response: /, "")}\n${kept}`;
  }
}
