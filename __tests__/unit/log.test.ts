import { describe, expect, it } from "@jest/globals";
import { OllamaServer } from "../../handler/domain/ollama-server.js";
import { createLogger, errorFields, type LogLevel } from "../../handler/log.js";

const TOKEN = "123456789:ABCdefGHIjklMNOpqrSTUvwxYZ_-0123";

function capture(level: LogLevel = "debug", secrets: readonly string[] = [TOKEN]) {
  const lines: string[] = [];
  const log = createLogger({ level, secrets, write: (line) => lines.push(line) });
  const parsed = (): Record<string, unknown>[] =>
    lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, parsed };
}

describe("log", () => {
  it("writes one JSON object per line with level, time and message", () => {
    // Prepare
    const { log, parsed } = capture();

    // Act
    log.info("hello", { updateId: 5 });

    // Assess
    const [line] = parsed();
    expect(line).toMatchObject({ level: "info", msg: "hello", updateId: 5 });
    expect(Number.isNaN(Date.parse(String(line?.time)))).toBe(false);
  });

  it("drops lines below the configured level", () => {
    // Prepare
    const { log, parsed } = capture("warn");

    // Act
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");

    // Assess
    expect(parsed().map((l) => l.level)).toEqual(["warn", "error"]);
  });

  it("redacts the bot token from the message", () => {
    // Prepare
    const { log, lines } = capture();

    // Act
    log.info(`token is ${TOKEN}, again ${TOKEN}`);

    // Assess
    expect(lines.join("\n")).not.toContain(TOKEN);
    expect(lines[0]).toContain("token is [REDACTED], again [REDACTED]");
  });

  it("redacts the bot token from API URLs in fields", () => {
    // Prepare
    const { log, lines } = capture();

    // Act
    log.warn("call failed", { url: `https://api.telegram.org/bot${TOKEN}/sendMessage` });

    // Assess
    expect(lines[0]).not.toContain(TOKEN);
    expect(lines[0]).toContain("https://api.telegram.org/bot[REDACTED]/sendMessage");
  });

  it("redacts the bot token from error fields and their causes", () => {
    // Prepare
    const { log, lines } = capture();
    const cause = new TypeError(`fetch https://api.telegram.org/bot${TOKEN}/getMe failed`);
    const err = new Error(`request to bot${TOKEN} failed`, { cause });

    // Act
    log.error("boom", errorFields(err));

    // Assess
    expect(lines[0]).not.toContain(TOKEN);
    expect(lines[0]).toContain("bot[REDACTED]");
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ errorName: "Error" });
  });

  it("redacts the token from nested field values and child logger context", () => {
    // Prepare
    const { log, lines } = capture();

    // Act
    log.child({ request: { path: `/bot${TOKEN}/x` } }).info("nested", { list: [TOKEN] });

    // Assess
    expect(lines[0]).not.toContain(TOKEN);
    expect(lines[0]?.match(/\[REDACTED\]/g)).toHaveLength(2);
  });

  it("redacts the user info of any URL, however short the password, up to the host", () => {
    // Prepare
    const { log, lines } = capture();

    // Act
    log.warn("unreachable", {
      url: "http://bot:pw@ollama.example:11434/api/chat",
      cause: "connect to https://u:p@ss@proxy.example/ollama failed",
    });

    // Assess
    expect(lines[0]).toContain("http://[REDACTED]@ollama.example:11434/api/chat");
    expect(lines[0]).toContain("https://[REDACTED]@proxy.example/ollama");
    expect(lines[0]).not.toMatch(/pw@|ss@|bot:/);
  });

  it("redacts the Ollama password wherever it appears, as written and percent-decoded", () => {
    // Prepare
    const server = OllamaServer.parse("http://bot:s3cret%2Fpass%40word@ollama.example:11434");
    const { log, lines } = capture("debug", [TOKEN, ...server.secrets()]);

    // Act
    log.info("echo", { raw: "s3cret%2Fpass%40word", decoded: "s3cret/pass@word" });
    log.info("header", { auth: server.headers().Authorization });

    // Assess
    expect(lines.join("\n")).not.toMatch(/s3cret|Ym90Oi/);
    expect(lines[1]).toContain("Basic [REDACTED]");
  });

  it("ignores secrets shorter than 8 characters so ordinary words are not redacted", () => {
    // Prepare
    const { log, lines } = capture("debug", ["", "abc"]);

    // Act
    log.info("abc is fine");

    // Assess
    expect(lines[0]).toContain("abc is fine");
  });

  it("adds child fields to every line, with later fields winning", () => {
    // Prepare
    const { log, parsed } = capture();

    // Act
    const child = log.child({ userId: 1, step: "a" }).child({ step: "b" });
    child.info("one");
    child.info("two", { step: "c" });

    // Assess
    expect(parsed()).toMatchObject([
      { msg: "one", userId: 1, step: "b" },
      { msg: "two", userId: 1, step: "c" },
    ]);
  });
});

describe("log errorFields", () => {
  it("gives message and name of an Error", () => {
    expect(errorFields(new RangeError("bad"))).toEqual({ error: "bad", errorName: "RangeError" });
  });

  it("describes an Error cause by name and message", () => {
    // Act
    const fields = errorFields(new Error("outer", { cause: new TypeError("inner") }));

    // Assess
    expect(fields).toEqual({ error: "outer", errorName: "Error", cause: "TypeError: inner" });
  });

  it("stringifies a non-Error cause", () => {
    expect(errorFields(new Error("x", { cause: 42 })).cause).toBe("42");
  });

  it("stringifies thrown non-Error values", () => {
    expect(errorFields("plain")).toEqual({ error: "plain" });
    expect(errorFields(undefined)).toEqual({ error: "undefined" });
  });
});
