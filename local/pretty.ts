/** Human-readable form of the handler's JSON log lines, for `npm start` and `npm run logs`. */

const LEVEL_MARK: Record<string, string> = { debug: "·", info: " ", warn: "!", error: "✖" };

/**
 * Fields a terminal user has no use for under `npm start`: the invocation id names a
 * Lambda invocation (there it tells concurrent runs apart; `npm start` is one process).
 */
export const LOCAL_HIDDEN_FIELDS: readonly string[] = ["invocationId"];

/** A value that says nothing: absent, empty, or a count of zero (nothing happened). */
function saysNothing(value: unknown): boolean {
  if (value === undefined || value === null || value === "" || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}

/**
 * `{"level":"info","time":"…T12:00:01.000Z","msg":"poll finished","updates":2,"failed":0,"errors":[]}`
 * → `12:00:01   poll finished updates=2`: fields that say nothing (and `hidden` ones) are
 * left out, as `npm run invoke`'s summary mentions only what happened. Lines that are not
 * JSON pass through.
 */
export function prettyLine(line: string, hidden: readonly string[] = []): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof parsed !== "object" || parsed === null) return line;
  const { level, time, msg, ...rest } = parsed as Record<string, unknown>;
  const clock = typeof time === "string" ? time.slice(11, 19) : "";
  const fields = Object.entries(rest)
    .filter(([k, v]) => !saysNothing(v) && !hidden.includes(k))
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${clock} ${LEVEL_MARK[String(level)] ?? "?"} ${String(msg)}${fields ? ` ${fields}` : ""}`;
}
