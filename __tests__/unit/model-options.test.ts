import { describe, expect, it } from "@jest/globals";
import { isAllowedValue, PARAMETERS, sanitizeOptions } from "../../handler/domain/model-options.js";

describe("domain/model-options", () => {
  it("keeps the options /set would accept from an imported file", () => {
    expect(sanitizeOptions({ temperature: 0.7, num_ctx: 4096, seed: 0 })).toEqual({
      options: { temperature: 0.7, num_ctx: 4096, seed: 0 },
      dropped: [],
    });
  });

  it("drops unknown names, out-of-range values and non-numbers, naming each", () => {
    // Act
    const out = sanitizeOptions({
      temperature: 3,
      num_ctx: 1024.5,
      top_k: "40",
      mirostat: 1,
      toString: 1,
      top_p: 0.9,
    });

    // Assess: inherited object properties are not parameters either.
    expect(out).toEqual({
      options: { top_p: 0.9 },
      dropped: ["temperature", "num_ctx", "top_k", "mirostat", "toString"],
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
