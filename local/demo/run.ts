/**
 * `npm run demo`: the bot with no token and no Ollama, for a first look. The
 * engine is `npm start`'s (`local-bot.ts`, the Lambda's `createApp` polling
 * in a loop, embedded storage); around it run the project's stand-in Telegram
 * (`__tests__/harness/fake-telegram.ts`), a stand-in model unless an Ollama
 * answers, and a chat page on 127.0.0.1 that plays the Telegram app.
 *
 * It reads no `.env` and never uses AWS or LocalStack: its data stays in its
 * own folder, `.demo-data` (or DATA_DIR), apart from `npm start`'s `.data`.
 */
import { join } from "node:path";
import { FakeTelegram, type TgUser } from "../../__tests__/harness/fake-telegram.js";
import { runLocalBot } from "../local-bot.js";
import { quietSdkNodeWarning } from "../node-support.js";
import { watchStopSignals } from "../stop-signals.js";
import { DemoChat } from "./demo-chat.js";
import { chooseModel } from "./stand-in-model.js";
import { startWebPage } from "./web-page.js";

/** The demo's data folder when DATA_DIR is not set. */
const DEMO_DATA_DIR = ".demo-data";
/**
 * The stand-in's conversations are kept in this subfolder: they are on its
 * model, which no real Ollama has, so a later run with Ollama (as its answers
 * suggest) would meet them and reply that the model is not installed.
 */
const STAND_IN_SUBFOLDER = "stand-in";
/** The page's port when DEMO_PORT is not set. */
const DEMO_PORT = 8080;

/** The person at the page: the first private user, so they own the bot (and may /pull). */
const PERSON: TgUser = { id: 10_001, first_name: "Demo", username: "demo_user" };
const BOT_ID = 7_000_001;
/** Shaped like a token, so the settings accept it; only the stand-in Telegram knows it. */
const TOKEN = `${BOT_ID}:DEMO-stand-in-Telegram-not-a-real-token`;
/**
 * Each run is a new stand-in Telegram. Its update ids start from the clock
 * (seconds since 2020), so that they continue above the previous run's, which
 * the bot's stored offset remembers, as a live Telegram's ids do.
 */
const firstUpdateId = () => Math.floor((Date.now() - Date.UTC(2020, 0, 1)) / 1000);

const say = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  quietSdkNodeWarning(process.env);
  const stop = watchStopSignals({ source: process, say, quitNow: () => process.exit(130) });
  const port = Number(process.env.DEMO_PORT || DEMO_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    say(
      `✖ DEMO_PORT must be a port number (0 to 65535; 0 takes any free one), not "${process.env.DEMO_PORT}"`,
    );
    process.exitCode = 1;
    return;
  }

  const model = await chooseModel(process.env);
  say(model.description);
  const base = process.env.DATA_DIR || DEMO_DATA_DIR;
  const dataDir = model.standIn ? join(base, STAND_IN_SUBFOLDER) : base;
  const telegram = await FakeTelegram.start({
    token: TOKEN,
    botId: BOT_ID,
    botUsername: "demo_ollama_bot",
    // The demo shows the chat; Telegram's flood limits are the tests' business.
    flood: false,
    firstUpdateId: firstUpdateId(),
  });
  const chat = new DemoChat(telegram, PERSON);
  const page = await startWebPage({
    chat,
    telegram,
    say,
    port,
    info: { bot: telegram.botUsername, model: model.description, standIn: !!model.standIn },
  });
  Object.assign(process.env, {
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_URL: telegram.url,
    OLLAMA_URL: model.url,
    DATA_DIR: dataDir,
    ...(model.defaultModel ? { DEFAULT_MODEL: model.defaultModel } : {}),
  });
  try {
    await runLocalBot({
      stop: stop.signal,
      say,
      defaultDataDir: DEMO_DATA_DIR,
      externalStorage: false,
      greet: (account) =>
        say(
          `Telegram: the demo's stand-in at ${telegram.url} (bot @${account.username}; no token, nothing leaves this machine)`,
        ),
      ready: () => {
        if (page.movedPort) say(`Port ${port} is taken; the page uses another one.`);
        say(`Chat with the bot at ${page.url} (Ctrl-C stops)`);
      },
      stopped: `Stopped. The demo's conversations are kept in ${dataDir}; npm run demo picks up where it left off.`,
    });
  } finally {
    chat.close();
    await page.close();
    await telegram.close();
    await model.standIn?.close();
  }
}

await main();
