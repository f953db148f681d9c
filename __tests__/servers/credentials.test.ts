import { describe, expect, it } from "@jest/globals";
import { envWith, newPerson, type PollSummary, placesTheBotWrote, say } from "../chat/support.js";
import { useTestBed } from "../harness/bed.js";
import { FakeSsm } from "../harness/fake-ssm.js";
import { repliesTo } from "../harness/people.js";
import { ollamaUrl, useServers } from "./support.js";

/** Each server's user and password (characters that must be percent-encoded in a URL too). */
const CREDENTIALS = [
  { user: "first", password: "Gpu-0ne/pass@word" },
  { user: "second", password: "Gpu-Tw0:secret%x" },
] as const;
const header = (c: { user: string; password: string }) =>
  `Basic ${Buffer.from(`${c.user}:${c.password}`).toString("base64")}`;

/**
 * Two servers behind reverse proxies with basic auth, each with its own user
 * and password in OLLAMA_URL: each server gets only its own, and neither
 * password is anywhere the bot writes.
 */
describe("several servers, each with its own credentials in OLLAMA_URL", () => {
  const bed = useTestBed({ telegram: { flood: false } });
  const servers = useServers(bed, 1);
  /** llama3 on the first server, mistral on the second, each behind its own basic auth: their OLLAMA_URL. */
  const guardedServers = (): string => {
    const [a, b] = servers();
    a?.setModels(["llama3"]);
    b?.setModels(["mistral"]);
    servers().forEach((s, i) => {
      const c = CREDENTIALS[i];
      if (c) s.requireBasicAuth(c.user, c.password);
    });
    return ollamaUrl(
      servers(),
      CREDENTIALS.map((c) => `${c.user}:${encodeURIComponent(c.password)}`),
    );
  };

  it("answers, lists, shows the status and pulls on both; each server sees only its own credentials, and no password is anywhere else", async () => {
    // Arrange
    const ana = newPerson("Ana");
    const env = envWith(bed, {
      OLLAMA_URL: guardedServers(),
      ADMIN_USER_IDS: String(ana.user.id),
    });

    // Act
    const results: PollSummary[] = [
      await say(bed, ana, ["hello", "/models", "/status", "/pull gemma3"], env),
      await say(bed, ana, ["/model mistral", "hello mistral", "/export", "/new"], env),
    ];

    // Assess: everything worked on both servers
    const replies = repliesTo(bed, ana);
    expect(replies).toContain("You said: hello");
    expect(replies).toContain("You said: hello mistral");
    expect(replies.join("\n")).toContain("✅ Pulled gemma3 onto");
    expect(replies.join("\n")).not.toContain("❌");
    servers().forEach((s, i) => {
      const c = CREDENTIALS[i];
      expect(new Set(s.requests().map((r) => r.path))).toEqual(
        new Set(["/api/chat", "/api/tags", "/api/show", "/api/pull"]),
      );
      expect(s.requests().filter((r) => c && r.authorization !== header(c))).toEqual([]);
    });

    // Assess: no password, written or encoded, anywhere else
    const leaks = CREDENTIALS.flatMap((c) => [
      c.password,
      encodeURIComponent(c.password),
      header(c).slice("Basic ".length),
    ]);
    const places = await placesTheBotWrote(bed, ana.chat.id, results);
    expect(Object.values(places).every((text) => text.length > 0)).toBe(true);
    expect(
      Object.fromEntries(
        Object.entries(places).map(([k, v]) => [k, leaks.filter((leak) => v.includes(leak))]),
      ),
    ).toEqual(Object.fromEntries(Object.keys(places).map((k) => [k, []])));
  });

  it("takes the whole list, each server with its password, from OLLAMA_URL_PARAMETER", async () => {
    // Arrange
    const ssm = await FakeSsm.start();
    try {
      const parameter = "/chatbot/ollama-servers";
      ssm.putParameter(parameter, guardedServers());
      const { OLLAMA_URL: _inline, ...env } = envWith(bed, {
        OLLAMA_URL_PARAMETER: parameter,
        AWS_ENDPOINT_URL_SSM: ssm.url,
      });
      const eve = newPerson("Eve");

      // Act
      const { logs } = await bed.captureLogs(() =>
        say(bed, eve, ["hello", "/model mistral", "hello mistral"], env),
      );

      // Assess: both servers answered, each with its own credentials from SSM
      expect(repliesTo(bed, eve)).toEqual(
        expect.arrayContaining(["You said: hello", "You said: hello mistral"]),
      );
      servers().forEach((s, i) => {
        const c = CREDENTIALS[i];
        expect(s.chats()).toHaveLength(1);
        expect(s.requests().filter((r) => c && r.authorization !== header(c))).toEqual([]);
      });
      expect(ssm.reads().map((r) => r.name)).toEqual([parameter]);
      const passwords = CREDENTIALS.flatMap((c) => [c.password, encodeURIComponent(c.password)]);
      expect(passwords.filter((p) => logs.join("\n").includes(p))).toEqual([]);
    } finally {
      await ssm.close();
    }
  });
});
