/**
 * `npm run poll [-- --every <seconds>]`: invokes the function again and again
 * (default every 3 s) so the bot answers in near real time during
 * development. Ctrl-C stops after the invoke in flight.
 */
import { formatSummary, invokeOnce, lambdaClient } from "./invoke.js";
import {
  type Io,
  OperatorError,
  parseOptions,
  processIo,
  runIfMain,
  targetFromEnv,
} from "./lib.js";

/** Parses `--every <seconds>` (0.5–3600). */
export function parsePollArgs(argv: readonly string[]): { everySeconds: number } {
  const { values } = parseOptions(
    {
      args: [...argv],
      options: { every: { type: "string", short: "e", default: "3" } },
      strict: true,
    },
    "npm run poll [-- --every <seconds>]",
  );
  const every = Number(values.every);
  if (!Number.isFinite(every) || every < 0.5 || every > 3600)
    throw new OperatorError(
      `--every must be a number of seconds between 0.5 and 3600, got "${values.every}"`,
    );
  return { everySeconds: every };
}

/** Entry point (exported for tests). `stop` ends the loop. */
export async function main(
  argv: readonly string[] = process.argv.slice(2),
  env = process.env,
  io: Io = processIo,
  stop: AbortSignal = signalOnCtrlC(),
): Promise<number> {
  const { everySeconds } = parsePollArgs(argv);
  const target = targetFromEnv(env);
  const client = lambdaClient(target);
  io.err(`Polling through ${target.functionName} every ${everySeconds} s. Ctrl-C stops.`);
  try {
    while (!stop.aborted) {
      const started = Date.now();
      const summary = await invokeOnce(client, target);
      if (summary.updates > 0 || summary.status !== "ok")
        io.out(
          `${new Date().toISOString().slice(11, 19)} ${formatSummary(summary, Date.now() - started)}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, everySeconds * 1000);
        stop.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return 0;
  } finally {
    client.destroy();
  }
}

function signalOnCtrlC(): AbortSignal {
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  return controller.signal;
}

runIfMain(import.meta, () => main());
