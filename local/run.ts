/**
 * `npm start`: the bot as a local long-running process, for people without
 * Docker or Terraform (the engine is `local-bot.ts`, shared with `npm run demo`).
 * Storage is embedded (dynalite, and archives as plain files, under `.data/`)
 * unless an AWS or LocalStack endpoint is configured. Ctrl-C (or SIGTERM, or
 * closing the terminal) finishes the batch in hand and stops; nothing
 * unanswered is confirmed to Telegram, so nothing is lost. `npm start` execs node directly
 * (no sh or tsx process in between) so that its exit status is the bot's.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { LOCAL_OLLAMA_URL } from "./hints.js";
import { runLocalBot } from "./local-bot.js";
import { quietSdkNodeWarning } from "./node-support.js";
import { watchStopSignals } from "./stop-signals.js";

const say = (line: string) => process.stderr.write(`${line}\n`);

function loadEnvFile(): void {
  const file = resolve(process.cwd(), ".env");
  if (existsSync(file)) {
    process.loadEnvFile(file);
    say(`Read settings from ${file}`);
  }
}

async function main(): Promise<void> {
  // Once the terminal is closed there is nowhere to write to; the bot still finishes its answers.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  quietSdkNodeWarning(process.env);
  const stop = watchStopSignals({ source: process, say, quitNow: () => process.exit(130) });
  loadEnvFile();
  process.env.OLLAMA_URL ||= LOCAL_OLLAMA_URL;
  await runLocalBot({
    stop: stop.signal,
    say,
    defaultDataDir: ".data",
    externalStorage: true,
    greet: (account) =>
      say(
        `Telegram accepted the token of @${account.username}: write to https://t.me/${account.username}`,
      ),
    ready: () => say("Polling Telegram. Write to your bot; Ctrl-C stops."),
    stopped: "Stopped. Sessions and archives are kept; npm start picks up where it left off.",
  });
}

await main();
