/**
 * The users' path, for real: `cdktf deploy` to LocalStack, invoke the Lambda,
 * see the answer and the stored session, then `terraform destroy` on the
 * synthesized stack, the cleanup path the README shows. Runs only through
 * `npm run test:localstack` with LOCALSTACK_ENDPOINT set; the fakes listen on
 * all interfaces so the function container can call back to this machine.
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { invokeOnce, lambdaClient } from "../../scripts/ops/invoke.js";
import { clientConfig, targetFromEnv } from "../../scripts/ops/lib.js";
import { terraformProblems } from "../../scripts/ops/terraform-provider.js";
import { FakeOllama } from "../harness/fake-ollama.js";
import { FakeTelegram } from "../harness/fake-telegram.js";

const endpoint = process.env.LOCALSTACK_ENDPOINT;
if (!endpoint)
  throw new Error(
    "Set LOCALSTACK_ENDPOINT (e.g. http://localhost:4566) to run the LocalStack test.",
  );
/** How a Lambda container reaches this machine (see docker-compose.yml). */
const hostFromLambda = process.env.HOST_FROM_LAMBDA ?? "host.docker.internal";
const root = resolve(import.meta.dirname, "..", "..");
const target = targetFromEnv({ LOCALSTACK_ENDPOINT: endpoint });

describe("LocalStack: deploy, invoke, destroy", () => {
  let telegram: FakeTelegram;
  /** Whether the checks let it deploy: only then is there anything to destroy. */
  let checked = false;
  let ollama: FakeOllama;
  let cdktfEnv: NodeJS.ProcessEnv;

  const deploy = () =>
    execFileSync("npx", ["cdktf", "deploy", "--auto-approve"], {
      cwd: root,
      env: cdktfEnv,
      stdio: "inherit",
    });
  // The README's cleanup without cdktf: plain Terraform in the synthesized stack
  // (cdktf deploy already ran `terraform init` there), with the token variable set.
  const terraformDestroy = () =>
    execFileSync("terraform", ["destroy", "-auto-approve", "-input=false"], {
      cwd: resolve(root, "cdktf.out", "stacks", "chatbot"),
      env: cdktfEnv,
      stdio: "inherit",
    });

  beforeAll(async () => {
    // What the deploy needs, said in a line each before Terraform prints pages of its own.
    const problems = await terraformProblems(process.env, "deploys");
    const health = new URL("/_localstack/health", endpoint);
    if (
      !(await fetch(health).then(
        (r) => r.ok,
        () => false,
      ))
    )
      problems.push(
        `LocalStack is not running at ${endpoint}: start it with "docker compose up -d".`,
      );
    if (problems.length > 0) throw new Error(problems.join("\n"));
    checked = true;
    telegram = await FakeTelegram.start({ host: "0.0.0.0", flood: false });
    ollama = await FakeOllama.start({ host: "0.0.0.0" });
    const port = new URL(telegram.url).port;
    cdktfEnv = {
      ...process.env,
      CHECKPOINT_DISABLE: "1",
      LOCALSTACK_ENDPOINT: endpoint,
      TF_VAR_telegram_bot_token: telegram.token,
      TF_VAR_telegram_api_url: `http://${hostFromLambda}:${port}`,
      TF_VAR_ollama_url: `http://${hostFromLambda}:${ollama.port}`,
    };
    deploy();
  });

  afterAll(async () => {
    try {
      if (checked) terraformDestroy();
    } finally {
      await Promise.all([telegram?.close(), ollama?.close()]);
    }
  });

  it("answers a Telegram message from the deployed function and stores the session in DynamoDB", async () => {
    // Prepare
    const ada = { id: 31337, first_name: "Ada" };
    telegram.pushText(ada, { id: ada.id, type: "private" }, "hello from LocalStack");
    const lambda = lambdaClient(target);

    // Act
    const summary = await invokeOnce(lambda, target);

    // Assess
    expect(summary).toMatchObject({ status: "ok", handled: 1 });
    expect(telegram.sentMessages(ada.id).at(-1)?.text).toContain("hello from LocalStack");
    const db = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(target)));
    const items = await db.send(
      new QueryCommand({
        TableName: target.tableName,
        KeyConditionExpression: "PK = :pk AND begins_with(SK, :model)",
        ExpressionAttributeValues: { ":pk": `USER#${ada.id}`, ":model": "MODEL#" },
      }),
    );
    expect(items.Items?.[0]).toMatchObject({
      user_id: ada.id,
      model_name: "llama3",
      status: "active",
    });
    lambda.destroy();
    db.destroy();
  });
});
