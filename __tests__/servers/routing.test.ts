import { describe, expect, it } from "@jest/globals";
import { envWith, invoke, newPerson, type Person, say } from "../chat/support.js";
import { useTestBed } from "../harness/bed.js";
import type { FakeOllama } from "../harness/fake-ollama.js";
import { sessionItems } from "../harness/items.js";
import { allLogs, coldStart } from "../harness/lambda.js";
import { repliesTo } from "../harness/people.js";
import { ollamaUrl, useServers } from "./support.js";

/**
 * OLLAMA_URL with several servers, through the built bundle: answers spread
 * over them by model and load, never more at once per server than
 * OLLAMA_PARALLEL, and a server that is down is skipped without the user
 * seeing anything, while a failure mid-answer is reported as with one server.
 */
describe("several Ollama servers: answers by model and load, a server that is down skipped", () => {
  const bed = useTestBed({ telegram: { flood: false } });
  const servers = useServers(bed, 1);
  const env = (overrides: Record<string, string> = {}) =>
    envWith(bed, { OLLAMA_URL: ollamaUrl(servers()), STREAM_REPLIES: "false", ...overrides });
  const people = (n: number): Person[] => Array.from({ length: n }, () => newPerson("Load"));
  /**
   * The server `who`'s chat keeps to while both are idle (ties go by the chat),
   * found by a first message, and the other one.
   */
  const serversOf = async (who: Person): Promise<[FakeOllama, FakeOllama]> => {
    const [a, b] = servers();
    if (!a || !b) throw new Error("two servers");
    const before = a.chats().length;
    await say(bed, who, "which server is mine?", env());
    const mine = a.chats().length > before ? a : b;
    return [mine, mine === a ? b : a];
  };

  it("spreads answers under load over both servers, never more at once per server than OLLAMA_PARALLEL", async () => {
    // Arrange: eight users at once, two places per server, servers that could take four each
    const [a, b] = servers();
    for (const s of [a, b]) {
      if (!s) throw new Error("two servers");
      s.latencyMs = 300;
      s.parallel = 4;
    }
    const users = people(8);
    for (const u of users) bed.telegram.pushText(u.user, u.chat, `question of ${u.user.id}`);

    // Act
    const summary = await invoke(bed, env({ OLLAMA_PARALLEL: "2", MAX_CONCURRENCY: "8" }));

    // Assess: everyone answered once; both servers answered; neither had more than two at once
    expect(summary).toMatchObject({ handled: 8, failed: 0 });
    for (const u of users)
      expect(repliesTo(bed, u)).toEqual([`You said: question of ${u.user.id}`]);
    expect(a?.chats().length).toBeGreaterThanOrEqual(2);
    expect(b?.chats().length).toBeGreaterThanOrEqual(2);
    expect((a?.chats().length ?? 0) + (b?.chats().length ?? 0)).toBe(8);
    expect([a?.maxOpen, b?.maxOpen]).toEqual([2, 2]);
  });

  it("sends a lone server as many answers at once as MAX_CONCURRENCY allows, as before several servers existed", async () => {
    // Arrange: one server that takes eight at once, six users
    const [a] = servers();
    if (!a) throw new Error("a server");
    a.latencyMs = 300;
    a.parallel = 8;
    const users = people(6);
    for (const u of users) bed.telegram.pushText(u.user, u.chat, `alone ${u.user.id}`);

    // Act: OLLAMA_PARALLEL left at its default
    const summary = await invoke(bed, env({ OLLAMA_URL: a.url, MAX_CONCURRENCY: "6" }));

    // Assess
    expect(summary).toMatchObject({ handled: 6, failed: 0 });
    expect(a.maxOpen).toBe(6);
  });

  it("sends a model only one server has to that server, and /model accepts it", async () => {
    // Arrange
    const [a, b] = servers();
    a?.setModels(["llama3"]);
    b?.setModels(["llama3", "mistral"]);
    const ana = newPerson("Ana");

    // Act
    await say(bed, ana, ["/model mistral", "hello mistral"], env());

    // Assess
    expect(repliesTo(bed, ana)).toEqual([
      "Switched to mistral. Starting a new conversation.",
      "You said: hello mistral",
    ]);
    expect(b?.chats().map((r) => r.body.model)).toEqual(["mistral"]);
    expect(a?.chats()).toEqual([]);
    const [session] = await sessionItems(bed, ana.user.id);
    expect(session?.ollama_endpoint).toBe(b?.url);
  });

  it("sends a photo to the server that has the vision model: the vision check and the answer both asked there", async () => {
    // Arrange
    const [a, b] = servers();
    a?.setModels(["llama3"]);
    b?.setModels(["llama3", "llava"]);
    const eli = newPerson("Eli");
    await say(bed, eli, "/model llava", env());
    const image = Buffer.alloc(2_000, 0x31);
    image.set([0xff, 0xd8, 0xff, 0xe0], 0);

    // Act
    bed.telegram.pushPhoto(eli.user, eli.chat, [{ width: 90, height: 60, content: image }], {
      caption: "What is on it?",
    });
    const summary = await invoke(bed, env());

    // Assess: b saw the capability check and the image; a saw neither
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    expect(repliesTo(bed, eli).at(-1)).toBe("You said: What is on it?");
    const shown = (s: typeof a) =>
      s
        ?.requests()
        .filter((r) => r.path === "/api/show")
        .map((r) => r.body.model);
    expect(shown(b)).toContain("llava");
    expect(shown(a)).not.toContain("llava");
    expect(b?.chats().map((r) => r.body.messages.at(-1)?.images)).toEqual([
      [image.toString("base64")],
    ]);
    expect(a?.chats()).toEqual([]);
  });

  it("with a server down, its models' users are answered by the other unaware, and a model only it has gets a reply naming the model", async () => {
    // Arrange: a warm instance that saw both servers' models, then a goes away
    const [a, b] = servers();
    a?.setModels(["llama3", "phi3"]);
    b?.setModels(["llama3"]);
    const [bo, cy] = [newPerson("Bo"), newPerson("Cy")];
    const lambda = coldStart(env());
    for (const [who, text] of [
      [bo, "first"],
      [cy, "/model phi3"],
      [cy, "first"],
    ] as const)
      bed.telegram.pushText(who.user, who.chat, text);
    await lambda.invoke({});
    await a?.stop();

    // Act: the same warm instance, then a cold one that never saw a
    for (const who of [bo, cy]) bed.telegram.pushText(who.user, who.chat, "while a is down");
    const warm = await lambda.invoke({});
    for (const who of [bo, cy]) bed.telegram.pushText(who.user, who.chat, "still down");
    const cold = await invoke(bed, env());

    // Assess
    expect([warm, cold]).toMatchObject([
      { handled: 2, failed: 0 },
      { handled: 2, failed: 0 },
    ]);
    expect(repliesTo(bed, bo)).toEqual([
      "You said: first",
      "You said: while a is down",
      "You said: still down",
    ]);
    const [switched, answered, ...refused] = repliesTo(bed, cy);
    expect([switched, answered]).toEqual([
      "Switched to phi3. Starting a new conversation.",
      "You said: first",
    ]);
    expect(refused).toHaveLength(2);
    for (const reply of refused) {
      expect(reply).toContain(`I can't reach the Ollama server at ${a?.url}`);
      expect(reply).toContain('no other server has the model "phi3"');
      expect(reply).toContain("Your message is saved");
    }
    expect(b?.chats().map((r) => r.body.model)).toEqual(["llama3", "llama3"]);
    const [session] = await sessionItems(bed, bo.user.id);
    expect(session?.ollama_endpoint).toBe(b?.url);
    expect(allLogs().some((l) => l.includes("answers go to the other servers for a while"))).toBe(
      true,
    );
  });

  it("a 5xx before the answer goes to the other server (and the first is left alone a while); a failure mid-answer is reported and never sent again", async () => {
    // Arrange: Di's chat keeps to a, Ed's to e
    const [di, ed] = [newPerson("Di"), newPerson("Ed")];
    const [a, b] = await serversOf(di);
    const [e, f] = await serversOf(ed);
    for (const s of servers()) s.reset();
    a.failNext({ kind: "status", status: 500, error: "llama runner process has terminated" });

    // Act: Di's two messages in one invoke; then Ed's, whose answer breaks mid-stream
    await say(bed, di, ["one", "two"], env());
    const [aAfter, bAfter] = [a.chats().length, b.chats().length];
    const eBefore = e.chats().length;
    const fBefore = f.chats().length;
    e.failNext({ kind: "midstream", error: "CUDA error: out of memory", afterChunks: 1 });
    await say(
      bed,
      ed,
      "a long question that breaks",
      env({ STREAM_REPLIES: "true", STREAM_MODE: "edit" }),
    );

    // Assess
    expect(repliesTo(bed, di).slice(-2)).toEqual(["You said: one", "You said: two"]);
    expect([aAfter, bAfter]).toEqual([1, 2]);
    const [partial, error] = repliesTo(bed, ed).slice(-2);
    expect(partial).toBe("You said: a long");
    expect(error).toContain("stopped with an error mid-answer: CUDA error: out of memory");
    expect(e.chats().length).toBe(eBefore + 1);
    expect(f.chats().length).toBe(fBefore);
  });

  it("a server that sends no first byte in half the time left is given up for the other", async () => {
    // Arrange
    const fay = newPerson("Fay");
    const [a, b] = await serversOf(fay);
    for (const s of servers()) s.reset();
    a.failNext({ kind: "hang" });
    bed.telegram.pushText(fay.user, fay.chat, "hello?");

    // Act: about 12 s for the answer, so about 6 s for a's first byte
    const summary = await coldStart(env()).invoke({}, { timeoutMs: 22_000 });

    // Assess
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    expect(repliesTo(bed, fay).at(-1)).toBe("You said: hello?");
    expect(a.chats()).toHaveLength(1);
    expect(b.chats()).toHaveLength(1);
  });
});
