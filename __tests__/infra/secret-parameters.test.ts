import { describe, expect, it } from "@jest/globals";
import { SECRET_PARAMETERS, SETTINGS, type Setting, variableOf } from "../../handler/settings.js";
import { readSettings } from "../../src/settings.js";
import { only, type SynthJson, synth } from "./synth.js";

interface Statement {
  sid?: string;
  actions: string[];
  resources: string[];
  condition?: { test: string; variable: string; values: string[] }[];
}

/** `arn:<partition>:<service>:<region>:<account>:<rest>` as the stack writes it (Terraform data sources). */
const arnOf = (service: string, rest: string) =>
  new RegExp(
    `^arn:\\$\\{data\\.aws_partition\\..+\\.partition\\}:${service}:\\$\\{data\\.aws_region\\..+\\.region\\}:\\$\\{data\\.aws_caller_identity\\..+\\.account_id\\}:${rest.replace(/[/*]/g, "\\$&")}$`,
  );

const statementsOf = (json: SynthJson): Statement[] =>
  Object.values(json.data.aws_iam_policy_document ?? {}).flatMap(
    (doc) => (doc.statement ?? []) as Statement[],
  );
const envOf = (json: SynthJson): Record<string, string> =>
  (only(json.resource, "aws_lambda_function").environment as { variables: Record<string, string> })
    .variables;

describe("secrets in SSM Parameter Store (TELEGRAM_BOT_TOKEN_PARAMETER, TELEGRAM_WEBHOOK_SECRET_PARAMETER)", () => {
  const { json, raw } = synth({
    target: "aws",
    secretParameters: { TELEGRAM_BOT_TOKEN: "/chatbot/telegram-token" },
  });

  it("gives the function the parameter's name only: no token variable, no token in its environment", () => {
    const env = envOf(json);
    expect(env.TELEGRAM_BOT_TOKEN_PARAMETER).toBe("/chatbot/telegram-token");
    expect(env).not.toHaveProperty("TELEGRAM_BOT_TOKEN");
    expect(json.variable.telegram_bot_token).toBeUndefined();
    expect(raw).not.toContain("var.telegram_bot_token");
  });

  it("grants ssm:GetParameter on that parameter's ARN only, and kms:Decrypt only through SSM for it", () => {
    // Systems Manager user guide: GetParameter needs ssm:GetParameter on the parameter, a SecureString
    // kms:Decrypt on its key; KMS developer guide: kms:ViaService limits a key to requests a service
    // makes on the caller's behalf; Parameter Store sends the parameter's ARN as encryption context.
    const parameter = arnOf("ssm", "parameter/chatbot/telegram-token");
    const secret = statementsOf(json).filter((s) => /SecretParameters/.test(s.sid ?? ""));
    expect(secret).toEqual([
      {
        sid: "ReadSecretParameters",
        actions: ["ssm:GetParameter"],
        resources: [expect.stringMatching(parameter)],
      },
      {
        sid: "DecryptSecretParameters",
        actions: ["kms:Decrypt"],
        resources: [expect.stringMatching(arnOf("kms", "key/*"))],
        condition: [
          {
            test: "StringEquals",
            variable: "kms:ViaService",
            values: [
              expect.stringMatching(
                /^ssm\.\$\{data\.aws_region\..+\.region\}\.\$\{data\.aws_partition\..+\.dns_suffix\}$/,
              ),
            ],
          },
          {
            test: "StringEquals",
            variable: "kms:EncryptionContext:PARAMETER_ARN",
            values: [expect.stringMatching(parameter)],
          },
        ],
      },
    ]);
    const policy = Object.values(json.resource.aws_iam_role_policy ?? {}).find((p) =>
      String(p.name).includes("secret-parameters"),
    );
    expect(policy?.role).toMatch(/^\$\{aws_iam_role\..+\.id\}$/);
  });

  it("reads the webhook secret the same way, and then needs no secret at synth", () => {
    // Act
    const both = synth({
      target: "aws",
      webhook: true,
      webhookSecret: undefined,
      secretParameters: {
        TELEGRAM_BOT_TOKEN: "telegram-token",
        TELEGRAM_WEBHOOK_SECRET: "/chatbot/webhook-secret",
      },
    }).json;

    // Assess
    const env = envOf(both);
    expect(env).toMatchObject({
      TELEGRAM_BOT_TOKEN_PARAMETER: "telegram-token",
      TELEGRAM_WEBHOOK_SECRET_PARAMETER: "/chatbot/webhook-secret",
    });
    expect(env).not.toHaveProperty("TELEGRAM_WEBHOOK_SECRET");
    expect(both.variable.telegram_webhook_secret).toBeUndefined();
    const read = statementsOf(both).find((s) => s.sid === "ReadSecretParameters");
    expect(read?.resources).toEqual([
      expect.stringMatching(arnOf("ssm", "parameter/telegram-token")),
      expect.stringMatching(arnOf("ssm", "parameter/chatbot/webhook-secret")),
    ]);
  });

  it("grants nothing of SSM or KMS when no parameter is named", () => {
    const plain = synth({ target: "aws", webhook: true, schedule: true }).json;
    const actions = statementsOf(plain).flatMap((s) => s.actions);
    expect(actions.filter((a) => /^(ssm|kms):/.test(a))).toEqual([]);
    expect(envOf(plain)).not.toHaveProperty("TELEGRAM_BOT_TOKEN_PARAMETER");
  });

  it("refuses a name Parameter Store would refuse, at synth, naming the setting", () => {
    const read = (values: Record<string, string>) => () => readSettings((_c, env) => values[env]);
    expect(read({ TELEGRAM_BOT_TOKEN_PARAMETER: "chatbot/token" })).toThrow(
      /TELEGRAM_BOT_TOKEN_PARAMETER "chatbot\/token" is not a valid SSM parameter name: it must start with \//,
    );
    expect(read({ TELEGRAM_WEBHOOK_SECRET_PARAMETER: "/aws/secret" })).toThrow(
      /TELEGRAM_WEBHOOK_SECRET_PARAMETER .* may not start with aws or ssm/,
    );
    expect(read({ TELEGRAM_BOT_TOKEN_PARAMETER: "has space" })).toThrow(/may only contain/);
    expect(
      readSettings((_c, env) => ({ TELEGRAM_BOT_TOKEN_PARAMETER: "/bot/token" })[env])
        .secretParameters,
    ).toEqual({ TELEGRAM_BOT_TOKEN: "/bot/token" });
  });
});

describe("every sensitive setting can come from SSM the same way (OLLAMA_URL_PARAMETER, TRANSCRIBE_API_KEY_PARAMETER, …)", () => {
  const sensitive = (Object.entries(SETTINGS) as [string, Setting][])
    .filter(([, s]) => s.sensitive)
    .map(([env]) => env);
  /** A parameter for every secret of the table, named after it. */
  const everySecret = Object.fromEntries(
    sensitive.map((env) => [env, `/chatbot/${env.toLowerCase().replaceAll("_", "-")}`]),
  );
  const grantOf = (json: SynthJson) => ({
    read: statementsOf(json).find((s) => s.sid === "ReadSecretParameters")?.resources,
    decrypt: statementsOf(json)
      .find((s) => s.sid === "DecryptSecretParameters")
      ?.condition?.find((c) => c.variable === "kms:EncryptionContext:PARAMETER_ARN")?.values,
  });

  it("derives one parameter setting from each row marked sensitive, and from no other", () => {
    // Assess: the secrets of the table, the two of issue 30 and the two found since
    expect(sensitive).toEqual(
      expect.arrayContaining([
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
        "OLLAMA_URL",
        "TRANSCRIBE_API_KEY",
      ]),
    );
    expect(SECRET_PARAMETERS).toEqual(
      Object.fromEntries(sensitive.map((env) => [env, `${env}_PARAMETER`])),
    );
    const rows = (Object.entries(SETTINGS) as [string, Setting][]).filter(([env]) =>
      env.endsWith("_PARAMETER"),
    );
    expect(rows.map(([env]) => env)).toEqual(Object.values(SECRET_PARAMETERS));
    for (const [, row] of rows)
      expect(row).toMatchObject({ type: "string", stackSets: true, default: "" });
    expect(rows.filter(([, row]) => row.variable !== undefined || row.sensitive)).toEqual([]);
  });

  it("with every secret in SSM: names only in the environment, no sensitive variable left, a grant on exactly those parameters", () => {
    // Act
    const { json, raw } = synth({
      target: "aws",
      webhook: true,
      webhookSecret: undefined,
      secretParameters: everySecret,
    });

    // Assess: the environment
    const env = envOf(json);
    for (const secret of sensitive) {
      expect(env).not.toHaveProperty(secret);
      expect(env[`${secret}_PARAMETER`]).toBe(everySecret[secret]);
      expect(json.variable[variableOf(secret)]).toBeUndefined();
      expect(raw).not.toContain(`var.${variableOf(secret)}`);
    }
    expect(Object.entries(json.variable).filter(([, v]) => v.sensitive)).toEqual([]);

    // Assess: the grant (ssm:GetParameter and kms:Decrypt's encryption context) names exactly those ARNs
    const arns = sensitive.map((secret) =>
      expect.stringMatching(arnOf("ssm", `parameter${everySecret[secret]}`)),
    );
    expect(grantOf(json)).toEqual({ read: arns, decrypt: arns });
  });

  it("reads only the secrets named: OLLAMA_URL_PARAMETER alone leaves the token and the key as sensitive variables", () => {
    // Act
    const { json } = synth({
      target: "aws",
      secretParameters: { OLLAMA_URL: "/chatbot/ollama-url" },
    });

    // Assess
    const env = envOf(json);
    expect(env.OLLAMA_URL_PARAMETER).toBe("/chatbot/ollama-url");
    expect(env).not.toHaveProperty("OLLAMA_URL");
    expect(env).not.toHaveProperty("TRANSCRIBE_API_KEY_PARAMETER");
    expect(env.TRANSCRIBE_API_KEY).toBe(`\${var.transcribe_api_key}`);
    expect(json.variable.ollama_url).toBeUndefined();
    expect(json.variable.telegram_bot_token).toMatchObject({ sensitive: true });
    expect(json.variable.transcribe_api_key).toMatchObject({ sensitive: true });
    const arn = [expect.stringMatching(arnOf("ssm", "parameter/chatbot/ollama-url"))];
    expect(grantOf(json)).toEqual({ read: arn, decrypt: arn });
  });

  it("checks their names at synth too, naming the setting; each has a context key", () => {
    // Arrange
    const fromEnv = (values: Record<string, string>) => () =>
      readSettings((_c, env) => values[env]);
    const contexts = {
      tokenParameter: "/a/token",
      webhookSecretParameter: "/a/webhook",
      ollamaUrlParameter: "/a/ollama",
      transcribeApiKeyParameter: "/a/key",
    };

    // Assess
    expect(fromEnv({ OLLAMA_URL_PARAMETER: "chatbot/ollama" })).toThrow(
      /OLLAMA_URL_PARAMETER "chatbot\/ollama" is not a valid SSM parameter name: it must start with \//,
    );
    expect(fromEnv({ TRANSCRIBE_API_KEY_PARAMETER: "/ssm/key" })).toThrow(
      /TRANSCRIBE_API_KEY_PARAMETER .* may not start with aws or ssm/,
    );
    expect(
      readSettings((context) => contexts[context as keyof typeof contexts]).secretParameters,
    ).toEqual({
      TELEGRAM_BOT_TOKEN: "/a/token",
      TELEGRAM_WEBHOOK_SECRET: "/a/webhook",
      OLLAMA_URL: "/a/ollama",
      TRANSCRIBE_API_KEY: "/a/key",
    });
  });
});
