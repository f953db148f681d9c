/**
 * The test bed without jest, so `npm run bench` (plain tsx) can start it: `bed.ts`
 * re-exports it beside `useTestBed`, whose hooks need jest's globals.
 */
import { AwsEmulators } from "./aws-emulators.js";
import { FakeOllama } from "./fake-ollama.js";
import { FakeSpeechServer } from "./fake-speech.js";
import { FakeTelegram, type FakeTelegramOptions } from "./fake-telegram.js";
import { allLogs } from "./lambda.js";

/** A bot token for tests: valid in shape, unique per bed, easy to search for in logs. */
const testToken = (): string =>
  `${100000 + Math.floor(Math.random() * 899999)}:TESTTOKEN${Math.random().toString(36).slice(2, 14)}XyZ`;

/** Everything an integration test talks to, all over 127.0.0.1. */
export interface TestBed {
  /** The handler's environment (the contract of the foundation issue). */
  readonly env: Record<string, string>;
  readonly telegram: FakeTelegram;
  readonly ollama: FakeOllama;
  /** The speech-to-text server (`TRANSCRIBE_URL`). */
  readonly speech: FakeSpeechServer;
  readonly aws: AwsEmulators;
  /** Runs `fn` and returns the log lines the bundle wrote meanwhile. */
  captureLogs<T>(fn: () => Promise<T>): Promise<{ result: T; logs: string[] }>;
  close(): Promise<void>;
}

/** Options of {@link startTestBed}. */
export interface TestBedOptions {
  /** Extra or overriding handler environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly telegram?: FakeTelegramOptions;
  /** A key the speech server requires as a Bearer token (set as `TRANSCRIBE_API_KEY` too). */
  readonly speechKey?: string;
}

/**
 * Starts dynalite and s3rver (storage created from `cdk.tf.json`), the fake
 * Telegram Bot API, the fake Ollama and the fake speech-to-text server, and
 * returns the environment the built bundle runs with.
 */
export async function startTestBed(options: TestBedOptions = {}): Promise<TestBed> {
  const [aws, telegram, ollama, speech] = await Promise.all([
    AwsEmulators.start(),
    // Telegram's rates (1/s per chat after a burst, 20/min per group, 30/s overall) with a short
    // penalty: a test that trips a limit sees the 429 and the wait, without a real 30 s pause
    // racing its timeout. Tests about long retry_after values set their own.
    FakeTelegram.start({
      token: testToken(),
      flood: { retryAfterSeconds: 2 },
      ...options.telegram,
    }),
    FakeOllama.start(),
    FakeSpeechServer.start(options.speechKey === undefined ? {} : { apiKey: options.speechKey }),
  ]);
  const env: Record<string, string> = {
    ...aws.env,
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_URL: telegram.url,
    OLLAMA_URL: ollama.url,
    TRANSCRIBE_URL: speech.baseUrl,
    ...(options.speechKey === undefined ? {} : { TRANSCRIBE_API_KEY: options.speechKey }),
    DEFAULT_MODEL: "llama3",
    // Most suites are about chatting, not access: open the bot (the default is closed; see access tests).
    ALLOWED_USER_IDS: "*",
    LOG_LEVEL: "debug",
    ...options.env,
  };
  return {
    env,
    telegram,
    ollama,
    speech,
    aws,
    async captureLogs<T>(fn: () => Promise<T>) {
      const from = allLogs().length;
      const result = await fn();
      return { result, logs: allLogs().slice(from) };
    },
    async close() {
      await Promise.all([telegram.close(), ollama.close(), speech.close(), aws.close()]);
    },
  };
}
