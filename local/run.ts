/**
 * `npm start`: the bot as a local long-running process, for people without
 * Docker or Terraform. Same code as the Lambda (`createApp`), polling in a
 * loop; storage is embedded (dynalite, and archives as plain files, under
 * `.data/`) unless an AWS or LocalStack endpoint is configured. Ctrl-C (or SIGTERM, or closing the
 * terminal) finishes the batch in hand and stops; nothing unanswered is
 * confirmed to Telegram, so nothing is lost. `npm start` execs node directly
 * (no sh or tsx process in between) so that its exit status is the bot's.
 */
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { TelegramGateway } from "../handler/adapters/telegram.js";
import type { App } from "../handler/composition.js";
import { type Config, loadConfig } from "../handler/config.js";
import { ConfigError, TokenRejectedError } from "../handler/errors.js";
import { createLogger } from "../handler/log.js";
import type { AwsEmulators } from "./aws-emulators.js";
import { DataDirError, type DataDirLock, lockDataDir } from "./data-dir.js";
import { adoptS3rverArchives, FileArchiveStore } from "./file-archive.js";
import { checkOllama, configHints, LOCAL_OLLAMA_URL } from "./hints.js";
import { quietSdkNodeWarning } from "./node-support.js";
import { LOCAL_HIDDEN_FIELDS, prettyLine } from "./pretty.js";
import { watchStopSignals } from "./stop-signals.js";
import { usesExternalAws } from "./storage-choice.js";
import { type BotAccount, checkBotToken } from "./token-check.js";

/**
 * Time budget of one poller run (a Lambda's is its timeout): it stops taking
 * new updates 20 s before it, and the next run starts when the last answer is done.
 */
const RUN_BUDGET_MS = 15 * 60_000;
/** Another process holds the poller lease (it lapses within 15 s if that one died). */
const BUSY_WAIT_MS = 5_000;
const ERROR_WAIT_MS = 5_000;
const CONFLICT_WAIT_MS = 15_000;
/** One token check, Telegram's own retries included, before it counts as a failed attempt. */
const TOKEN_CHECK_BUDGET_MS = 15_000;

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
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      say(`✖ ${err.message}`);
      for (const hint of configHints(err.message, process.env)) say(`  ${hint}`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }

  const external = usesExternalAws(process.env);
  let lock: DataDirLock | undefined;
  if (!external) {
    try {
      lock = lockDataDir(resolve(process.env.DATA_DIR || ".data"));
    } catch (err) {
      if (!(err instanceof DataDirError)) throw err;
      say(`✖ ${err.message}`);
      process.exitCode = 1;
      return;
    }
    process.once("exit", () => lock?.release());
  }

  const account = await checkToken(config, stop.signal);
  if (!account) return;
  say(
    `Telegram accepted the token of @${account.username}: write to https://t.me/${account.username}`,
  );

  // Loaded only now: the AWS SDK, dynalite and cdktf take seconds to load, and a
  // wrong setting or token should be said at once.
  const [{ DynamoDBClient }, { S3Client }, { createApp }, emulated, storage] = await Promise.all([
    import("@aws-sdk/client-dynamodb"),
    import("@aws-sdk/client-s3"),
    import("../handler/composition.js"),
    import("./aws-emulators.js"),
    import("./storage.js"),
  ]);
  let embedded: AwsEmulators | undefined;
  let archive: FileArchiveStore | undefined;
  if (!lock) {
    say(
      `Storage: ${process.env.AWS_ENDPOINT_URL_DYNAMODB ?? process.env.AWS_ENDPOINT_URL ?? "AWS"}`,
    );
  } else {
    // dynalite on LevelDB in DATA_DIR/dynamodb, so a restart keeps every session.
    ({ emulators: embedded } = await emulated.AwsEmulators.start({
      dynamoDir: join(lock.dir, "dynamodb"),
      region: process.env.AWS_REGION ?? "us-east-1",
    }));
    Object.assign(process.env, embedded.env);
    archive = new FileArchiveStore(join(lock.dir, "archives"));
    const adopted = await adoptS3rverArchives(join(lock.dir, "s3"), config.bucket, archive);
    if (adopted > 0) say(`Copied ${adopted} archive files from the old s3rver folder`);
    say(`Storage: embedded DynamoDB in ${lock.dir}; archives are files in ${archive.root}`);
  }
  const dynamo = new DynamoDBClient({});
  const s3 = archive
    ? undefined
    : new S3Client({ forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED" });
  const created = await storage.ensureStorage(
    storage.synthesizeStorage({ tableName: config.table, bucketName: config.bucket }),
    { dynamo, ...(s3 ? { s3 } : {}) },
  );
  dynamo.destroy();
  s3?.destroy();
  if (created.length > 0) say(`Created ${created.join(" and ")}`);
  say(await checkOllama(config.ollama.url, config.defaultModel));

  const log = createLogger({
    level: config.logLevel,
    secrets: [config.telegram.token, config.telegram.webhookSecret],
    write: (line) => process.stdout.write(`${prettyLine(line, LOCAL_HIDDEN_FIELDS)}\n`),
  });
  const app = createApp(config, { log, ...(archive ? { archive } : {}) });
  const tokenAccepted = await pollUntilStopped(app.poll.bind(app), stop.signal);
  await embedded?.close();
  lock?.release();
  if (!tokenAccepted) {
    process.exitCode = 1;
    return;
  }
  say("Stopped. Sessions and archives are kept; npm start picks up where it left off.");
}

/** Asks Telegram who the bot is; a rejected token ends `npm start` with one clear line. */
async function checkToken(config: Config, stop: AbortSignal): Promise<BotAccount | undefined> {
  const telegram = new TelegramGateway({
    token: config.telegram.token,
    apiUrl: config.telegram.apiUrl,
    deadline: () => Date.now() + TOKEN_CHECK_BUDGET_MS,
  });
  try {
    return await checkBotToken({
      getMe: () => telegram.getMe(),
      apiUrl: config.telegram.apiUrl,
      token: config.telegram.token,
      signal: stop,
      say,
    });
  } catch (err) {
    if (!(err instanceof TokenRejectedError)) throw err;
    say(`✖ ${err.message}`);
    process.exitCode = 1;
    return undefined;
  }
}

type Poll = App["poll"];

/**
 * Runs the Lambda's poller engine back to back: each run long-polls while idle
 * and answers as messages arrive, so nothing is said while nothing happens.
 * Ctrl-C (`stop`) aborts the wait for Telegram at once and lets the answers running finish.
 * @returns false when Telegram rejected the token (the caller exits non-zero).
 */
async function pollUntilStopped(poll: Poll, stop: AbortSignal): Promise<boolean> {
  say("Polling Telegram. Write to your bot; Ctrl-C stops.");
  for (let n = 1; !stop.aborted; n++) {
    let wait = 0;
    try {
      const summary = await poll(Date.now() + RUN_BUDGET_MS, `${hostname()}:${process.pid}:${n}`, {
        listenWhenIdle: true,
        signal: stop,
      });
      if (summary.status === "conflict") {
        say(`⚠ ${summary.message ?? "Telegram answered 409 Conflict."}`);
        wait = CONFLICT_WAIT_MS;
      } else if (summary.status === "busy") wait = BUSY_WAIT_MS;
    } catch (err) {
      if (err instanceof TokenRejectedError) {
        say(`✖ ${err.message}`);
        return false;
      }
      say(`⚠ poll failed: ${err instanceof Error ? err.message : String(err)}; retrying in 5 s`);
      wait = ERROR_WAIT_MS;
    }
    await pause(wait, stop);
  }
  return true;
}

/** Waits `ms` unless stopped first; leaves no listener behind on the long-lived signal. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return;
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}

await main();
