/**
 * Ollama's `keep_alive`, read the way Ollama reads it (`api.Duration`): a JSON
 * number is seconds (negative: keep the model loaded forever, 0: unload at
 * once); a JSON string must be a Go duration with a unit (`5m`, `-1s`,
 * `1h30m`). A string of digits such as "-1" or "3600" is neither to Ollama: it
 * answers 400 "time: missing unit in duration", so such a setting goes out as
 * a number.
 */

/** What `keep_alive` is sent as: seconds, or a Go duration string. */
export type KeepAlive = number | string;

/** The rule, as an operator needs to read it. */
export const KEEP_ALIVE_RULE =
  "must be a number of seconds (3600; negative keeps the model loaded, e.g. -1; 0 unloads it at once) or a Go duration with a unit: ns, us, ms, s, m, h (5m, 1h30m, 300ms, -1s), as Ollama's keep_alive takes";

const SECONDS = /^[-+]?\d+(\.\d+)?$/;
/** Go's `time.ParseDuration` grammar: signed, one or more number+unit pairs ("0" alone is a number above). */
const GO_DURATION = /^[-+]?((\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/;
const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};
/** Go durations are int64 nanoseconds: about 292 years. */
const MAX_GO_NS = 2 ** 63;

/**
 * Reads a keep-alive setting.
 * @returns the value to send (a number for seconds, the string for a Go
 * duration), or undefined when Ollama would refuse it.
 */
export function parseKeepAlive(raw: string): KeepAlive | undefined {
  const text = raw.trim();
  if (SECONDS.test(text)) {
    const seconds = Number(text);
    // Negative is "forever" however large; a positive count must fit Go's duration.
    return seconds * 1e9 < MAX_GO_NS ? seconds : undefined;
  }
  if (!GO_DURATION.test(text)) return undefined;
  let ns = 0;
  for (const [, amount = "", unit = ""] of text.matchAll(/(\d+\.?\d*|\.\d+)([^\d.]+)/g))
    ns += Number(amount) * (UNIT_NS[unit] ?? Number.NaN);
  return ns < MAX_GO_NS ? text : undefined;
}
