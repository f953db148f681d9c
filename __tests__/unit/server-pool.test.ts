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
    answer?: (
      request: ModelRequest,
      onDelta?: (delta: { content: string; thinking: string }) => void,
    ) => Promise<ModelResult>;
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
    chat: async (request, onDelta) => {
      const label = request.server.label;
      calls.push(`chat ${label} ${request.model}`);
      requests.push(request);
      busy[label] = (busy[label] ?? 0) + 1;
      mostBusy[label] = Math.max(mostBusy[label] ?? 0, busy[label] ?? 0);
      try {
        return await (options.answer ? options.answer(request, onDelta) : RESULT);
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
  const ask = (model: string, signal = new AbortController().signal, chat?: string) => {
    const request: RoutedRequest = {
      model,
      messages: [],
      options: {},
      keepAlive: "5m",
      signal,
      deadline: Date.now() + 60_000,
      ...(chat === undefined ? {} : { chat }),
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

  it("a lone server takes every answer it is sent: OLLAMA_PARALLEL caps servers of a list, not one alone", async () => {
    // Arrange
    const answers = held();
    const {
      ask,
      pool: servers,
      mostBusy,
    } = pool({ a: ["llama3"] }, { parallel: 1, answer: answers.answer });

    // Act
    const all = Array.from({ length: 6 }, () => ask("llama3"));
    await waitFor(() => answers.count === 6, 5_000, "six answers under way");
    for (let i = 0; i < 6; i++) await answers.release(0);

    // Assess
    expect(await Promise.all(all)).toEqual(Array(6).fill("a"));
    expect(mostBusy).toEqual({ a: 6 });
    expect(servers.waiting).toBe(0);
  });

  it("between idle servers, each chat keeps to one of its own, and the chats spread over all", async () => {
    // Arrange
    const { ask } = pool({ a: ["llama3"], b: ["llama3"], c: ["llama3"] });
    const chats = Array.from({ length: 30 }, (_, i) => String(1_000_000 + i * 7));

    // Act: each chat twice, one answer at a time (as webhook invokes see the servers: idle)
    const first: string[] = [];
    const again: string[] = [];
    for (const chat of chats) first.push(await ask("llama3", undefined, chat));
    for (const chat of chats) again.push(await ask("llama3", undefined, chat));

    // Assess
    expect(again).toEqual(first);
    const per = (label: string) => first.filter((s) => s === label).length;
    for (const label of ["a", "b", "c"]) expect(per(label)).toBeGreaterThanOrEqual(5);
  });

  it("an answer waiting for a busy server takes another whose back-off ended meanwhile", async () => {
    // Arrange: one place each; b answers at length, a fails once and is left alone for 5 s
    const answers = held();
    let aFailed = false;
    const {
      ask,
      clock,
      pool: servers,
    } = pool(
      { a: ["llama3"], b: ["llama3"] },
      {
        parallel: 1,
        answer: async (r) => {
          if (r.server.label === "a" && !aFailed) {
            aFailed = true;
            throw failure("unreachable");
          }
          return answers.answer();
        },
      },
    );
    const long = ask("llama3"); // a refuses: goes to b, which holds it
    await waitFor(() => answers.count === 1, 5_000, "b answering");
    clock.now += FIRST_DOWN_MS - 30;

    // Act: a new answer waits for b (a is still down); then a's back-off ends
    const next = ask("llama3");
    await waitFor(() => servers.waiting === 1, 5_000, "the answer in line");
    clock.now += 60;

    // Assess: it went to a without waiting for b's long answer
    await waitFor(() => answers.count === 2, 5_000, "the waiting answer to start on a");
    await answers.release(1);
    expect(await next).toBe("a");
    await answers.release(0);
    expect(await long).toBe("b");
  });

  it("reports the most telling failure: a busy server's, not the 404 of one whose list was stale", async () => {
    // Arrange: a's queue is full (503); b listed the model a moment ago but no longer has it
    const { ask } = pool(
      { a: ["llama3"], b: ["llama3"] },
      {
        answer: async (r) => {
          throw failure(r.server.label === "a" ? "busy" : "not_found");
        },
      },
    );

    // Act
    const thrown = await ask("llama3").catch((err: unknown) => err);

    // Assess
    expect(thrown).toMatchObject({ name: "ModelError", kind: "busy" });
  });

  it("no first byte from a server that is writing others of our answers: the request goes elsewhere, the server is not left alone", async () => {
    // Arrange: each server writes one answer (held); a streams its own while Ollama queues the next
    const answers = held();
    let streamOnA: ((delta: { content: string; thinking: string }) => void) | undefined;
    const count = { a: 0, b: 0 };
    const { ask, clock, calls } = pool(
      { a: ["llama3"], b: ["llama3"] },
      {
        parallel: 2,
        answer: async (r, onDelta) => {
          const label = r.server.label === "a" ? "a" : "b";
          count[label]++;
          if (count[label] === 1) {
            if (label === "a") streamOnA = onDelta;
            return answers.answer();
          }
          if (label === "b" || count.a > 2) return RESULT;
          // Queued behind the first answer, which keeps streaming; the first-byte limit runs out.
          clock.now += 10;
          streamOnA?.({ content: "Once upon a time", thinking: "" });
          clock.now += 10;
          throw failure("timeout");
        },
      },
    );
    const running = [ask("llama3"), ask("llama3")];
    await waitFor(() => answers.count === 2, 5_000, "both servers writing");

    // Act: the next answer goes to a (a tie, a listed first), gets no first byte, then to b
    const queued = await ask("llama3");
    calls.length = 0;
    const after = await ask("llama3");
    for (let i = 0; i < 2; i++) await answers.release(0);
    await Promise.all(running);

    // Assess: b answered it, and a still takes answers while its first is written (not left alone)
    expect(queued).toBe("b");
    expect(after).toBe("a");
    expect(calls).toEqual(["chat a llama3"]);
  });

  it("no first byte from a server that wrote nothing meanwhile: it is left alone a while", async () => {
    // Arrange
    const { ask, calls } = pool(
      { a: ["llama3"], b: ["llama3"] },
      {
        answer: async (r) => {
          if (r.server.label === "a") throw failure("timeout");
          return RESULT;
        },
      },
    );

    // Act
    const first = await ask("llama3");
    calls.length = 0;
    const second = await ask("llama3");

    // Assess
    expect([first, second]).toEqual(["b", "b"]);
    expect(calls).toEqual(["chat b llama3"]);
  });

  it("failures seen while a server is left alone do not lengthen its back-off: /status and /models asking it count once", async () => {
    // Arrange: a refuses everything, its model list included
    const { ask, pool: servers, clock, calls } = pool({ a: failure("unreachable"), b: ["llama3"] });

    // Act: three surveys in the same second (as /status, /models, /status), then 5 s later
    for (let i = 0; i < 3; i++) await servers.survey();
    clock.now += FIRST_DOWN_MS;
    calls.length = 0;
    await ask("llama3");

    // Assess: a is asked again after 5 s, not after 5 + 10 + 20
    expect(calls).toContain("tags a");
  });
});
