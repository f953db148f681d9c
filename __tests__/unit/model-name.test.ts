import { describe, expect, it } from "@jest/globals";
import {
  canonicalModelName,
  MAX_MODEL_NAME_LENGTH,
  modelKeySegment,
} from "../../handler/domain/model-name.js";

describe("domain/model-name", () => {
  it("treats llama3 and llama3:latest as the same model", () => {
    expect(canonicalModelName("llama3:latest")).toBe("llama3");
    expect(canonicalModelName("llama3")).toBe(canonicalModelName("llama3:latest"));
  });

  it("lower-cases and trims names", () => {
    expect(canonicalModelName("  Llama3:8B ")).toBe("llama3:8b");
    expect(canonicalModelName("LLAMA3:LATEST")).toBe("llama3");
  });

  it("keeps tags other than latest", () => {
    expect(canonicalModelName("llama3:8b")).toBe("llama3:8b");
    expect(canonicalModelName("qwen2.5-coder:7b-instruct")).toBe("qwen2.5-coder:7b-instruct");
  });

  it("accepts namespaced and registry model names", () => {
    expect(canonicalModelName("hf.co/bartowski/Llama-3:Q4_K_M")).toBe(
      "hf.co/bartowski/llama-3:q4_k_m",
    );
  });

  it.each([
    ["_private/model_x:v1", "_private/model_x:v1"],
    ["localhost:5000/team/llama3:8b", "localhost:5000/team/llama3:8b"],
    ["Registry.Ollama.AI/library/Llama3:latest", "llama3"],
    ["registry.ollama.ai/library/llama3:8b", "llama3:8b"],
    ["registry.ollama.ai/other/llama3", "registry.ollama.ai/other/llama3"],
  ])("reads %j as Ollama's name rules do", (raw, canonical) => {
    expect(canonicalModelName(raw)).toBe(canonical);
  });

  it.each([
    [""],
    ["   "],
    ["-llama"],
    ["a/b/c/d"],
    ["name.space/model"],
    ["hf.co/user/.model"],
    ["llama3:-8b"],
    [`${"m".repeat(81)}`],
    ["llama3:"],
    ["llama3:8b:extra"],
    ["llama 3"],
    ["llama3;rm -rf"],
    [":latest"],
  ])("rejects the invalid name %j", (raw) => {
    expect(canonicalModelName(raw)).toBeUndefined();
  });

  it("rejects names longer than the maximum", () => {
    // Prepare: host/namespace/model:tag, each part within Ollama's bounds
    const longest = `h/${"n".repeat(40)}/${"m".repeat(40)}:${"t".repeat(MAX_MODEL_NAME_LENGTH - 84)}`;

    // Act / Assess
    expect(canonicalModelName(longest)).toBe(longest);
    expect(canonicalModelName(`${longest}a`)).toBeUndefined();
  });

  it("replaces the tag colon in key segments: llama3:8b becomes llama3_8b", () => {
    expect(modelKeySegment("llama3:8b")).toBe("llama3_8b");
  });

  it("keeps letters, digits, dot, underscore and dash in key segments", () => {
    expect(modelKeySegment("Qwen2.5_coder-7B")).toBe("Qwen2.5_coder-7B");
  });

  it("replaces every other character, including slashes, with an underscore", () => {
    expect(modelKeySegment("hf.co/user/model:q4 é+")).toBe("hf.co_user_model_q4___");
  });

  it("produces segments that never contain a path separator", () => {
    expect(modelKeySegment("../../etc/passwd")).not.toContain("/");
  });
});
