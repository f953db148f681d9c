import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "@jest/globals";
import { s3Keys } from "../archive/support.js";
import { useTestBed } from "../harness/bed.js";
import { sessionItems, tableItems } from "../harness/items.js";
import { allLogs } from "../harness/lambda.js";
import { repliesTo } from "../harness/people.js";
import {
  envWith,
  lastText,
  newPerson,
  type PollSummary,
  placesTheBotWrote,
  say,
} from "./support.js";

const USER = "chatbot";
/** Characters that must be percent-encoded in a URL, so decoding is exercised too. */
const PASSWORD = "Sup3r$ecret/pass@word:42";
const ENCODED = encodeURIComponent(PASSWORD);
const HEADER = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
/** Every form the password could leak in: written, percent-encoded, in the header. */
const LEAKS = [PASSWORD, ENCODED, HEADER.slice("Basic ".length), "Sup3r", "ecret"];

/** `url` with `user:password@` in front of the host, as an operator writes OLLAMA_URL. */
const withCredentials = (url: string, password = ENCODED) =>
  url.replace("://", `://${USER}:${password}@`);

/** The forms of the password found in `text`. */
const leaksIn = (text: string) => LEAKS.filter((leak) => text.includes(leak));

/**
 * OLLAMA_URL=http://user:password@host:port, the usual protection of an Ollama
 * a Lambda reaches over the internet: the fake Ollama sits behind a proxy that
 * demands basic auth (401 otherwise). Everything works, and the password is
 * found nowhere but in the Authorization header of the requests to it.
 */
describe("OLLAMA_URL with a user and password (basic auth on a reverse proxy)", () => {
  const bed = useTestBed({ telegram: { flood: false } });
  beforeAll(() => {
    bed.ollama.requireBasicAuth(USER, PASSWORD);
  });
  const env = (overrides: Record<string, string> = {}) =>
    envWith(bed, { OLLAMA_URL: withCredentials(bed.ollama.url), ...overrides });

  it("answers, lists, pulls, exports, archives and imports; the password is nowhere outside the requests", async () => {
    // Arrange
    const ana = newPerson("Ana");
    const admin = { ADMIN_USER_IDS: String(ana.user.id) };
    const results: PollSummary[] = [];

    // Act: chat, /models (tags and show), /status, /pull
    results.push(await say(bed, ana, ["hello", "/models", "/status", "/pull gemma3"], env(admin)));
    const chatted = repliesTo(bed, ana);
    // A session an older version stored, with the whole URL in ollama_endpoint.
    const [stored] = await sessionItems(bed, ana.user.id);
    await bed.aws.db.send(
      new PutCommand({
        TableName: bed.aws.table,
        Item: { ...stored, ollama_endpoint: withCredentials(bed.ollama.url) },
      }),
    );
    results.push(await say(bed, ana, ["/export", "/new"], env()));
    const [exported] = bed.telegram.documents(ana.chat.id);
    // A file naming the URL with its password comes back as an import.
    const file = JSON.parse(exported?.content.toString("utf8") ?? "{}") as {
      session: { ollama_endpoint: string };
    };
    file.session.ollama_endpoint = withCredentials(bed.ollama.url);
    bed.telegram.pushDocument(ana.user, ana.chat, {
      fileName: "session.json",
      content: JSON.stringify(file),
    });
    results.push(await say(bed, ana, "/sessions", env()));

    // Assess: it all worked, each request to Ollama carrying the credentials
    expect(chatted[0]).toBe("You said: hello");
    expect(chatted.join("\n")).toContain("llama3");
    expect(chatted.join("\n")).toMatch(/✅ reachable \(3 models installed\)/);
    expect(chatted.join("\n")).toContain("✅ Pulled gemma3");
    expect(lastText(bed, ana.chat.id)).toMatch(/imported/i);
    const requests = bed.ollama.requests();
    expect(new Set(requests.map((r) => r.path))).toEqual(
      new Set(["/api/chat", "/api/tags", "/api/show", "/api/pull"]),
    );
    expect(requests.filter((r) => r.authorization !== HEADER)).toEqual([]);

    // Assess: the record names the public URL
    const items = await tableItems(bed);
    const endpoints = items.flatMap((i) => (i.ollama_endpoint ? [i.ollama_endpoint] : []));
    expect(endpoints.length).toBeGreaterThanOrEqual(2);
    expect(new Set(endpoints)).toEqual(new Set([bed.ollama.url]));
    expect(JSON.parse(exported?.content.toString("utf8") ?? "{}")).toMatchObject({
      session: { ollama_endpoint: bed.ollama.url },
    });

    // Assess: the password nowhere else
    expect((await s3Keys(bed)).length).toBeGreaterThanOrEqual(2);
    const places = await placesTheBotWrote(bed, ana.chat.id, results);
    expect(Object.values(places).every((text) => text.length > 0)).toBe(true);
    expect(Object.fromEntries(Object.entries(places).map(([k, v]) => [k, leaksIn(v)]))).toEqual(
      Object.fromEntries(Object.keys(places).map((k) => [k, []])),
    );
  });

  it("tells the user and the operator that the proxy refused the credentials, without printing them", async () => {
    // Arrange
    const bo = newPerson("Bo");
    const wrong = "Wr0ng-Passw0rd-Given";
    const from = allLogs().length;

    // Act
    const summary = await say(
      bed,
      bo,
      ["hello", "/status"],
      env({ OLLAMA_URL: withCredentials(bed.ollama.url, wrong) }),
    );

    // Assess
    const [answer, status] = repliesTo(bed, bo);
    expect(answer).toContain(
      `The Ollama server at ${bed.ollama.url} (or the proxy in front of it) refused the bot's credentials (HTTP 401 Unauthorized)`,
    );
    expect(answer).toContain("check the user and password in OLLAMA_URL");
    expect(status).toContain("❌ not reachable");
    const logs = allLogs().slice(from);
    expect(logs.some((l) => l.includes('"kind":"unauthorized"'))).toBe(true);
    const everything = [JSON.stringify(summary), ...repliesTo(bed, bo), ...logs].join("\n");
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain("<html>");
  });

  it("names the server by its public URL when it cannot be reached", async () => {
    // Arrange: a port nothing listens on
    const cy = newPerson("Cy");
    const closed = "http://127.0.0.1:1";

    // Act
    await say(bed, cy, "hello", env({ OLLAMA_URL: withCredentials(closed) }));

    // Assess
    const [answer] = repliesTo(bed, cy);
    expect(answer).toContain(`I can't reach the Ollama server at ${closed}.`);
    expect(leaksIn(answer ?? "")).toEqual([]);
  });
});
