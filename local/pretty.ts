/** Human-readable form of the handler's JSON log lines, for `npm start`. */

const LEVEL_MARK: Record<string, string> = { debug: "·", info: " ", warn: "!", error: "✖" };

/**
 * `{"level":"info","time":"…T12:00:01.000Z","msg":"poll finished","updates":2}`
 * → `12:00:01   poll finished updates=2`. Lines that are not JSON pass through.
 */
export function prettyLine(line: string): string {
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
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${clock} ${LEVEL_MARK[String(level)] ?? "?"} ${String(msg)}${fields ? ` ${fields}` : ""}`;
}
