/** Severity of a log line; lines below the configured level are dropped. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Context attached to every line: update id, user id, session id, … */
export type LogFields = Readonly<Record<string, unknown>>;

/** Structured JSON logger that redacts secrets before anything is written. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines all carry `fields` too. */
  child(fields: LogFields): Logger;
}

/** Turns an unknown thrown value into loggable fields (name, message, cause chain). */
export function errorFields(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { error: String(err) };
  const out: Record<string, unknown> = { error: err.message, errorName: err.name };
  if (err.cause !== undefined)
    out.cause =
      err.cause instanceof Error ? `${err.cause.name}: ${err.cause.message}` : String(err.cause);
  return out;
}

/**
 * `scheme://user:password@`: whatever a URL carries before its host is a
 * credential (up to the last `@` before the path, as URL parsers read it).
 */
const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"\\]+@/gi;

/**
 * Creates a logger writing one JSON object per line through `write`.
 * Every occurrence of each secret (the bot token, the Ollama password, …) is
 * replaced by `[REDACTED]`, including inside URLs and error messages; so is the
 * user info of any URL, whatever its length.
 */
export function createLogger(options: {
  level: LogLevel;
  secrets: readonly string[];
  write?: (line: string) => void;
  base?: LogFields;
}): Logger {
  const secrets = options.secrets.filter((s) => s.length >= 8);
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const redact = (text: string): string =>
    secrets
      .reduce((t, s) => t.split(s).join("[REDACTED]"), text)
      .replace(URL_USER_INFO, "$1[REDACTED]@");
  const make = (base: LogFields): Logger => {
    const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (ORDER[level] < ORDER[options.level]) return;
      const line = JSON.stringify({
        level,
        time: new Date().toISOString(),
        msg,
        ...base,
        ...fields,
      });
      write(redact(line));
    };
    return {
      debug: (m, f) => emit("debug", m, f),
      info: (m, f) => emit("info", m, f),
      warn: (m, f) => emit("warn", m, f),
      error: (m, f) => emit("error", m, f),
      child: (f) => make({ ...base, ...f }),
    };
  };
  return make(options.base ?? {});
}
