import { describe, expect, it } from "@jest/globals";
import { parseSetting } from "../../handler/app/conversation/settings-commands.js";
import { secretsMatch } from "../../handler/app/intake/webhook/webhook.js";
import { PARAMETERS } from "../../handler/domain/model-options.js";
import type { ModelOptions } from "../../handler/domain/session.js";

/** The default ceilings (OLLAMA_MAX_NUM_CTX, OLLAMA_MAX_NUM_PREDICT). */
const CEILINGS = { num_ctx: 16_384, num_predict: 8_192 };

describe("app/settings-commands parseSetting", () => {
  it("sets a decimal parameter", () => {
    expect(parseSetting("temperature 0.7", {}, CEILINGS)).toEqual({ temperature: 0.7 });
  });

  it("keeps other options when setting one", () => {
    // Prepare
    const current: ModelOptions = { temperature: 1, seed: 3 };

    // Act
    const out = parseSetting("  NUM_CTX   4096 ", current, CEILINGS);

    // Assess
    expect(out).toEqual({ temperature: 1, seed: 3, num_ctx: 4096 });
  });

  it("resets one parameter and keeps the rest", () => {
    // Act
    const out = parseSetting("temperature RESET", { temperature: 1, top_k: 40 }, CEILINGS);

    // Assess
    expect(out).toEqual({ top_k: 40 });
  });

  it("does not change the current options object", () => {
    // Prepare
    const current: ModelOptions = { temperature: 1 };

    // Act
    parseSetting("temperature 0.2", current, CEILINGS);
    parseSetting("temperature reset", current, CEILINGS);

    // Assess
    expect(current).toEqual({ temperature: 1 });
  });

  it.each([
    ["temperature", "2.5", "temperature must be a number from 0 to 2"],
    ["temperature", "-0.1", "temperature must be a number from 0 to 2"],
    ["top_p", "1.01", "top_p must be a number from 0 to 1"],
    ["num_ctx", "100", "num_ctx must be a whole number from 256 to 16384"],
    ["num_ctx", "4096.5", "num_ctx must be a whole number from 256 to 16384"],
    ["num_predict", "0", "num_predict must be a whole number from 1 to 8192"],
    ["top_k", "abc", "top_k must be a whole number from 1 to 1000"],
    ["seed", "Infinity", "seed must be a whole number from 0 to 2147483647"],
    ["temperature", "NaN", "temperature must be a number from 0 to 2"],
  ])("rejects %s %s with the allowed range", (name, value, message) => {
    // Act
    const out = parseSetting(`${name} ${value}`, {}, CEILINGS);

    // Assess
    expect(typeof out).toBe("string");
    expect(out).toContain(message);
    expect(out).toContain(PARAMETERS[name as keyof ModelOptions].help);
  });

  it.each([
    [
      "num_ctx 131072",
      "num_ctx must be a whole number from 256 to 16384 (context window in tokens). 16384 is this bot's ceiling, set by its admin (OLLAMA_MAX_NUM_CTX).",
    ],
    [
      "num_predict 8193",
      "num_predict must be a whole number from 1 to 8192 (longest answer in tokens). 8192 is this bot's ceiling, set by its admin (OLLAMA_MAX_NUM_PREDICT).",
    ],
  ])("refuses %s above the admin's ceiling, naming it", (args, message) => {
    expect(parseSetting(args, {}, CEILINGS)).toBe(message);
  });

  it("allows up to the ceiling, and up to the parameter's own bound when the ceiling is that high", () => {
    expect(parseSetting("num_ctx 16384", {}, CEILINGS)).toEqual({ num_ctx: 16_384 });
    const open = { num_ctx: 1_048_576, num_predict: 16_384 };
    expect(parseSetting("num_ctx 131072", {}, open)).toEqual({ num_ctx: 131_072 });
    expect(parseSetting("num_predict 16385", {}, open)).toBe(
      "num_predict must be a whole number from 1 to 16384 (longest answer in tokens).",
    );
  });

  it("rejects a missing value with the allowed range", () => {
    expect(parseSetting("top_k", {}, CEILINGS)).toBe(
      "top_k must be a whole number from 1 to 1000 (top-k sampling).",
    );
  });

  it("accepts the range boundaries", () => {
    expect(parseSetting("temperature 0", {}, CEILINGS)).toEqual({ temperature: 0 });
    expect(parseSetting("temperature 2", {}, CEILINGS)).toEqual({ temperature: 2 });
    expect(parseSetting("seed 2147483647", {}, CEILINGS)).toEqual({ seed: 2_147_483_647 });
  });

  it.each([
    ["an unknown parameter", "mirostat 1"],
    ["extra words", "temperature 1 2"],
    ["nothing", ""],
  ])("answers with usage for %s", (_what, args) => {
    // Act
    const out = parseSetting(args, {}, CEILINGS);

    // Assess
    expect(out).toBe(
      "Usage: /set <parameter> <value|reset>. Parameters: temperature, num_ctx, num_predict, top_p, top_k, seed.",
    );
  });

  it.each(["constructor 1", "__proto__ 1", "constructor reset"])(
    "rejects parameter names inherited from Object.prototype (%s) with usage",
    (args) => {
      // Act
      const out = parseSetting(args, {}, CEILINGS);

      // Assess
      expect(typeof out).toBe("string");
      expect(out).toContain("Usage: /set");
    },
  );
});

describe("app/webhook secretsMatch", () => {
  it("matches the same secret", () => {
    expect(secretsMatch("s3cr3t_Token-1", "s3cr3t_Token-1")).toBe(true);
  });

  it("rejects a different secret, including one of another length", () => {
    expect(secretsMatch("s3cr3t", "s3cr3T")).toBe(false);
    expect(secretsMatch("s3cr3t", "s3cr3t-longer")).toBe(false);
    expect(secretsMatch("s3cr3t", "")).toBe(false);
  });

  it("rejects a missing header", () => {
    expect(secretsMatch("s3cr3t", undefined)).toBe(false);
  });

  it("refuses everything when no secret is configured", () => {
    expect(secretsMatch("", "")).toBe(false);
    expect(secretsMatch("", "anything")).toBe(false);
  });
});
