import { describe, expect, it } from "@jest/globals";
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
  const { json, raw } = synth({ target: "aws", tokenParameter: "/chatbot/telegram-token" });

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
      tokenParameter: "telegram-token",
      webhookSecretParameter: "/chatbot/webhook-secret",
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
        .tokenParameter,
    ).toBe("/bot/token");
  });
});
