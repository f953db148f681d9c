/**
 * Go's `time.ParseDuration`, as Ollama runs it on a `keep_alive` string: the
 * grammar `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` with units ns, us (µs, μs), ms, s,
 * m, h, the special case "0", an overflow check at 2^63 ns, and Go's error
 * texts (`time: missing unit in duration "-1"`), which Ollama returns as the
 * body of its 400.
 */

const UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's `quote` for these messages: the text in double quotes (what the tests send is printable). */
const quote = (s: string) => `"${s}"`;

/** Past this, Go reports an invalid duration (int64 nanoseconds). */
const MAX_NS = 2 ** 63;

/**
 * Parses `text` as Go does.
 * @returns nanoseconds (a float: exact enough for what the fake records).
 * @throws Error with Go's message for anything Go refuses.
 */
export function parseGoDuration(text: string): number {
  const invalid = () => new Error(`time: invalid duration ${quote(text)}`);
  let s = text;
  let negative = false;
  if (s.startsWith("-") || s.startsWith("+")) {
    negative = s.startsWith("-");
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw invalid();
  let total = 0;
  while (s !== "") {
    const number = /^(\d*)(\.(\d*))?/.exec(s);
    const whole = number?.[1] ?? "";
    const fraction = number?.[3] ?? "";
    if (whole === "" && fraction === "") throw invalid();
    s = s.slice(number?.[0].length ?? 0);
    const unit = /^[^.\d]*/.exec(s)?.[0] ?? "";
    if (unit === "") throw new Error(`time: missing unit in duration ${quote(text)}`);
    const scale = UNITS[unit];
    if (scale === undefined)
      throw new Error(`time: unknown unit ${quote(unit)} in duration ${quote(text)}`);
    s = s.slice(unit.length);
    total += Number(`${whole || "0"}.${fraction || "0"}`) * scale;
    if (total > MAX_NS) throw invalid();
  }
  if (!negative && total > MAX_NS - 1) throw invalid();
  return negative ? -total : total;
}
