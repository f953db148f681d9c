/**
 * `npm run up`: LocalStack up, bundle built, stack deployed, next steps
 * printed. Needs Docker, Terraform (cdktf calls it) and TELEGRAM_BOT_TOKEN (or
 * TELEGRAM_BOT_TOKEN_PARAMETER, an SSM parameter holding it).
 */
import { type Io, loadDotEnv, OperatorError, processIo, runIfMain, targetFromEnv } from "./lib.js";
import { hasCommand, run, waitForLocalStack } from "./shell.js";
import { terraformVariables } from "./terraform-env.js";

/** Why `up` cannot start, or undefined when it can. */
export function preflight(
  env: Readonly<Record<string, string | undefined>>,
  has: (command: string, args?: readonly string[]) => boolean = hasCommand,
): string | undefined {
  if (!env.TELEGRAM_BOT_TOKEN && !env.TELEGRAM_BOT_TOKEN_PARAMETER)
    return "Set TELEGRAM_BOT_TOKEN (from @BotFather) first, e.g. TELEGRAM_BOT_TOKEN=123456789:AAH-your-token-from-BotFather npm run up, or put it in .env (or TELEGRAM_BOT_TOKEN_PARAMETER: the name of an SSM SecureString holding it).";
  if (targetFromEnv(env).kind === "localstack" && !has("docker", ["compose", "version"]))
    return 'Docker with the compose plugin is needed for LocalStack. Without Docker, run the bot locally with "npm start".';
  if (!has("terraform", ["-version"]))
    return 'cdktf deploys through Terraform, which is not on PATH. Install it (https://developer.hashicorp.com/terraform/install) or run "npm start" instead.';
  return undefined;
}

/** Entry point (exported for tests). */
export async function main(env = process.env, io: Io = processIo): Promise<number> {
  loadDotEnv(env);
  const problem = preflight(env);
  if (problem) throw new OperatorError(problem);
  // Checked before anything starts: a malformed setting fails here, naming it.
  const variables = terraformVariables(env);
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
