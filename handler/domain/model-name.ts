/**
 * Longest model name accepted (the bot's own bound, below Ollama's: the name is
 * part of DynamoDB and S3 keys; real names are far shorter).
 */
export const MAX_MODEL_NAME_LENGTH = 100;

/**
 * The parts of a name as Ollama's `types/model` reads them,
 * `[host/][namespace/]model[:tag]`: each starts with a letter, digit or `_`
 * and goes on with those, `-` and `.`; a namespace has no `.`, a host may have
 * a `:port`. Lengths: host 350, the others 80.
 */
const PART = {
  host: /^[a-z0-9_][a-z0-9_.:-]{0,349}$/,
  namespace: /^[a-z0-9_][a-z0-9_-]{0,79}$/,
  model: /^[a-z0-9_][a-z0-9_.-]{0,79}$/,
  tag: /^[a-z0-9_][a-z0-9_.-]{0,79}$/,
};

/** What Ollama fills in for a bare name (`llama3` is `registry.ollama.ai/library/llama3:latest`). */
const DEFAULT_PREFIX = "registry.ollama.ai/library/";
const DEFAULT_TAG = ":latest";

/**
 * Canonical form of an Ollama model name, following Ollama's rules: names are
 * compared without case, and a bare name means the default registry and tag
 * `latest`, so `Llama3`, `llama3:latest` and `registry.ollama.ai/library/llama3`
 * are one model. The canonical form drops those defaults so keys and messages stay short.
 * @returns undefined when Ollama would not take the text as a model name.
 */
export function canonicalModelName(raw: string): string | undefined {
  let name = raw.trim().toLowerCase();
  if (name.length > MAX_MODEL_NAME_LENGTH) return undefined;
  // As Ollama splits it: a tag after the last ":" that follows the last "/", then at most
  // host/namespace/model from the right.
  const colon = name.lastIndexOf(":");
  const tag = colon > name.lastIndexOf("/") ? name.slice(colon + 1) : undefined;
  const path = tag === undefined ? name : name.slice(0, colon);
  const [model = "", namespace, host, ...extra] = path.split("/").reverse();
  const valid =
    extra.length === 0 &&
    PART.model.test(model) &&
    (tag === undefined || PART.tag.test(tag)) &&
    (namespace === undefined || PART.namespace.test(namespace)) &&
    (host === undefined || PART.host.test(host));
  if (!valid) return undefined;
  if (name.startsWith(DEFAULT_PREFIX) && namespace !== undefined && host !== undefined)
    name = name.slice(DEFAULT_PREFIX.length);
  return name.endsWith(DEFAULT_TAG) ? name.slice(0, -DEFAULT_TAG.length) : name;
}

/** `llama3:8b` → `llama3_8b`: the model name as it appears in S3 keys. */
export function modelKeySegment(model: string): string {
  return model.replace(/[^A-Za-z0-9._-]/g, "_");
}
