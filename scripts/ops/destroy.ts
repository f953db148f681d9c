/** `npm run destroy`: removes the stack (bucket contents included on LocalStack). */
import { type Io, OperatorError, processIo, runIfMain, targetFromEnv } from "./lib.js";
import { hasCommand, run } from "./shell.js";

/** Entry point (exported for tests). */
export async function main(env = process.env, io: Io = processIo): Promise<number> {
  if (!hasCommand("terraform", ["-version"]))
    throw new OperatorError("cdktf destroys through Terraform, which is not on PATH.");
  const target = targetFromEnv(env);
  io.err(`Destroying the stack on ${target.endpoint ?? `AWS ${target.region}`} (cdktf destroy)…`);
  await run("npx", ["cdktf", "destroy", "--auto-approve"], {
    what: "cdktf destroy",
    // Terraform asks for every variable even on destroy; the value is not used.
    env: {
      ...env,
      TF_VAR_telegram_bot_token: env.TELEGRAM_BOT_TOKEN || "0:destroy",
      CHECKPOINT_DISABLE: "1",
    },
  });
  io.out(
    target.endpoint
      ? 'Stack destroyed. "docker compose down" stops LocalStack; delete localstack-data/ to forget its state.'
      : "Stack destroyed. The archive bucket is kept on AWS unless empty (force_destroy is off there).",
  );
  return 0;
}

runIfMain(import.meta, () => main());
