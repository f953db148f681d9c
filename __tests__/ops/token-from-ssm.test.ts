import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { WEBHOOK_SECRET, webhookDelivery, webhookUpdate } from "../faults/support.js";
import { useTestBed } from "../harness/bed.js";
import { FakeSsm } from "../harness/fake-ssm.js";
import { coldStart, nodeProcess } from "../harness/lambda.js";
import { person } from "../harness/people.js";

const TOKEN_PARAMETER = "/chatbot/telegram-token";

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
    const fail = (env: Record<string, string>) =>
      coldStart(env)
        .invoke({})
        .then(
          () => "no error",
          (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)),
        );

    // Act
    const denied = await fail({
      ...rest,
      TELEGRAM_BOT_TOKEN_PARAMETER: forbidden,
      AWS_ENDPOINT_URL_SSM: ssm.url,
    });
    const both = await fail({ ...bed.env, TELEGRAM_BOT_TOKEN_PARAMETER: TOKEN_PARAMETER });
    const malformed = await fail({ ...rest, TELEGRAM_BOT_TOKEN_PARAMETER: "chatbot/token" });

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
