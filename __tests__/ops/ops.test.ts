import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { emptySummary } from "../../handler/app/intake/polling/poll-summary.js";
import type { PollSummary } from "../../handler/app/intake/polling/poller.js";
import { LOCAL_HIDDEN_FIELDS, prettyLine } from "../../local/pretty.js";
import { usesExternalAws } from "../../local/storage-choice.js";
import { main as destroyMain } from "../../scripts/ops/destroy.js";
import { main as failedMain } from "../../scripts/ops/failed.js";
import { formatSummary, main as invokeMain } from "../../scripts/ops/invoke.js";
import { explain, type Io, OperatorError, targetFromEnv } from "../../scripts/ops/lib.js";
import { formatLogMessage, parseLogsArgs } from "../../scripts/ops/logs.js";
import { parsePollArgs } from "../../scripts/ops/poll.js";
import { preflight } from "../../scripts/ops/up.js";
import { formatChecks, verify, main as verifyMain } from "../../scripts/ops/verify.js";
import { parseWebhookArgs, main as webhookMain } from "../../scripts/ops/webhook.js";
import { AwsEmulators } from "../harness/aws-emulators.js";
import { FakeTelegram } from "../harness/fake-telegram.js";
import { closedPort } from "../harness/http.js";
import { runScript } from "./support.js";

function recordingIo(): Io & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

const summary = (over: Partial<PollSummary> = {}): PollSummary => ({
  ...emptySummary(),
  offset: 100,
  ...over,
});

describe("targets and errors", () => {
  it("targets LocalStack on :4566 by default and AWS with DEPLOY_TARGET=aws", () => {
    expect(targetFromEnv({})).toMatchObject({
      kind: "localstack",
      endpoint: "http://localhost:4566",
      functionName: "telegram-bot",
      tableName: "ChatbotSessions",
      bucketName: "chatbot-conversations",
    });
    const aws = targetFromEnv({ DEPLOY_TARGET: "aws", AWS_REGION: "eu-west-1" });
    expect(aws.kind).toBe("aws");
    expect(aws.endpoint).toBeUndefined();
    expect(aws.region).toBe("eu-west-1");
  });

  it("turns a refused connection into 'LocalStack is not running' with the fix", () => {
    // Prepare
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4566"), {
      code: "ECONNREFUSED",
    });

    // Act
    const explained = explain(new Error("wrapped", { cause: refused }), targetFromEnv({}));

    // Assess
    expect(explained).toBeInstanceOf(OperatorError);
    expect((explained as Error).message).toContain(
      "LocalStack is not running at http://localhost:4566",
    );
    expect((explained as Error).message).toContain("docker compose up -d");
    const other = new Error("AccessDenied");
    expect(explain(other, targetFromEnv({}))).toBe(other);
  });

  it("npm run invoke says LocalStack is not running when nothing listens", async () => {
    // Prepare
    const port = await closedPort();
    const io = recordingIo();

    // Act
    const run = invokeMain({ LOCALSTACK_ENDPOINT: `http://127.0.0.1:${port}` }, io);

    // Assess
    await expect(run).rejects.toThrow(`LocalStack is not running at http://127.0.0.1:${port}`);
    expect(io.errors[0]).toContain("Invoking telegram-bot");
  });

  it("npm run invoke reads .env, like every operator script: it targets the LocalStack endpoint written there", async () => {
    // Arrange: .env names a LocalStack where nothing listens; the environment names none.
    const dir = mkdtempSync(join(tmpdir(), "invoke-dotenv-"));
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    writeFileSync(join(dir, ".env"), `LOCALSTACK_ENDPOINT=${endpoint}\n`);

    // Act
    const res = runScript("invoke", dir, join(dir, "no-stand-ins"), { DEPLOY_TARGET: "" });
    rmSync(dir, { recursive: true, force: true });

    // Assert
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`LocalStack is not running at ${endpoint}`);
  });

  it.each(["invoke", "poll", "logs", "failed"])(
    "npm run %s on AWS without credentials says in one line how to provide them",
    (script) => {
      // Arrange: no credentials anywhere (HOME is an empty folder) and no instance metadata.
      const dir = mkdtempSync(join(tmpdir(), `${script}-no-credentials-`));

      // Act
      const res = runScript(script, dir, join(dir, "no-stand-ins"), {
        AWS_EC2_METADATA_DISABLED: "true",
      });
      rmSync(dir, { recursive: true, force: true });

      // Assert
      const failure = res.stderr.split("\n").filter((l) => l.startsWith("✖"));
      expect(res.status).toBe(1);
      expect(failure).toEqual([expect.stringContaining("No AWS credentials for us-east-1")]);
      expect(failure[0]).toContain("AWS_PROFILE=<profile>");
      expect(failure[0]).toContain("aws configure");
      expect(failure[0]).toContain("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
      expect(res.stderr).not.toMatch(/^\s+at /m);
    },
  );

  it.each([
    ["poll", "npm run poll [-- --every <seconds>]"],
    ["logs", "npm run logs [-- --since <minutes>] [--once]"],
  ])("npm run %s -- --bogus names the option and the usage in one line", (script, usage) => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), `${script}-bogus-`));

    // Act
    const res = runScript(script, dir, join(dir, "no-stand-ins"), {}, ["--bogus"]);
    rmSync(dir, { recursive: true, force: true });

    // Assert
    expect(res.status).toBe(1);
    expect(res.stderr).toBe(`✖ Unknown option '--bogus'. Usage: ${usage}\n`);
  });

  it("npm run failed says LocalStack is not running when nothing listens", async () => {
    // Prepare
    const port = await closedPort();
    const io = recordingIo();

    // Act
    const run = failedMain([], { LOCALSTACK_ENDPOINT: `http://127.0.0.1:${port}` }, io);

    // Assess
    await expect(run).rejects.toThrow(`LocalStack is not running at http://127.0.0.1:${port}`);
  });

  it("npm run destroy says LocalStack is not running instead of a Terraform error", async () => {
    // Prepare
    const port = await closedPort();

    // Act
    const run = destroyMain({ LOCALSTACK_ENDPOINT: `http://127.0.0.1:${port}` }, recordingIo());

    // Assess
    await expect(run).rejects.toThrow(`LocalStack is not running at http://127.0.0.1:${port}`);
  });

  it("npm run verify says once that LocalStack is down, not once per check", async () => {
    // Prepare
    const port = await closedPort();
    const io = recordingIo();

    // Act
    const code = await verifyMain({ LOCALSTACK_ENDPOINT: `http://127.0.0.1:${port}` }, io);

    // Assess
    expect(code).toBe(1);
    expect(io.lines).toEqual([
      `✖ LocalStack is not running at http://127.0.0.1:${port}. Start it with "docker compose up -d" (or "npm run up" to start and deploy).`,
    ]);
  });

  it("npm run verify names each check when they fail for different reasons", () => {
    expect(
      formatChecks([
        { name: "bucket b", ok: false, detail: "NotFound: not found" },
        { name: "table t", ok: true, detail: "ACTIVE" },
      ]),
    ).toEqual(["✖ bucket b — NotFound: not found", "✔ table t — ACTIVE"]);
  });
});

describe("readable output", () => {
  it("summarises a poll in one line, mentioning only what happened", () => {
    expect(formatSummary(summary({ updates: 3, handled: 3, offset: 103 }), 2_340)).toBe(
      "✔ 3 updates, 3 answered in 2.3 s (next offset 103)",
    );
    expect(
      formatSummary(
        summary({ updates: 2, handled: 1, deferred: 1, errors: ["Ollama down"] }),
        1_000,
      ),
    ).toBe(
      "✔ 2 updates, 1 answered, 1 left for the next invoke in 1.0 s (next offset 100)\n  errors: Ollama down",
    );
    expect(formatSummary(summary({ status: "busy" }), 100)).toContain("another poll is running");
    expect(formatSummary(summary({ status: "conflict", message: "webhook is set" }), 100)).toBe(
      "⚠ webhook is set",
    );
  });

  it("prints the handler's JSON log lines as one readable line and leaves other lines alone", () => {
    const json =
      '{"level":"warn","time":"2026-11-25T12:00:01.000Z","msg":"ollama slow","model":"llama3"}';
    expect(prettyLine(json)).toBe("12:00:01 ! ollama slow model=llama3");
    expect(formatLogMessage(`${json}\n`)).toBe("12:00:01 ! ollama slow model=llama3");
    expect(formatLogMessage("START RequestId: abc Version: $LATEST\n")).toBe(
      "START RequestId: abc Version: $LATEST",
    );
    // An invoke's EMF document: its mode and the metrics that are not zero.
    const emf = JSON.stringify({
      _aws: {
        Timestamp: 1,
        CloudWatchMetrics: [
          {
            Namespace: "TelegramOllamaBot",
            Dimensions: [["service"]],
            Metrics: [
              { Name: "AnswersSent" },
              { Name: "UpdatesGivenUp" },
              { Name: "ModelAnswerMs" },
            ],
          },
        ],
      },
      service: "telegram-bot",
      mode: "poll",
      AnswersSent: 2,
      UpdatesGivenUp: 0,
      ModelAnswerMs: [900, 1200],
    });
    expect(formatLogMessage(emf)).toBe("metrics poll AnswersSent=2 ModelAnswerMs=[900,1200]");
  });

  it("leaves out fields that say nothing (empty, zero counts) and, for npm start, the Lambda invocation id", () => {
    const stop =
      '{"level":"info","time":"2026-11-25T12:00:02.000Z","msg":"poll finished","invocationId":"vm:4242:1","status":"ok","updates":1,"handled":1,"skipped":0,"failed":0,"offset":100001,"errors":[],"note":"","extra":{}}';
    expect(prettyLine(stop, LOCAL_HIDDEN_FIELDS)).toBe(
      "12:00:02   poll finished status=ok updates=1 handled=1 offset=100001",
    );
    // npm run logs reads a Lambda's log: there the invocation id tells runs apart.
    expect(formatLogMessage(stop)).toBe(
      "12:00:02   poll finished invocationId=vm:4242:1 status=ok updates=1 handled=1 offset=100001",
    );
  });
});

describe("arguments", () => {
  it("parses --every for npm run poll and refuses nonsense with the allowed range", () => {
    expect(parsePollArgs([])).toEqual({ everySeconds: 3 });
    expect(parsePollArgs(["--every", "10"])).toEqual({ everySeconds: 10 });
    expect(() => parsePollArgs(["--every", "0"])).toThrow("between 0.5 and 3600");
    expect(() => parsePollArgs(["--every", "soon"])).toThrow("between 0.5 and 3600");
    expect(() => parsePollArgs(["--nope"])).toThrow();
  });

  it("parses --since and --once for npm run logs", () => {
    expect(parseLogsArgs([])).toEqual({ sinceMinutes: 10, follow: true });
    expect(parseLogsArgs(["--since", "60", "--once"])).toEqual({ sinceMinutes: 60, follow: false });
    expect(() => parseLogsArgs(["--since", "-1"])).toThrow("--since");
  });

  it("parses webhook set/delete/info and insists on an HTTPS URL", () => {
    expect(parseWebhookArgs(["set", "https://abc.lambda-url.us-east-1.on.aws/"])).toEqual({
      action: "set",
      url: "https://abc.lambda-url.us-east-1.on.aws/",
    });
    expect(parseWebhookArgs(["delete"])).toEqual({ action: "delete" });
    expect(() => parseWebhookArgs(["set", "http://insecure"])).toThrow("HTTPS");
    // Telegram's ports for webhooks: 443, 80, 88, 8443.
    expect(parseWebhookArgs(["set", "https://bot.example.com:8443/hook"])).toMatchObject({
      action: "set",
    });
    expect(() => parseWebhookArgs(["set", "https://bot.example.com:8080/hook"])).toThrow(
      "Telegram sends webhooks only to ports 443, 80, 88, 8443",
    );
    expect(() => parseWebhookArgs([])).toThrow("Usage");
  });

  it("checks what npm run up needs before doing anything, and names every missing piece", async () => {
    const provider = async () => ({ ok: true as const, from: "a mirror" });
    const machine = (missing: string[]) => ({
      has: (command: string, args: readonly string[] = []) =>
        !missing.includes([command, ...args].join(" ")),
      provider,
    });
    const token = { TELEGRAM_BOT_TOKEN: "1:x" };
    expect(await preflight({}, machine([]))).toEqual([
      expect.stringContaining("TELEGRAM_BOT_TOKEN"),
    ]);
    expect(await preflight(token, machine(["docker compose version"]))).toEqual([
      expect.stringContaining("compose plugin"),
    ]);
    expect(await preflight(token, machine(["docker info"]))).toEqual([
      expect.stringContaining("engine is not running"),
    ]);
    expect(await preflight(token, machine(["terraform -version"]))).toEqual([
      expect.stringContaining("Terraform, which is not on PATH"),
    ]);
    expect(
      await preflight(
        {},
        {
          ...machine(["docker info"]),
          provider: async () => ({ ok: false, problem: "no provider" }),
        },
      ),
    ).toEqual([
      expect.stringContaining("TELEGRAM_BOT_TOKEN"),
      expect.stringContaining("engine is not running"),
      "no provider",
    ]);
    expect(
      await preflight({ ...token, DEPLOY_TARGET: "aws" }, machine(["docker compose version"])),
    ).toEqual([]);
    expect(await preflight(token, machine([]))).toEqual([]);
    expect(await preflight({ TELEGRAM_BOT_TOKEN_PARAMETER: "/bot/token" }, machine([]))).toEqual(
      [],
    );
  });

  it("npm start uses embedded storage unless an AWS or LocalStack endpoint is configured", () => {
    expect(usesExternalAws({})).toBe(false);
    expect(usesExternalAws({ AWS_ENDPOINT_URL: "http://localhost:4566" })).toBe(true);
    expect(usesExternalAws({ AWS_ENDPOINT_URL_DYNAMODB: "http://localhost:8000" })).toBe(true);
    expect(usesExternalAws({ USE_AWS: "true" })).toBe(true);
  });
});

describe("against emulators", () => {
  let aws: AwsEmulators;
  let telegram: FakeTelegram;
  beforeAll(async () => {
    [aws, telegram] = await Promise.all([AwsEmulators.start(), FakeTelegram.start()]);
  });
  afterAll(async () => {
    await Promise.all([aws.close(), telegram.close()]);
  });

  it("npm run verify finds the table and bucket and counts sessions and archives", async () => {
    // Prepare
    await aws.db.send(
      new PutCommand({
        TableName: aws.table,
        Item: { PK: "USER#1", SK: "MODEL#llama3#SESSION#a", status: "active" },
      }),
    );
    await aws.db.send(
      new PutCommand({
        TableName: aws.table,
        Item: { PK: "USER#1", SK: "MODEL#llama3#SESSION#b", status: "closed" },
      }),
    );
    await aws.db.send(
      new PutCommand({ TableName: aws.table, Item: { PK: "USER#1", SK: "PROFILE" } }),
    );
    await aws.s3.send(
      new PutObjectCommand({
        Bucket: aws.bucket,
        Key: "1/model_llama3/session_b.json",
        Body: "{}",
      }),
    );
    await aws.s3.send(
      // Not empty: the SDK takes a zero-length body for a stream of unknown length and warns.
      new PutObjectCommand({
        Bucket: aws.bucket,
        Key: "1/model_llama3/session_b.txt",
        Body: "transcript",
      }),
    );
    const down = `http://127.0.0.1:${await closedPort()}`;
    const common = {
      region: "us-east-1",
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      maxAttempts: 1,
    };
    const target = targetFromEnv({ LOCALSTACK_ENDPOINT: down });

    // Act
    const checks = await verify(
      {
        dynamo: new DynamoDBClient({ ...common, endpoint: aws.dynamoUrl }),
        s3: aws.s3,
        lambda: new LambdaClient({ ...common, endpoint: down }),
        logs: new CloudWatchLogsClient({ ...common, endpoint: down }),
      },
      target,
    );

    // Assess
    const [bucket, table, fn, logs] = checks;
    expect(bucket).toMatchObject({ ok: true, detail: "1 archived session" });
    expect(table).toMatchObject({ ok: true });
    expect(table?.detail).toContain("keys PK/SK, 1 active and 1 closed sessions");
    expect(fn?.ok).toBe(false);
    expect(logs?.ok).toBe(false);
  });

  it("npm run webhook sets, shows and deletes the webhook with the secret, never printing the token", async () => {
    // Prepare
    const env = {
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_URL: telegram.url,
      TELEGRAM_WEBHOOK_SECRET: "s3cret_value-1",
    };
    const io = recordingIo();
    const url = "https://abc.lambda-url.us-east-1.on.aws/";

    // Act
    await webhookMain(["set", url], env, io);
    const secretSeen = telegram.webhookSecretToken();
    await webhookMain(["info"], env, io);
    await webhookMain(["delete"], env, io);
    await webhookMain(["info"], env, io);

    // Assess
    expect(secretSeen).toBe("s3cret_value-1");
    // Exactly the update types the bot handles: Telegram keeps an older filter when none is named.
    expect(telegram.requests("setWebhook")[0]?.params.allowed_updates).toEqual([
      "message",
      "callback_query",
      "stopped_message_generation",
    ]);
    expect(io.lines[0]).toContain(`Webhook set to ${url}`);
    expect(io.lines[1]).toContain(`Webhook: ${url}`);
    expect(io.lines[3]).toContain("No webhook");
    for (const line of [...io.lines, ...io.errors]) expect(line).not.toContain(telegram.token);
  });

  it("npm run webhook refuses to set a webhook without a secret", async () => {
    const run = webhookMain(["set", "https://x.example/"], {
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_URL: telegram.url,
    });
    await expect(run).rejects.toThrow("TELEGRAM_WEBHOOK_SECRET");
  });
});
