import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { WEBHOOK_SECRET, webhookDelivery, webhookUpdate } from "../faults/support.js";
import { useTestBed } from "../harness/bed.js";
import { FakeSsm } from "../harness/fake-ssm.js";
import { coldStart, nodeProcess } from "../harness/lambda.js";
import { person, repliesTo } from "../harness/people.js";
import { voiceNote } from "../voice/support.js";

const TOKEN_PARAMETER = "/chatbot/telegram-token";

/** How a cold start with `env` fails its first invoke: the error's name and message ("no error" if it does not). */
const failureOf = (env: Record<string, string>) =>
  coldStart(env)
    .invoke({})
    .then(
      () => "no error",
      (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)),
    );

describe("the bot token from SSM Parameter Store (TELEGRAM_BOT_TOKEN_PARAMETER)", () => {
  const bed = useTestBed();
  let ssm: FakeSsm;
  beforeAll(async () => {
    ssm = await FakeSsm.start();
  });
  afterAll(() => ssm.close());

  /** The bed's environment without the token, naming the parameter that holds it instead. */
  const fromSsm = (
    endpoint: "AWS_ENDPOINT_URL_SSM" | "AWS_ENDPOINT_URL" = "AWS_ENDPOINT_URL_SSM",
  ) => {
    const { TELEGRAM_BOT_TOKEN: _token, ...env } = bed.env;
    return { ...env, TELEGRAM_BOT_TOKEN_PARAMETER: TOKEN_PARAMETER, [endpoint]: ssm.url };
  };

  it("reads it once per cold start, decrypted, and never puts it in the environment or the logs", async () => {
    // Prepare
    ssm.putParameter(TOKEN_PARAMETER, bed.telegram.token);
    const u = person("Sam");
    const before = ssm.reads().length;
    const lambda = coldStart(fromSsm());

    // Act
    const { logs } = await bed.captureLogs(async () => {
      bed.telegram.pushText(u.user, u.chat, "hello");
      await lambda.invoke({});
      bed.telegram.pushText(u.user, u.chat, "and again");
      await lambda.invoke({});
      await lambda.invoke({});
    });
    const afterWarm = ssm.reads().length;
    await coldStart(fromSsm()).invoke({});

    // Assess
    expect(bed.telegram.sentMessages(u.chat.id)).toHaveLength(2);
    expect(afterWarm - before).toBe(1);
    expect(ssm.reads().length - afterWarm).toBe(1);
    expect(ssm.reads().at(-1)).toEqual({
      operation: "GetParameter",
      name: TOKEN_PARAMETER,
      withDecryption: true,
    });
    expect(Object.values(nodeProcess.env).join("\n")).not.toContain(bed.telegram.token);
    expect(logs.join("\n")).not.toContain(bed.telegram.token.split(":")[1]);
  });

  it("finds SSM through AWS_ENDPOINT_URL too, as every other client does", async () => {
    // Prepare
    ssm.putParameter(TOKEN_PARAMETER, bed.telegram.token);
    const before = ssm.reads().length;
    const u = person("Ines");
    bed.telegram.pushText(u.user, u.chat, "hi");

    // Act
    await coldStart(fromSsm("AWS_ENDPOINT_URL")).invoke({});

    // Assess
    expect(ssm.reads().length - before).toBe(1);
    expect(bed.telegram.sentMessages(u.chat.id)).toHaveLength(1);
  });

  it("fails the invoke naming the setting and the command that creates a missing parameter, and reads again on the next invoke", async () => {
    // Prepare
    const missing = "/chatbot/not-created-yet";
    const { TELEGRAM_BOT_TOKEN: _token, ...rest } = bed.env;
    const env = { ...rest, TELEGRAM_BOT_TOKEN_PARAMETER: missing, AWS_ENDPOINT_URL_SSM: ssm.url };
    const lambda = coldStart(env);

    // Act
    const failure = await lambda.invoke({}).then(
      () => undefined,
      (err: unknown) => err,
    );
    ssm.putParameter(missing, bed.telegram.token);
    const retried = await lambda.invoke<{ status: string }>({});

    // Assess
    expect(failure).toMatchObject({ name: "ConfigError" });
    expect(String((failure as Error).message)).toMatch(
      /TELEGRAM_BOT_TOKEN_PARAMETER names the SSM parameter "\/chatbot\/not-created-yet", which does not exist.*aws ssm put-parameter --type SecureString/,
    );
    expect(retried.status).toBeDefined();
  });

  it("says when the function may not read the parameter, and refuses a token set both ways", async () => {
    // Prepare
    const forbidden = "/chatbot/forbidden";
    ssm.putParameter(forbidden, bed.telegram.token);
    ssm.deny(forbidden);
    const { TELEGRAM_BOT_TOKEN: _token, ...rest } = bed.env;

    // Act
    const denied = await failureOf({
      ...rest,
      TELEGRAM_BOT_TOKEN_PARAMETER: forbidden,
      AWS_ENDPOINT_URL_SSM: ssm.url,
    });
    const both = await failureOf({ ...bed.env, TELEGRAM_BOT_TOKEN_PARAMETER: TOKEN_PARAMETER });
    const malformed = await failureOf({ ...rest, TELEGRAM_BOT_TOKEN_PARAMETER: "chatbot/token" });

    // Assess
    expect(denied).toMatch(
      /^ConfigError: TELEGRAM_BOT_TOKEN_PARAMETER: SSM refused to read parameter "\/chatbot\/forbidden" \(AccessDeniedException: .*ssm:GetParameter/,
    );
    expect(both).toMatch(/both TELEGRAM_BOT_TOKEN and TELEGRAM_BOT_TOKEN_PARAMETER are set/);
    expect(malformed).toMatch(/TELEGRAM_BOT_TOKEN_PARAMETER must start with \/ when it has a path/);
    for (const message of [denied, both, malformed])
      expect(message).not.toContain(bed.telegram.token.split(":")[1]);
  });

  it("reads the webhook secret from SSM too, and warns once when a parameter is not a SecureString", async () => {
    // Prepare
    ssm.putParameter(TOKEN_PARAMETER, bed.telegram.token, "String");
    ssm.putParameter("/chatbot/webhook-secret", WEBHOOK_SECRET);
    const env = {
      ...fromSsm(),
      TELEGRAM_WEBHOOK_SECRET_PARAMETER: "/chatbot/webhook-secret",
    };
    const u = person("Wes");
    const lambda = coldStart(env);

    // Act
    const { result, logs } = await bed.captureLogs(async () => ({
      forged: await lambda.invoke<{ statusCode: number }>(
        webhookDelivery(webhookUpdate(u, "forged"), "not-the-secret"),
      ),
      real: await lambda.invoke<{ statusCode: number }>(
        webhookDelivery(webhookUpdate(u, "hello"), WEBHOOK_SECRET),
      ),
    }));

    // Assess
    expect(result.forged.statusCode).toBe(401);
    expect(result.real.statusCode).toBe(200);
    expect(bed.telegram.sentMessages(u.chat.id)).toHaveLength(1);
    const warnings = logs.filter((l) => l.includes("stored unencrypted"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("TELEGRAM_BOT_TOKEN_PARAMETER");
    expect(logs.join("\n")).not.toContain(WEBHOOK_SECRET);
  });
});

/**
 * The other secrets of the settings table, the speech server's key and the
 * Ollama URL with its password (basic auth on a reverse proxy), read from SSM
 * as the token is: both fakes refuse requests without the right credentials.
 */
describe("every sensitive setting from SSM: TRANSCRIBE_API_KEY_PARAMETER, OLLAMA_URL_PARAMETER", () => {
  const KEY = "sk-from-ssm-0123456789abcdef";
  const PASSWORD = "Pr0xy$ecret/in@ssm:7";
  const KEY_PARAMETER = "/chatbot/transcribe-api-key";
  const URL_PARAMETER = "/chatbot/ollama-url";
  const bed = useTestBed({
    speechKey: KEY,
    env: { STREAM_REPLIES: "false" },
    telegram: { flood: false },
  });
  let ssm: FakeSsm;
  beforeAll(async () => {
    ssm = await FakeSsm.start();
    bed.ollama.requireBasicAuth("bot", PASSWORD);
  });
  afterAll(() => ssm.close());

  const ollamaUrl = () => bed.ollama.url.replace("://", `://bot:${encodeURIComponent(PASSWORD)}@`);
  /** Every form the two secrets could leak in. */
  const leaks = () => [KEY, PASSWORD, encodeURIComponent(PASSWORD), ollamaUrl()];
  /** The bed's environment with both secrets replaced by the names of their parameters. */
  const fromSsm = (overrides: Record<string, string> = {}) => {
    const { TRANSCRIBE_API_KEY: _key, OLLAMA_URL: _url, ...env } = bed.env;
    return {
      ...env,
      TRANSCRIBE_API_KEY_PARAMETER: KEY_PARAMETER,
      OLLAMA_URL_PARAMETER: URL_PARAMETER,
      AWS_ENDPOINT_URL_SSM: ssm.url,
      ...overrides,
    };
  };
  it("reads both once per cold start, decrypted: a voice note is heard and answered, neither secret in the environment or the logs", async () => {
    // Prepare
    ssm.putParameter(KEY_PARAMETER, KEY);
    ssm.putParameter(URL_PARAMETER, ollamaUrl());
    const u = person("Vic");
    const before = ssm.reads().length;
    const lambda = coldStart(fromSsm());

    // Act
    const { logs } = await bed.captureLogs(async () => {
      voiceNote(bed, u, "Hello from the parameter store");
      await lambda.invoke({});
      bed.telegram.pushText(u.user, u.chat, "and in writing");
      await lambda.invoke({});
      await lambda.invoke({});
    });
    const warm = ssm.reads().slice(before);
    await coldStart(fromSsm()).invoke({});
    const next = ssm.reads().slice(before + warm.length);

    // Assess: it worked, with the credentials from SSM
    expect(repliesTo(bed, u)).toEqual([
      expect.stringContaining("Hello from the parameter store"),
      "You said: Hello from the parameter store",
      "You said: and in writing",
    ]);
    expect(bed.speech.calls().at(-1)?.authorization).toBe(`Bearer ${KEY}`);
    const basic = `Basic ${Buffer.from(`bot:${PASSWORD}`).toString("base64")}`;
    expect(bed.ollama.requests().filter((r) => r.authorization !== basic)).toEqual([]);

    // Assess: read once per cold start, with decryption
    const reads = [KEY_PARAMETER, URL_PARAMETER].map((name) => ({
      operation: "GetParameter",
      name,
      withDecryption: true,
    }));
    expect(warm).toEqual(expect.arrayContaining(reads));
    expect(warm).toHaveLength(2);
    expect(next).toEqual(expect.arrayContaining(reads));
    expect(next).toHaveLength(2);

    // Assess: in the config only
    const environment = Object.values(nodeProcess.env).join("\n");
    expect(leaks().filter((leak) => environment.includes(leak))).toEqual([]);
    expect(leaks().filter((leak) => logs.join("\n").includes(leak))).toEqual([]);
  });

  it("names the parameter, never the value, when SSM holds one its setting refuses; refuses a secret set both ways", async () => {
    // Prepare
    const badUrl = "/chatbot/ollama-url-with-query";
    ssm.putParameter(badUrl, `${ollamaUrl()}/?token=x`);

    // Act
    const refused = await failureOf(fromSsm({ OLLAMA_URL_PARAMETER: badUrl }));
    const both = await failureOf(fromSsm({ TRANSCRIBE_API_KEY: KEY }));
    const malformed = await failureOf(fromSsm({ OLLAMA_URL_PARAMETER: "ollama/url" }));

    // Assess
    expect(refused).toBe(
      `ConfigError: Invalid configuration: OLLAMA_URL, read from the SSM parameter "${badUrl}" (OLLAMA_URL_PARAMETER), must be a base URL, without ?query or #fragment`,
    );
    expect(both).toMatch(/both TRANSCRIBE_API_KEY and TRANSCRIBE_API_KEY_PARAMETER are set/);
    expect(malformed).toMatch(/OLLAMA_URL_PARAMETER must start with \/ when it has a path/);
    for (const message of [refused, both, malformed])
      expect(leaks().filter((leak) => message.includes(leak))).toEqual([]);
  });
});
