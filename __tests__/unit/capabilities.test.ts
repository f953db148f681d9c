import { describe, expect, it } from "@jest/globals";
import { CapabilityCache, type CapabilityLookup } from "../../handler/app/models/capabilities.js";
import { ModelError } from "../../handler/errors.js";

/** A capability lookup (what the server pool answers), counting the lookups per model. */
function gateway(answers: Record<string, readonly string[] | Error>) {
  const asked: string[] = [];
  const model: CapabilityLookup = async (name) => {
    asked.push(name);
    const answer = answers[name];
    if (answer === undefined) throw new ModelError("not_found", name, `model '${name}' not found`);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { model, asked };
}

describe("the /api/show capability cache (clock passed in)", () => {
  it("asks Ollama once per model within the TTL, under any spelling of the name, and again after it", async () => {
    // Arrange
    let now = new Date("2026-11-26T10:00:00Z");
    const { model, asked } = gateway({ llava: ["completion", "vision"] });
    const cache = new CapabilityCache(model, {
      now: () => now,
      ttlMs: 60_000,
    });

    // Act
    const first = await cache.capabilitiesOf("llava");
    const again = await cache.capabilitiesOf("llava:latest");
    now = new Date(now.getTime() + 59_999);
    await cache.capabilitiesOf("LLaVA");
    now = new Date(now.getTime() + 1);
    await cache.capabilitiesOf("llava");

    // Assess
    expect(first).toEqual(["completion", "vision"]);
    expect(again).toEqual(first);
    expect(asked).toEqual(["llava", "llava"]);
  });

  it("does not remember a failed lookup", async () => {
    // Arrange
    const now = new Date("2026-11-26T10:00:00Z");
    const answers: Record<string, readonly string[] | Error> = {
      qwen3: new Error("socket hang up"),
    };
    const { model, asked } = gateway(answers);
    const cache = new CapabilityCache(model, {
      now: () => now,
    });

    // Act
    await expect(cache.capabilitiesOf("qwen3")).rejects.toThrow("socket hang up");
    answers.qwen3 = ["completion", "thinking", "tools"];
    const later = await cache.capabilitiesOf("qwen3");

    // Assess
    expect(later).toEqual(["completion", "thinking", "tools"]);
    expect(asked).toEqual(["qwen3", "qwen3"]);
  });
});
