import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { FakeOllama } from "./fake-ollama.js";
import { parseGoDuration } from "./go-duration.js";
import { waitFor } from "./people.js";

/** What the fake answers to a non-streamed chat with `extra` in the body. */
async function chat(
  ollama: FakeOllama,
  extra: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> | string }> {
  const res = await fetch(`${ollama.url}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({
      model: "llama3",
      messages: [{ role: "user", content: "hi" }],
      stream: false,
      ...extra,
    }),
  });
  const text = await res.text();
  const json = res.headers.get("content-type")?.includes("json");
  return { status: res.status, body: json ? (JSON.parse(text) as Record<string, unknown>) : text };
}

describe("FakeOllama reads keep_alive as Ollama's api.Duration does", () => {
  let ollama: FakeOllama;
  beforeAll(async () => {
    ollama = await FakeOllama.start();
  });
  afterAll(() => ollama.close());

  it.each([-1, 0, 3600, 1.5, "5m", "-1s", "1h30m", "300ms", "0", "+2h", ".5s", "1µs"])(
    "accepts keep_alive %j",
    async (keepAlive) => {
      expect((await chat(ollama, { keep_alive: keepAlive })).status).toBe(200);
    },
  );

  it.each([
    ["-1", 'time: missing unit in duration "-1"'],
    ["3600", 'time: missing unit in duration "3600"'],
    ["5x", 'time: unknown unit "x" in duration "5x"'],
    ["forever", 'time: invalid duration "forever"'],
    ["", 'time: invalid duration ""'],
    ["1h-5m", 'time: unknown unit "h-" in duration "1h-5m"'],
    [true, "Unsupported type: 'bool'"],
  ])("answers 400 to keep_alive %j with Ollama's error", async (keepAlive, error) => {
    expect(await chat(ollama, { keep_alive: keepAlive })).toEqual({ status: 400, body: { error } });
  });

  it("computes durations as Go does", () => {
    expect(parseGoDuration("1h30m")).toBe(5400e9);
    expect(parseGoDuration("1.5s")).toBe(1.5e9);
    expect(parseGoDuration("-300ms")).toBe(-300e6);
    expect(() => parseGoDuration("3000000h")).toThrow('time: invalid duration "3000000h"');
  });
});

describe("FakeOllama behind basic auth (a reverse proxy's auth_basic)", () => {
  let ollama: FakeOllama;
  const header = (credentials: string) => ({
    authorization: `Basic ${Buffer.from(credentials).toString("base64")}`,
  });
  beforeAll(async () => {
    ollama = await FakeOllama.start();
    ollama.requireBasicAuth("bot", "p@ss:word");
  });
  afterAll(() => ollama.close());

  it("answers with the right credentials and records the header", async () => {
    expect((await chat(ollama, {}, header("bot:p@ss:word"))).status).toBe(200);
    expect(ollama.requests().at(-1)?.authorization).toBe(header("bot:p@ss:word").authorization);
  });

  it("answers 401 with WWW-Authenticate and an HTML page otherwise, before Ollama sees the request", async () => {
    // Act
    const none = await fetch(`${ollama.url}/api/tags`);
    const wrong = await chat(ollama, { keep_alive: "-1" }, header("bot:nope"));

    // Assess
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Basic realm="Ollama"');
    expect(await none.text()).toContain("401 Authorization Required");
    expect(wrong.status).toBe(401);
  });
});

describe("FakeOllama answers `parallel` requests at once and queues the rest, as OLLAMA_NUM_PARALLEL does", () => {
  let ollama: FakeOllama;
  beforeAll(async () => {
    ollama = await FakeOllama.start();
  });
  afterAll(() => ollama.close());

  it("starts a queued request only when one in progress ends, in the order they came", async () => {
    // Arrange
    ollama.reset();
    ollama.parallel = 2;
    ollama.latencyMs = 150;

    // Act
    const answers = await Promise.all(
      ["a", "b", "c", "d", "e"].map((content) =>
        chat(ollama, { messages: [{ role: "user", content }] }),
      ),
    );

    // Assess: never more than two answered at once, though all five were open together
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(ollama.maxInFlight).toBe(2);
    expect(ollama.maxOpen).toBe(5);
    expect(ollama.open).toBe(0);
  });

  it("drops a request from the line when its client goes away, sending it nothing", async () => {
    // Arrange
    ollama.reset();
    ollama.parallel = 1;
    const held = ollama.holdAfterFirstChunk(() => true);
    // Long enough for several chunks: the first is held after its first.
    const long = "the first question, long enough to stream in several chunks";
    const firstResponse = await fetch(`${ollama.url}/api/chat`, {
      method: "POST",
      body: JSON.stringify({ model: "llama3", messages: [{ role: "user", content: long }] }),
    });
    const leaving = new AbortController();
    const queued = fetch(`${ollama.url}/api/chat`, {
      method: "POST",
      body: JSON.stringify({ model: "llama3", messages: [{ role: "user", content: "second" }] }),
      signal: leaving.signal,
    });
    await waitFor(() => ollama.open === 2, 5_000, "the second request in line");

    // Act
    leaving.abort();
    await expect(queued).rejects.toThrow();
    await waitFor(() => ollama.open === 1, 5_000, "the fake to see the client leave");
    held.release();
    await firstResponse.text();
    const third = await chat(ollama, { messages: [{ role: "user", content: "third" }] });

    // Assess: the one that left never started; the next one did
    expect(third.status).toBe(200);
    expect(ollama.maxInFlight).toBe(1);
    expect(ollama.chats().map((r) => r.firstChunkAt !== undefined)).toEqual([true, false, false]);
    expect(ollama.open).toBe(0);
  });
});
