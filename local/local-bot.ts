/**
 * The bot as a local long-running process: the one engine behind `npm start`
 * and `npm run demo`. Same code as the Lambda (`createApp`), polling in a
 * loop; storage is embedded (dynalite, and archives as plain files, under
 * DATA_DIR) unless an AWS or LocalStack endpoint is configured and the caller
 * allows it. A stop request finishes the batch in hand and stops; nothing
 * unanswered is confirmed to Telegram, so nothing is lost.
 */
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { TelegramGateway } from "../handler/adapters/telegram.js";
import type { App } from "../handler/composition.js";
import { type Config, loadConfig } from "../handler/config.js";
import { ConfigError, TokenRejectedError } from "../handler/errors.js";
import { createLogger } from "../handler/log.js";
import { summarize } from "../handler/metrics/invoke-metrics.js";
import type { AwsEmulators } from "./aws-emulators.js";
import { DataDirError, type DataDirLock, lockDataDir } from "./data-dir.js";
import { adoptS3rverArchives, FileArchiveStore } from "./file-archive.js";
import { checkOllama, configHints } from "./hints.js";
import { LOCAL_HIDDEN_FIELDS, prettyLine } from "./pretty.js";
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

/** What differs between `npm start` and `npm run demo`: where data goes and what is said. */
export interface LocalBotOptions {
  /** Aborted by Ctrl-C: finish the answers in hand, start nothing new. */
  readonly stop: AbortSignal;
  /** Tells the person at the terminal what happens (one line each). */
  readonly say: (line: string) => void;
  /** DATA_DIR when the environment sets none. */
  readonly defaultDataDir: string;
  /** Whether AWS or LocalStack endpoints in the environment replace embedded storage. */
  readonly externalStorage: boolean;
  /** Says who the bot is once Telegram accepted its token. */
  readonly greet: (account: BotAccount) => void;
  /** Says where to write, once storage and Ollama are checked and polling starts. */
  readonly ready: () => void;
  /** The last line after a clean stop. */
  readonly stopped: string;
}

/**
 * Runs the bot until `stop` is aborted. Settings come from `process.env`; a
 * wrong setting, an unusable DATA_DIR or a rejected token is said in one line
 * and sets `process.exitCode` to 1.
 */
export async function runLocalBot(options: LocalBotOptions): Promise<void> {
  const { say } = options;
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

  const external = options.externalStorage && usesExternalAws(process.env);
  let lock: DataDirLock | undefined;
  if (!external) {
    try {
      lock = lockDataDir(resolve(process.env.DATA_DIR || options.defaultDataDir));
    } catch (err) {
      if (!(err instanceof DataDirError)) throw err;
      say(`✖ ${err.message}`);
      process.exitCode = 1;
      return;
    }
    process.once("exit", () => lock?.release());
  }

  const account = await checkToken(config, options);
  if (!account) return;
  options.greet(account);

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
  for (const line of await Promise.all(
    config.ollama.servers.map((server) => checkOllama(server, config.defaultModel)),
  ))
    say(line);

  const log = createLogger({
    level: config.logLevel,
    secrets: config.secrets,
    write: (line) => process.stdout.write(`${prettyLine(line, LOCAL_HIDDEN_FIELDS)}\n`),
  });
  const app = createApp(config, { log, ...(archive ? { archive } : {}) });
  options.ready();
  // Metrics are the Lambda's to publish (EMF lines, read by CloudWatch); here each poll run's
  // are taken, so they never pile up, and summed up in one line at LOG_LEVEL=debug.
  const poll: Poll = (until, id, pollOptions) =>
    app.poll(until, id, pollOptions).finally(() => {
      const summary = summarize(app.takeMetrics());
      if (Object.keys(summary).length > 0) log.debug("metrics of this poll run", summary);
    });
  const tokenAccepted = await pollUntilStopped(poll, options);
  await embedded?.close();
  lock?.release();
  if (!tokenAccepted) {
    process.exitCode = 1;
    return;
  }
  say(options.stopped);
}

/** Asks Telegram who the bot is; a rejected token ends the process with one clear line. */
async function checkToken(
  config: Config,
  { stop, say }: LocalBotOptions,
): Promise<BotAccount | undefined> {
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
async function pollUntilStopped(poll: Poll, { stop, say }: LocalBotOptions): Promise<boolean> {
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
