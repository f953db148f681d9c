import { describe, expect, it } from "@jest/globals";
import type { ModelGateway, ModelRequest, ModelResult } from "../../handler/app/ports.js";
import {
  type RoutedRequest,
  ServerPool,
  TAGS_TTL_MS,
} from "../../handler/app/servers/server-pool.js";
import { FIRST_DOWN_MS } from "../../handler/app/servers/server-state.js";
import { OllamaServer } from "../../handler/domain/ollama-server.js";
import { ModelError, type ModelFailureKind } from "../../handler/errors.js";
import { createLogger } from "../../handler/log.js";
import { waitFor } from "../harness/people.js";

const RESULT: ModelResult = {
  content: "ok",
  thinking: "",
  promptTokens: 1,
  completionTokens: 1,
  totalMs: 1,
  loadMs: 0,
  doneReason: "stop",
};

/** A failure as the Ollama adapter reports it. */
const failure = (kind: ModelFailureKind, beforeAnswer = true) =>
  new ModelError(kind, "llama3", `Ollama ${kind}`, { beforeAnswer, servers: ["x"] });

/**
 * Servers `a`, `b`, … with the models of `tags` (an Error: `/api/tags` fails), a
 * gateway that records each call and answers chats as `answer` says (default:
 * at once), and a clock the test moves.
 */
function pool(
  tags: Record<string, readonly string[] | Error>,
  options: {
    parallel?: number;
    answer?: (request: ModelRequest) => Promise<ModelResult>;
  } = {},
) {
  const calls: string[] = [];
  const requests: ModelRequest[] = [];
  /** Answers each server is writing now, and the most at once. */
  const busy: Record<string, number> = {};
  const mostBusy: Record<string, number> = {};
  const clock = { now: 1_000_000 };
  const gateway: ModelGateway = {
    listModels: async (server) => {
      calls.push(`tags ${server.label}`);
      const listed = tags[server.label];
      if (listed instanceof Error) throw listed;
      return (listed ?? []).map((name) => ({ name, sizeBytes: 1 }));
    },
    chat: async (request) => {
      const label = request.server.label;
      calls.push(`chat ${label} ${request.model}`);
      requests.push(request);
      busy[label] = (busy[label] ?? 0) + 1;
      mostBusy[label] = Math.max(mostBusy[label] ?? 0, busy[label] ?? 0);
      try {
        return await (options.answer ? options.answer(request) : RESULT);
      } finally {
        busy[label] = (busy[label] ?? 1) - 1;
      }
    },
    capabilities: async (server, model) => {
      calls.push(`show ${server.label} ${model}`);
      return ["completion"];
    },
    pull: async () => {},
  };
  const servers = Object.keys(tags).map((name) => OllamaServer.parse(`http://${name}`));
  const it = new ServerPool(
    gateway,
    { servers, parallel: options.parallel ?? 4, now: () => clock.now },
    createLogger({ level: "error", secrets: [], write: () => {} }),
  );
  const ask = (model: string, signal = new AbortController().signal) => {
    const request: RoutedRequest = {
      model,
      messages: [],
      options: {},
      keepAlive: "5m",
      signal,
      deadline: Date.now() + 60_000,
    };
    return it.chat(request).then((r) => r.server.label);
  };
  return { pool: it, calls, requests, clock, ask, mostBusy };
}

/** A chat answer the test releases. */
function held() {
  const waiting: (() => void)[] = [];
  return {
    answer: () => new Promise<ModelResult>((resolve) => waiting.push(() => resolve(RESULT))),
    release: async (i = 0) => {
      while (!waiting[i]) await new Promise((r) => setTimeout(r, 1));
      waiting.splice(i, 1)[0]?.();
    },
    get count() {
      return waiting.length;
    },
  };
}

describe("ServerPool: answers spread over the Ollama servers by model and load", () => {
  it("sends an answer to a server that has its model, the least busy first, the first listed on a tie", async () => {
    // Arrange
    const answers = held();
    const { ask, calls } = pool(
      { a: ["llama3:latest"], b: ["llama3", "mistral"] },
      { answer: answers.answer },
    );

    // Act
    const mistral = ask("mistral");
    await answers.release(0);
    const first = ask("llama3");
    const second = ask("llama3");
    await answers.release(0);
    const third = ask("llama3");
    for (let i = 0; i < 2; i++) await answers.release(0);

    // Assess
    expect(await Promise.all([mistral, first, second, third])).toEqual(["b", "a", "b", "a"]);
    expect(calls.filter((c) => c.startsWith("tags"))).toEqual(["tags a", "tags b"]);
  });

  it("never sends a server more than `parallel` answers at once: the rest wait, in order, for the first free place", async () => {
    // Arrange
    const answers = held();
    const {
      ask,
      pool: servers,
      mostBusy,
    } = pool({ a: ["llama3"], b: ["llama3"] }, { parallel: 1, answer: answers.answer });
    const leaving = new AbortController();

    // Act
    const running = [ask("llama3"), ask("llama3")];
    const waiting = [ask("llama3"), ask("llama3", leaving.signal), ask("llama3")];
    await waitFor(() => servers.waiting === 3, 5_000, "three answers in line");
    leaving.abort();
    const left = await waiting[1]?.catch((err: unknown) => err);
    await answers.release(1); // b's answer ends: the first in line takes b
    await answers.release(0); // a's answer ends: the next takes a

    // Assess: the two in line started, each on the server that freed
    for (let i = 0; i < 2; i++) await answers.release(0);
    expect(await Promise.all(running)).toEqual(["a", "b"]);
    expect(await waiting[0]).toBe("b");
    expect(await waiting[2]).toBe("a");
    expect(left).toMatchObject({ name: "ModelError", kind: "busy" });
    expect(servers.waiting).toBe(0);
    expect(mostBusy).toEqual({ a: 1, b: 1 });
  });

  it("a server that refuses is left alone for a while (twice as long after each failure) and the next one answers; one that answers is trusted again", async () => {
    // Arrange
    let aUp = false;
    const { ask, calls, clock } = pool(
      { a: ["llama3"], b: ["llama3"] },
      {
        answer: async (r) => {
          if (r.server.label === "a" && !aUp) throw failure("unreachable");
          return RESULT;
        },
      },
    );

    // Act and assess: refused, so b answers and a is left alone for 5 s
    expect(await ask("llama3")).toBe("b");
    calls.length = 0;
    expect(await ask("llama3")).toBe("b");
    expect(calls).toEqual(["chat b llama3"]);
    clock.now += FIRST_DOWN_MS;
    expect(await ask("llama3")).toBe("b");
    expect(calls.slice(1)).toEqual(["chat a llama3", "chat b llama3"]);
    // Down again, now for 10 s
    calls.length = 0;
    clock.now += 2 * FIRST_DOWN_MS - 1;
    await ask("llama3");
    expect(calls).toEqual(["chat b llama3"]);
    clock.now += 1;
    aUp = true;
    expect(await ask("llama3")).toBe("a");
    expect(await ask("llama3")).toBe("a");
  });

  it.each([
    ["a 5xx", failure("server_error")],
    ["a 503 busy", failure("busy")],
    ["no first byte in time", failure("timeout")],
  ])("%s before the answer sends the request to the next server", async (_what, err) => {
    // Arrange
    const { ask } = pool(
      { a: ["llama3"], b: ["llama3"] },
      {
        answer: async (r) => {
          if (r.server.label === "a") throw err;
          return RESULT;
        },
      },
    );

    // Act and assess
    expect(await ask("llama3")).toBe("b");
  });

  it("a failure once the answer streams is the caller's: no other server is asked", async () => {
    // Arrange
    const { ask, calls } = pool(
      { a: ["llama3"], b: ["llama3"] },
      {
        answer: async () => {
          throw failure("stream_error", false);
        },
      },
    );

    // Act
    const thrown = await ask("llama3").catch((err: unknown) => err);

    // Assess
    expect(thrown).toMatchObject({ kind: "stream_error" });
    expect(calls.filter((c) => c.startsWith("chat"))).toEqual(["chat a llama3"]);
  });

  it("a model only unreachable servers have is refused naming them; a model none has is not found", async () => {
    // Arrange: a listed phi3 before it went away
    let aDown = false;
    const { ask, pool: servers } = pool(
      { a: ["llama3", "phi3"], b: ["llama3"] },
      {
        answer: async (r) => {
          if (r.server.label === "a" && aDown) throw failure("unreachable");
          return RESULT;
        },
      },
    );
    await ask("phi3");
    aDown = true;

    // Act
    const onlyOnA = await ask("phi3").catch((err: unknown) => err);
    const nowhere = await ask("gemma3").catch((err: unknown) => err);

    // Assess
    expect(onlyOnA).toMatchObject({ kind: "unreachable", model: "phi3", servers: ["http://a"] });
    expect(nowhere).toMatchObject({ kind: "not_found", model: "gemma3" });
    expect(await ask("llama3")).toBe("b");
    expect(servers.servers.map((s) => s.label)).toEqual(["a", "b"]);
  });

  it("a 404 for a model a server listed sends the request on, and that server's list is asked again", async () => {
    // Arrange
    let aHas = true;
    const { ask, calls } = pool(
      { a: ["llama3"], b: ["llama3"] },
      {
        answer: async (r) => {
          if (r.server.label === "a" && !aHas) throw failure("not_found");
          return RESULT;
        },
      },
    );
    await ask("llama3");
    aHas = false;

    // Act
    const server = await ask("llama3");

    // Assess
    expect(server).toBe("b");
    expect(calls.filter((c) => c === "tags a")).toHaveLength(1);
    await ask("llama3");
    expect(calls.filter((c) => c === "tags a")).toHaveLength(2);
  });

  it("lists are trusted for a while, and asked again at once when no server seems to have a model", async () => {
    // Arrange
    const tags: Record<string, string[]> = { a: ["llama3"], b: ["llama3"] };
    const { ask, calls, clock } = pool(tags);
    await ask("llama3");

    // Act: pulled by hand on b a moment later
    tags.b = ["llama3", "qwen3"];
    clock.now += 2_000;
    const qwen = await ask("qwen3");
    clock.now += TAGS_TTL_MS + 1;
    await ask("llama3");

    // Assess
    expect(qwen).toBe("b");
    expect(calls.filter((c) => c.startsWith("tags"))).toEqual([
      "tags a",
      "tags b",
      "tags a",
      "tags b",
      "tags a",
      "tags b",
    ]);
  });

  it("gives the first server half the time left for its first byte only when another has the model", async () => {
    // Arrange
    const { ask, requests } = pool({ a: ["llama3", "phi3"], b: ["llama3"] });

    // Act
    await ask("llama3");
    await ask("phi3");

    // Assess
    expect(requests[0]?.firstByteMs).toBeGreaterThan(25_000);
    expect(requests[0]?.firstByteMs).toBeLessThanOrEqual(30_000);
    expect(requests[1]?.firstByteMs).toBeUndefined();
  });

  it("asks what a model can do of a server that has it", async () => {
    // Arrange
    const { pool: servers, calls } = pool({ a: ["llama3"], b: ["llava"] });

    // Act
    await servers.capabilities("llava", new AbortController().signal);

    // Assess
    expect(calls.filter((c) => c.startsWith("show"))).toEqual(["show b llava"]);
  });

  it("a lone server is asked without its list, however it failed before, and its own error comes back", async () => {
    // Arrange
    const { ask, calls } = pool(
      { a: new Error("never asked") },
      {
        answer: async () => {
          throw failure("unreachable");
        },
      },
    );

    // Act
    const errors = [
      await ask("llama3").catch((err: unknown) => err),
      await ask("llama3").catch((err: unknown) => err),
    ];

    // Assess
    expect(errors).toEqual([
      expect.objectContaining({ kind: "unreachable", servers: ["x"] }),
      expect.anything(),
    ]);
    expect(calls).toEqual(["chat a llama3", "chat a llama3"]);
  });
});
