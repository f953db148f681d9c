/** Longest model name accepted from a user (Ollama names are far shorter in practice). */
export const MAX_MODEL_NAME_LENGTH = 100;

const MODEL_NAME = /^[a-z0-9][a-z0-9._/-]*(:[a-z0-9][a-z0-9._-]*)?$/;

/**
 * Canonical form of an Ollama model name, following Ollama's rule that a bare
 * name means tag `latest`: `Llama3`, `llama3` and `llama3:latest` are one model.
 * The canonical form drops `:latest` so keys and messages stay short.
 * @returns undefined when the text is not a valid model name.
 */
export function canonicalModelName(raw: string): string | undefined {
  const name = raw.trim().toLowerCase();
  // The pattern needs a first character, so it also refuses an empty name.
  if (name.length > MAX_MODEL_NAME_LENGTH || !MODEL_NAME.test(name)) return undefined;
  return name.endsWith(":latest") ? name.slice(0, -":latest".length) : name;
}

/** `llama3:8b` → `llama3_8b`: the model name as it appears in S3 keys. */
export function modelKeySegment(model: string): string {
  return model.replace(/[^A-Za-z0-9._-]/g, "_");
}
