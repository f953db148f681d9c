/** `npm run destroy`: removes the stack (bucket contents included on LocalStack). */
import { type Io, OperatorError, processIo, runIfMain, targetFromEnv } from "./lib.js";
import { run, waitForLocalStack } from "./shell.js";
import { terraformVariables } from "./terraform-env.js";
import { explainTerraformFailure, terraformProblems } from "./terraform-provider.js";

/** Entry point (exported for tests). */
export async function main(env = process.env, io: Io = processIo): Promise<number> {
  // With the same .env as up (read by runIfMain): its DEPLOY_TARGET and names decide what goes.
  const target = targetFromEnv(env);
  if (target.endpoint) {
    // Without LocalStack, Terraform would fail on its refresh with a far less helpful message.
    await waitForLocalStack(target.endpoint, { timeoutMs: 0 }).catch(() => {
      throw new OperatorError(
        `LocalStack is not running at ${target.endpoint}: nothing to destroy there. Start it with "docker compose up -d" if its resources should be removed.`,
      );
    });
  }
  const [problem] = await terraformProblems(env, "destroys");
  if (problem) throw new OperatorError(problem);
  io.err(`Destroying the stack on ${target.endpoint ?? `AWS ${target.region}`} (cdktf destroy)…`);
  await run("npx", ["cdktf", "destroy", "--auto-approve"], {
    what: "cdktf destroy",
    // Terraform asks for every variable even on destroy; the value is not used.
    env: {
      ...env,
      ...terraformVariables(env),
      TF_VAR_telegram_bot_token: env.TELEGRAM_BOT_TOKEN || "0:destroy",
      CHECKPOINT_DISABLE: "1",
    },
    explain: explainTerraformFailure,
  });
  io.out(
    target.endpoint
      ? 'Stack destroyed. "docker compose down" stops LocalStack; delete localstack-data/ to forget its state.'
      : "Stack destroyed.",
  );
  return 0;
}

runIfMain(import.meta, () => main());
