/**
 * `npm run up`: LocalStack up, bundle built, stack deployed, next steps
 * printed. Needs Docker (for LocalStack), Terraform with the hashicorp/aws
 * provider (cdktf calls it) and TELEGRAM_BOT_TOKEN (or TELEGRAM_BOT_TOKEN_PARAMETER,
 * an SSM parameter holding it): all checked before anything starts.
 */
import { SECRET_PARAMETERS } from "../../handler/settings.js";
import { type Io, OperatorError, processIo, runIfMain, targetFromEnv } from "./lib.js";
import { run, waitForLocalStack } from "./shell.js";
import { terraformVariables } from "./terraform-env.js";
import {
  type DeployChecks,
  explainTerraformFailure,
  MACHINE,
  terraformProblems,
} from "./terraform-provider.js";

/** Everything `up` lacks, one line each; empty when it can start. */
export async function preflight(
  env: Readonly<Record<string, string | undefined>>,
  checks: DeployChecks = MACHINE,
): Promise<string[]> {
  const problems: string[] = [];
  if (!env.TELEGRAM_BOT_TOKEN && !env[SECRET_PARAMETERS.TELEGRAM_BOT_TOKEN])
    problems.push(
      "Set TELEGRAM_BOT_TOKEN (from @BotFather) first, e.g. TELEGRAM_BOT_TOKEN=123456789:AAH-your-token-from-BotFather npm run up, or put it in .env (or TELEGRAM_BOT_TOKEN_PARAMETER: the name of an SSM SecureString holding it).",
    );
  if (targetFromEnv(env).kind === "localstack") {
    if (!checks.has("docker", ["compose", "version"]))
      problems.push(
        'Docker with the compose plugin is needed for LocalStack ("docker compose version" fails). Install Docker, or run the bot without it: npm start.',
      );
    else if (!checks.has("docker", ["info"]))
      problems.push(
        'Docker is installed but its engine is not running ("docker info" cannot reach it): start Docker (Docker Desktop, or "sudo systemctl start docker"), or run the bot without it: npm start.',
      );
  }
  problems.push(...(await terraformProblems(env, "deploys", checks)));
  return problems;
}

/** Entry point (exported for tests). */
export async function main(env = process.env, io: Io = processIo): Promise<number> {
  // Checked before anything starts: a malformed setting fails here, naming it.
  const variables = terraformVariables(env);
  const problems = await preflight(env);
  if (problems.length > 0)
    throw new OperatorError(
      problems.length === 1
        ? problems.join("")
        : `npm run up cannot start yet:\n  • ${problems.join("\n  • ")}`,
    );
  const target = targetFromEnv(env);
  const step = (n: number, text: string) => io.err(`\n[${n}/4] ${text}`);

  if (target.endpoint) {
    step(1, "Starting LocalStack (docker compose up -d)…");
    await run("docker", ["compose", "up", "-d", "localstack"], { what: "docker compose up" });
    io.err(`Waiting for LocalStack at ${target.endpoint}…`);
    await waitForLocalStack(target.endpoint, {
      onWait: (ms) => io.err(`  still starting (${Math.round(ms / 1000)} s)…`),
    });
  } else step(1, `Deploying to AWS ${target.region} (DEPLOY_TARGET=aws).`);

  step(2, "Building the handler bundle…");
  await run("npm", ["run", "build"], { what: "npm run build" });

  step(3, "Deploying the stack (cdktf deploy)…");
  await run("npx", ["cdktf", "deploy", "--auto-approve"], {
    what: "cdktf deploy",
    env: { ...env, ...variables, CHECKPOINT_DISABLE: "1" },
    explain: explainTerraformFailure,
  });

  step(4, "Done. Next:");
  io.out("  • write to your bot in Telegram, then: npm run invoke   (answers once)");
  io.out("  • or keep it answering:                  npm run poll");
  io.out("  • see what it does:                      npm run logs");
  io.out("  • check the resources:                   npm run verify");
  io.out("  • tear it all down:                      npm run destroy");
  return 0;
}

runIfMain(import.meta, () => main());
