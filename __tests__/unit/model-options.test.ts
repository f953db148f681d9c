import { describe, expect, it } from "@jest/globals";
import { isAllowedValue, PARAMETERS, sanitizeOptions } from "../../handler/domain/model-options.js";

/** The default ceilings (OLLAMA_MAX_NUM_CTX, OLLAMA_MAX_NUM_PREDICT). */
const CEILINGS = { num_ctx: 16_384, num_predict: 8_192 };

describe("domain/model-options", () => {
  it("keeps the options /set would accept from an imported file", () => {
    expect(sanitizeOptions({ temperature: 0.7, num_ctx: 4096, seed: 0 }, CEILINGS)).toEqual({
      options: { temperature: 0.7, num_ctx: 4096, seed: 0 },
      dropped: [],
    });
  });

  it("drops unknown names, out-of-range values and non-numbers, naming each", () => {
    // Act
    const out = sanitizeOptions(
      {
        temperature: 3,
        num_ctx: 1024.5,
        top_k: "40",
        mirostat: 1,
        toString: 1,
        top_p: 0.9,
      },
      CEILINGS,
    );

    // Assess: inherited object properties are not parameters either.
    expect(out).toEqual({
      options: { top_p: 0.9 },
      dropped: ["temperature", "num_ctx", "top_k", "mirostat", "toString"],
    });
  });

  it("drops num_ctx and num_predict above the admin's ceilings, as /set would refuse them", () => {
    expect(sanitizeOptions({ num_ctx: 131_072, num_predict: 8_192, top_k: 40 }, CEILINGS)).toEqual({
      options: { num_predict: 8_192, top_k: 40 },
      dropped: ["num_ctx"],
    });
  });

  it("allows each range's ends and nothing beyond them", () => {
    const spec = PARAMETERS.num_predict;
    expect([spec.min, spec.max].map((n) => isAllowedValue(spec, n))).toEqual([true, true]);
    expect([spec.min - 1, spec.max + 1, Number.NaN].map((n) => isAllowedValue(spec, n))).toEqual([
      false,
      false,
      false,
    ]);
  });
});
