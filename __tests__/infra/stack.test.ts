import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket/index.js";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js";
import { describe, expect, it } from "@jest/globals";
import { loadConfig } from "../../handler/config.js";
import {
  BUCKET_ACTIONS,
  LOG_ACTIONS,
  OBJECT_ACTIONS,
  SELF_INVOKE_ACTIONS,
  TABLE_ACTIONS,
} from "../../src/bot-function.js";
import { STACK_SERVICES } from "../../src/provider.js";
import { readSettings } from "../../src/settings.js";
import { HANDLER_SETTINGS } from "../../src/variables.js";
import { only, synth, TEST_WEBHOOK_SECRET } from "./synth.js";

interface PolicyStatement {
  sid?: string;
  effect?: string;
  actions: string[];
  resources: string[];
}

/** How the synthesized JSON refers to a Terraform variable. */
const variable = (name: string): string => `\${var.${name}}`;

const localstack = synth();
const aws = synth({ target: "aws" });

describe("provider", () => {
  it("targets LocalStack by default: test credentials, path-style S3, every service at :4566", () => {
    const p = localstack.json.provider.aws[0] ?? {};
    expect(p).toMatchObject({
      access_key: "test",
      secret_key: "test",
      region: "us-east-1",
      s3_use_path_style: true,
      skip_credentials_validation: true,
      skip_metadata_api_check: "true",
      skip_requesting_account_id: true,
    });
    const endpoints = (p.endpoints as Record<string, string>[])[0] ?? {};
    for (const service of ["s3", "dynamodb", "lambda", "iam", "sts", "logs"])
      expect(endpoints[service]).toBe("http://localhost:4566");
    expect(Object.keys(endpoints).sort()).toEqual([...STACK_SERVICES].sort());
  });

  it("starts every service the stack uses in docker-compose's LocalStack (SERVICES)", () => {
    const compose = readFileSync(
      resolve(import.meta.dirname, "..", "..", "docker-compose.yml"),
      "utf8",
    );
    const started = /SERVICES=([a-z0-9,]+)/.exec(compose)?.[1]?.split(",") ?? [];
    expect(started).toEqual(expect.arrayContaining([...STACK_SERVICES]));
  });

  it("targets real AWS with one setting: no endpoints, no fake credentials", () => {
    const p = aws.json.provider.aws[0] ?? {};
    expect(p.endpoints).toBeUndefined();
    expect(p.access_key).toBeUndefined();
    expect(p.secret_key).toBeUndefined();
    expect(p.skip_credentials_validation).toBeUndefined();
    expect(readSettings((_c, env) => ({ DEPLOY_TARGET: "aws" })[env]).target).toBe("aws");
  });

  it("rejects an unknown target, naming the setting", () => {
    expect(() => readSettings((_c, env) => ({ DEPLOY_TARGET: "azure" })[env])).toThrow(
      /DEPLOY_TARGET/,
    );
  });

  it("refuses names AWS would refuse, at synth, naming the setting and the rule", () => {
    const read = (values: Record<string, string>) => () => readSettings((_c, env) => values[env]);
    expect(read({ ARCHIVE_BUCKET_NAME: "My_Bucket" })).toThrow(
      /ARCHIVE_BUCKET_NAME "My_Bucket".*lowercase/,
    );
    expect(read({ SESSIONS_TABLE_NAME: "ab" })).toThrow(/SESSIONS_TABLE_NAME "ab".*3–255/);
    expect(read({ FUNCTION_NAME: "telegram bot" })).toThrow(/FUNCTION_NAME/);
    expect(read({ LOCALSTACK_ENDPOINT: "localhost:4566" })).toThrow(/LOCALSTACK_ENDPOINT.*http/);
    expect(read({ ENABLE_WEBHOOK: "maybe" })).toThrow(/ENABLE_WEBHOOK must be true or false/);
  });

  it("lets context override the environment and renames bucket and table", () => {
    // Prepare
    const values: Record<string, string> = {
      bucketName: "my-archive",
      SESSIONS_TABLE_NAME: "Chats",
    };

    // Act
    const s = readSettings((ctx, env) => values[ctx] ?? values[env]);
    const { json } = synth({ bucketName: s.bucketName, tableName: s.tableName });

    // Assess
    expect(only(json.resource, "aws_s3_bucket").bucket).toBe("my-archive");
    expect(only(json.resource, "aws_dynamodb_table").name).toBe("Chats");
  });
});

describe("storage", () => {
  it("creates the ChatbotSessions table of the design document, on demand, with TTL", () => {
    // cdktf's own matcher (Testing.setupJest), on the synthesized JSON, snake_case keys.
    expect(localstack.raw).toHaveResourceWithProperties(DynamodbTable, {
      name: "ChatbotSessions",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: "PK",
      range_key: "SK",
      ttl: { attribute_name: "expires_at", enabled: true },
    });
    const t = only(localstack.json.resource, "aws_dynamodb_table");
    expect(t.attribute).toEqual(
      expect.arrayContaining([
        { name: "PK", type: "S" },
        { name: "SK", type: "S" },
      ]),
    );
  });

  it("has sparse indexes that find idle sessions and a day's top users without a Scan", () => {
    const t = only(localstack.json.resource, "aws_dynamodb_table");
    expect(t.global_secondary_index).toEqual([
      {
        name: "ActiveByLastMessage",
        hash_key: "GSI1PK",
        range_key: "GSI1SK",
        projection_type: "KEYS_ONLY",
      },
      {
        name: "UsageByDay",
        hash_key: "usage_day",
        range_key: "day_tokens",
        projection_type: "INCLUDE",
        non_key_attributes: ["user_id", "user_name", "day_messages", "messages", "tokens"],
      },
    ]);
    expect(t.attribute).toEqual(
      expect.arrayContaining([
        { name: "usage_day", type: "S" },
        { name: "day_tokens", type: "N" },
      ]),
    );
  });

  it("turns point-in-time recovery on for AWS only", () => {
    expect(only(aws.json.resource, "aws_dynamodb_table").point_in_time_recovery).toEqual({
      enabled: true,
    });
    expect(only(localstack.json.resource, "aws_dynamodb_table").point_in_time_recovery).toEqual({
      enabled: false,
    });
  });

  it("creates the chatbot-conversations bucket private and encrypted", () => {
    const r = localstack.json.resource;
    expect(localstack.raw).toHaveResourceWithProperties(S3Bucket, {
      bucket: "chatbot-conversations",
    });
    expect(localstack.raw).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(only(r, "aws_s3_bucket_server_side_encryption_configuration").rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } },
    ]);
  });

  it("requires TLS by bucket policy on AWS, and never force-destroys transcripts there", () => {
    const docs = Object.values(aws.json.data.aws_iam_policy_document ?? {});
    const tls = docs
      .flatMap((d) => d.statement as PolicyStatement[])
      .find((s) => s.sid === "DenyInsecureTransport");
    expect(tls).toMatchObject({ effect: "Deny", actions: ["s3:*"] });
    expect(only(aws.json.resource, "aws_s3_bucket_policy")).toBeDefined();
    expect(only(aws.json.resource, "aws_s3_bucket").force_destroy).toBe(false);
    expect(only(localstack.json.resource, "aws_s3_bucket").force_destroy).toBe(true);
  });
});

describe("function", () => {
  const fn = only(localstack.json.resource, "aws_lambda_function");

  it("runs the esbuild bundle on nodejs22.x with an explicit timeout and memory", () => {
    expect(fn).toMatchObject({
      function_name: "telegram-bot",
      runtime: "nodejs22.x",
      handler: "index.handler",
      timeout: variable("lambda_timeout_seconds"),
      memory_size: variable("lambda_memory_mb"),
    });
    expect(String(fn.filename)).toMatch(/^assets\/.+\.zip$/);
    expect(fn.source_code_hash).toBe(`\${filebase64sha256("${String(fn.filename)}")}`);
    expect(localstack.json.variable.lambda_timeout_seconds?.default).toBe(300);
  });

  it("passes exactly the handler's environment contract", () => {
    const env = (fn.environment as { variables: Record<string, string> }).variables;
    expect(Object.keys(env).sort()).toEqual(
      [...HANDLER_SETTINGS.map((s) => s.env), "SESSIONS_TABLE", "ARCHIVE_BUCKET"].sort(),
    );
    expect(env.SESSIONS_TABLE).toMatch(/^\$\{aws_dynamodb_table\..+\.name\}$/);
    expect(env.ARCHIVE_BUCKET).toMatch(/^\$\{aws_s3_bucket\..+\.bucket\}$/);
    expect(env.TELEGRAM_BOT_TOKEN).toBe(variable("telegram_bot_token"));
  });

  it("gives Terraform variables the handler's own defaults", () => {
    // Prepare
    const env: Record<string, string> = { TELEGRAM_BOT_TOKEN: "1:aaaaaaaaaaaaaaaaaaaaaaaa" };
    for (const s of HANDLER_SETTINGS) if (s.default !== undefined) env[s.env] = String(s.default);

    // Act
    const fromVariables = loadConfig(env);
    const builtIn = loadConfig({ TELEGRAM_BOT_TOKEN: env.TELEGRAM_BOT_TOKEN });

    // Assess
    expect(fromVariables).toEqual(builtIn);
  });

  it("starts without --enable-source-maps: parsing the maps at every cold start costs more than it gives", () => {
    // The bot logs errors as name, message and cause, never stacks; the maps still ship in the
    // asset for an operator who sets NODE_OPTIONS while debugging (docs/performance.md).
    const env = (fn.environment as { variables: Record<string, string> }).variables;
    expect(env.NODE_OPTIONS ?? "").not.toContain("--enable-source-maps");
  });

  it("writes a log group /aws/lambda/telegram-bot with a retention period", () => {
    expect(only(localstack.json.resource, "aws_cloudwatch_log_group")).toMatchObject({
      name: "/aws/lambda/telegram-bot",
      retention_in_days: variable("log_retention_days"),
    });
  });

  it("reserves no fixed concurrency on AWS: a variable, unreserved (-1) unless set", () => {
    expect(only(aws.json.resource, "aws_lambda_function").reserved_concurrent_executions).toBe(
      variable("reserved_concurrency"),
    );
    expect(aws.json.variable.reserved_concurrency).toMatchObject({ type: "number", default: -1 });
  });

  it("adds a webhook function URL and a one-minute schedule only when asked", () => {
    const { json } = synth({ webhook: true, schedule: true });
    expect(only(json.resource, "aws_lambda_function_url").authorization_type).toBe("NONE");
    expect(only(json.resource, "aws_cloudwatch_event_rule").schedule_expression).toBe(
      "rate(1 minute)",
    );
    const permissions = Object.values(json.resource.aws_lambda_permission ?? {});
    expect(permissions.map((p) => p.principal).sort()).toEqual(["*", "*", "events.amazonaws.com"]);
    expect(json.output.webhook_url).toBeDefined();
    const selfInvoke = Object.entries(json.data.aws_iam_policy_document ?? {}).find(([name]) =>
      name.includes("self-invoke"),
    )?.[1];
    expect(selfInvoke?.statement).toEqual([
      {
        sid: "QueueWebhookUpdates",
        actions: [...SELF_INVOKE_ACTIONS],
        resources: [expect.stringMatching(/^\$\{aws_lambda_function\..+\.arn\}$/)],
      },
      {
        sid: "FailedUpdates",
        actions: ["sqs:SendMessage"],
        resources: [expect.stringMatching(/^\$\{aws_sqs_queue\..+\.arn\}$/)],
      },
    ]);
    expect(Object.keys(localstack.json.data.aws_iam_policy_document ?? {})).not.toEqual(
      expect.arrayContaining([expect.stringContaining("self-invoke")]),
    );
    expect(localstack.json.resource.aws_lambda_function_url).toBeUndefined();
    expect(localstack.json.resource.aws_cloudwatch_event_rule).toBeUndefined();
  });
});

describe("webhook on real AWS (DEPLOY_TARGET=aws ENABLE_WEBHOOK=true)", () => {
  const { json } = synth({ target: "aws", webhook: true });
  const permissions = Object.values(json.resource.aws_lambda_permission ?? {});
  const fnName = expect.stringMatching(/^\$\{aws_lambda_function\..+\.function_name\}$/);

  it("lets anyone call the auth-NONE function URL (lambda:InvokeFunctionUrl)", () => {
    expect(permissions).toContainEqual(
      expect.objectContaining({
        action: "lambda:InvokeFunctionUrl",
        principal: "*",
        function_url_auth_type: "NONE",
        function_name: fnName,
      }),
    );
  });

  it("lets anyone invoke the function only through its URL (required for URLs since Oct 2025)", () => {
    const viaUrl = permissions.filter((p) => p.action === "lambda:InvokeFunction");
    expect(viaUrl).toEqual([
      expect.objectContaining({
        principal: "*",
        invoked_via_function_url: true,
        function_name: fnName,
      }),
    ]);
    expect(viaUrl[0]).not.toHaveProperty("source_arn");
  });

  it("sends queued events that failed every attempt to an SQS queue (on-failure destination)", () => {
    const queue = only(json.resource, "aws_sqs_queue");
    expect(queue).toMatchObject({ name: "telegram-bot-failed-updates" });
    expect(only(json.resource, "aws_lambda_function_event_invoke_config")).toEqual({
      function_name: fnName,
      maximum_retry_attempts: 2,
      destination_config: {
        on_failure: { destination: expect.stringMatching(/^\$\{aws_sqs_queue\..+\.arn\}$/) },
      },
      // Lambda checks sqs:SendMessage on the role when the destination is set: the policy
      // that grants it must exist first, or the first apply fails.
      depends_on: [expect.stringMatching(/^aws_iam_role_policy\..*self-invoke-policy/)],
    });
    expect(json.output.failed_updates_queue).toBeDefined();
  });

  it("refuses an empty, too long or malformed webhook secret at synth, naming the setting and the rule", () => {
    const withSecret = (webhookSecret: string | undefined) => () =>
      synth({ target: "aws", webhook: true, webhookSecret });
    expect(withSecret(undefined)).toThrow(/ENABLE_WEBHOOK=true needs TELEGRAM_WEBHOOK_SECRET/);
    expect(withSecret("")).toThrow(/needs TELEGRAM_WEBHOOK_SECRET.*1–256 characters/);
    expect(withSecret("a".repeat(257))).toThrow(/not a valid webhook secret \(257 characters\)/);
    expect(withSecret("has space")).toThrow(/only A-Z, a-z, 0-9, _ and -/);
    expect(withSecret("ünicode")).toThrow(/not a valid webhook secret/);
    // The error never echoes the value: a near-miss secret is still a secret.
    const message = (() => {
      try {
        withSecret("secret!value")();
        return "no error";
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
    })();
    expect(message).toMatch(/not a valid webhook secret \(12 characters\)/);
    expect(message).not.toContain("secret!value");
    // Telegram's bounds are allowed; polling mode needs no secret at all.
    expect(withSecret("x")).not.toThrow();
    expect(withSecret("a".repeat(256))).not.toThrow();
    expect(() => synth({ webhook: false, webhookSecret: "" })).not.toThrow();
  });

  it("reads the secret at synth from TELEGRAM_WEBHOOK_SECRET or TF_VAR_telegram_webhook_secret", () => {
    const read = (values: Record<string, string>) =>
      readSettings((_c, env) => ({ ENABLE_WEBHOOK: "true", ...values })[env]).webhookSecret;
    expect(read({ TELEGRAM_WEBHOOK_SECRET: "from-env" })).toBe("from-env");
    expect(read({ TF_VAR_telegram_webhook_secret: "from-tf-var" })).toBe("from-tf-var");
    expect(read({})).toBeUndefined();
  });

  it("keeps the secret out of the JSON and lets Terraform refuse a bad TF_VAR at plan too", () => {
    const { raw, json } = synth({
      target: "aws",
      webhook: true,
      webhookSecret: TEST_WEBHOOK_SECRET,
    });
    expect(raw).not.toContain(TEST_WEBHOOK_SECRET);
    const variable = json.variable.telegram_webhook_secret;
    expect(variable).toMatchObject({ sensitive: true });
    expect(variable?.validation).toEqual([
      {
        condition: `\${can(regex("^[A-Za-z0-9_-]{1,256}$", var.telegram_webhook_secret))}`,
        error_message: expect.stringContaining("1–256 characters"),
      },
    ]);
    // Polling mode keeps the empty default usable.
    expect(synth().json.variable.telegram_webhook_secret?.validation).toBeUndefined();
  });

  it("asks Terraform for a hashicorp/aws version that knows invoked_via_function_url (>= 6.29.0)", () => {
    expect(json.terraform.required_providers.aws).toEqual({
      source: "aws",
      version: ">= 6.29.0, < 7.0.0",
    });
  });
});

describe("IAM", () => {
  const docs = localstack.json.data.aws_iam_policy_document ?? {};
  const access = Object.entries(docs).find(([name]) => name.includes("access"))?.[1];
  const statements = (access?.statement ?? []) as PolicyStatement[];
  const bySid = (sid: string) => statements.find((s) => s.sid === sid);

  it("grants only the DynamoDB calls the handler makes, on the table and its indexes", () => {
    const s = bySid("Sessions");
    expect(s?.actions).toEqual([...TABLE_ACTIONS]);
    expect(s?.resources).toEqual([
      expect.stringMatching(/^\$\{aws_dynamodb_table\..+\.arn\}$/),
      expect.stringMatching(/^\$\{aws_dynamodb_table\..+\.arn\}\/index\/\*$/),
    ]);
  });

  it("grants exactly the DynamoDB and S3 calls the handler's code makes (read from its source)", () => {
    // Prepare: every SDK command the adapters construct, e.g. `new UpdateCommand(` → dynamodb:UpdateItem,
    // and every paginator they run (`paginateQuery(` → dynamodb:Query).
    const dir = resolve(import.meta.dirname, "..", "..", "handler", "adapters");
    const source = readdirSync(dir)
      .map((f) => readFileSync(resolve(dir, f), "utf8"))
      .join("\n");
    const used = (re: RegExp) => new Set([...source.matchAll(re)].map((m) => m[1]));
    const dynamo = [...new Set([...used(/new (\w+)Command\(/g), ...used(/paginate(\w+)\(/g)])]
      .filter((c) =>
        ["Get", "Put", "Update", "Delete", "Query", "Scan", "BatchWrite", "BatchGet"].includes(
          c ?? "",
        ),
      )
      .map((c) => `dynamodb:${c === "Query" || c === "Scan" ? c : `${c}Item`}`);
    const s3 = [...used(/new (\w+Object)Command\(/g)].map((c) => `s3:${c}`);

    // Assess
    expect([...(bySid("Sessions")?.actions ?? [])].sort()).toEqual(dynamo.sort());
    expect([...(bySid("ArchiveObjects")?.actions ?? [])].sort()).toEqual(s3.sort());
  });

  it("grants object reads and writes on the bucket's objects and listing on the bucket", () => {
    expect(bySid("ArchiveObjects")).toMatchObject({
      actions: [...OBJECT_ACTIONS],
      resources: [expect.stringMatching(/^\$\{aws_s3_bucket\..+\.arn\}\/\*$/)],
    });
    expect(bySid("ArchiveBucket")).toMatchObject({
      actions: [...BUCKET_ACTIONS],
      resources: [expect.stringMatching(/^\$\{aws_s3_bucket\..+\.arn\}$/)],
    });
  });

  it("lets the function write only its own log group", () => {
    expect(bySid("OwnLogs")).toMatchObject({
      actions: [...LOG_ACTIONS],
      resources: [expect.stringMatching(/^\$\{aws_cloudwatch_log_group\..+\.arn\}:\*$/)],
    });
  });

  it("has no wildcard action and no wildcard resource anywhere", () => {
    expect(statements).toHaveLength(4);
    for (const s of statements) {
      for (const a of s.actions) expect(a).not.toMatch(/\*/);
      for (const r of s.resources) expect(r).not.toBe("*");
    }
    const policy = only(localstack.json.resource, "aws_iam_role_policy");
    expect(String(policy.policy)).toMatch(/^\$\{data\.aws_iam_policy_document\..+\.json\}$/);
  });
});

describe("secrets and outputs", () => {
  const sentinel = "123456:SENTINEL-token-never-in-json";

  it("declares the token variable sensitive, with no default", () => {
    const v = localstack.json.variable.telegram_bot_token;
    expect(v).toMatchObject({ sensitive: true, type: "string" });
    expect(v?.default).toBeUndefined();
  });

  it("never writes the token into the synthesized JSON, even when it is in the environment", () => {
    // Prepare
    process.env.TELEGRAM_BOT_TOKEN = sentinel;
    process.env.TF_VAR_telegram_bot_token = sentinel;
    try {
      // Act
      const { raw } = synth({ webhook: true, schedule: true });

      // Assess
      expect(raw).not.toContain(sentinel);
      expect(raw).not.toContain("SENTINEL");
    } finally {
      delete process.env.TELEGRAM_BOT_TOKEN;
      delete process.env.TF_VAR_telegram_bot_token;
    }
  });

  it("declares the transcription key sensitive and never writes it into the JSON, even when it is in the environment", () => {
    // Prepare
    const key = "sk-SENTINEL-transcribe-key-never-in-json";
    process.env.TRANSCRIBE_API_KEY = key;
    process.env.TF_VAR_transcribe_api_key = key;
    try {
      // Act
      const { raw, json } = synth({ target: "aws" });

      // Assess
      expect(json.variable.transcribe_api_key).toMatchObject({ sensitive: true, default: "" });
      expect(raw).not.toContain(key);
    } finally {
      delete process.env.TRANSCRIBE_API_KEY;
      delete process.env.TF_VAR_transcribe_api_key;
    }
  });

  it("declares OLLAMA_URL's variable sensitive and never writes a password given in the environment", () => {
    // Prepare: basic auth on a reverse proxy, as an operator sets it
    const withPassword = "https://bot:SENTINEL-ollama-pass@ollama.example.com";
    process.env.OLLAMA_URL = withPassword;
    process.env.TF_VAR_ollama_url = withPassword;
    try {
      // Act
      const { raw, json } = synth({ target: "aws", webhook: true, schedule: true });

      // Assess
      expect(json.variable.ollama_url).toMatchObject({ sensitive: true, type: "string" });
      expect(raw).not.toContain("SENTINEL");
      const fn = only(json.resource, "aws_lambda_function");
      const env = (fn.environment as { variables: Record<string, string> }).variables;
      expect(env.OLLAMA_URL).toBe(`\${var.ollama_url}`);
    } finally {
      delete process.env.OLLAMA_URL;
      delete process.env.TF_VAR_ollama_url;
    }
  });

  it("outputs the bucket, table, function and log group names", () => {
    expect(Object.keys(localstack.json.output)).toEqual(
      expect.arrayContaining(["bucket_name", "table_name", "function_name", "log_group_name"]),
    );
  });

  it("matches the reviewed stack (asset hashes and paths scrubbed)", () => {
    const scrubbed = localstack.raw
      .replace(/assets\/[^"\\]+\/archive\.zip/g, "assets/<bundle>/archive.zip")
      .replace(/"path": "[^"]*terraform\.[^"]*\.tfstate"/g, '"path": "<state>"');
    expect(JSON.parse(scrubbed)).toMatchSnapshot();
  });
});
