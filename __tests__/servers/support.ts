/**
 * Shared helpers of the several-servers suites: more fake Ollama servers beside
 * the bed's own, each started before the suite's tests and closed with its bed,
 * and the environment that lists them all in OLLAMA_URL.
 */
import { beforeAll, beforeEach } from "@jest/globals";
import type { SuiteBed } from "../harness/bed.js";
import { FakeOllama } from "../harness/fake-ollama.js";

/**
 * The bed's fake Ollama and `more` others, in OLLAMA_URL's order: each reset
 * before every test, closed with the bed. Read it in tests and hooks.
 */
export function useServers(bed: SuiteBed, more: number): () => readonly FakeOllama[] {
  let others: FakeOllama[] = [];
  beforeAll(async () => {
    others = await Promise.all(Array.from({ length: more }, () => FakeOllama.start()));
    bed.beforeClose(() => Promise.all(others.map((o) => o.close())));
  });
  beforeEach(async () => {
    // A test may have stopped one: each starts the next test up and empty-handed.
    await Promise.all([bed.ollama, ...others].map((o) => o.start()));
    for (const o of [bed.ollama, ...others]) o.reset();
  });
  return () => [bed.ollama, ...others];
}

/** OLLAMA_URL listing `servers` (with `credentials[i]` as `user:password@` of server i, when given). */
export function ollamaUrl(
  servers: readonly FakeOllama[],
  credentials: readonly (string | undefined)[] = [],
): string {
  return servers
    .map((s, i) => {
      const userInfo = credentials[i];
      return userInfo ? s.url.replace("://", `://${userInfo}@`) : s.url;
    })
    .join(",");
}
