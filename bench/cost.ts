/**
 * What the deployed bot costs on AWS, from figures measured here: each message
 * in a poll invoke of its own (the sparse traffic of a live chat, where a
 * poll's fixed work counts against one message), against the same emulators
 * as the tests, with DynamoDB's request units, S3's requests and stored bytes
 * and the log bytes counted from outside the bot; then priced with
 * {@link PRICES}. The model's time cannot be measured without a model: it is
 * an assumption (`BENCH_MODEL_SECONDS`, default 10 s per answer), billed as
 * Lambda time because the function waits for it.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { coldStart } from "../__tests__/harness/lambda.js";
import { startTestBed } from "../__tests__/harness/start-bed.js";
import { FUNCTION_SETTINGS } from "../src/variables.js";
import { CountingProxy, s3Operation } from "./counting-proxy.js";
import { CLOUDWATCH_FREE, PRICES } from "./prices.js";
import { median, round } from "./stats.js";

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

const USERS = 5;
const MESSAGES_PER_USER = 40;
/** An answer of about 120 words, a typical chat answer. */
const ANSWER = "A considered answer of a hundred words or so, as chat models give. ".repeat(10);
/** Lambda's own START, END and REPORT lines per invoke (their documented format, ~300 bytes). */
const PLATFORM_LOG_BYTES_PER_INVOKE = 300;
/** What CloudWatch Logs counts per event beside its text (PutLogEvents' size rule). */
const LOG_EVENT_OVERHEAD_BYTES = 26;
/** The schedule's invokes in a 30-day month (one a minute). */
const SCHEDULED_INVOKES_PER_MONTH = 30 * 24 * 60;
/** The alarms a polling deployment with a schedule has (errors, throttles, given up, schedule). */
const ALARMS = 4;

/** Log bytes as CloudWatch Logs counts them: each line, its newline and the per-event overhead. */
const logBytes = (lines: readonly string[]): number =>
  lines.reduce((n, l) => n + Buffer.byteLength(l) + 1 + LOG_EVENT_OVERHEAD_BYTES, 0);

/** The measured figures per message, and the idle invoke a schedule adds. */
interface Measured {
  readonly messages: number;
  readonly botMsPerMessage: number;
  readonly dynamodb: { readUnits: number; writeUnits: number; indexWriteUnits: number };
  readonly s3: { puts: number; gets: number; storedBytes: number };
  readonly logBytesPerMessage: number;
  readonly idleInvoke: { ms: number; logBytes: number };
}

async function measure(): Promise<Measured> {
  const bed = await startTestBed({ env: { LOG_LEVEL: "info" }, telegram: { flood: false } });
  bed.ollama.setReply("llama3", () => ANSWER);
  const dynamo = await CountingProxy.start(bed.aws.dynamoUrl, undefined, {
    consumedCapacity: true,
  });
  const s3 = await CountingProxy.start(bed.aws.s3Url, s3Operation);
  const env = { ...bed.env, AWS_ENDPOINT_URL_DYNAMODB: dynamo.url, AWS_ENDPOINT_URL_S3: s3.url };
  const lambda = coldStart(env);
  const people = Array.from({ length: USERS }, (_, i) => ({
    user: { id: 7300 + i, first_name: `Cost${i}` },
    chat: { id: 7300 + i, type: "private" as const },
  }));
  await lambda.invoke({}); // cold start, lease, command menu: once per deployment, not per message
  dynamo.take();
  s3.take();
  let busyMs = 0;
  const lines: string[] = [];
  for (let m = 0; m < MESSAGES_PER_USER; m++)
    for (const p of people) {
      bed.telegram.pushText(p.user, p.chat, `question ${m}: ${"what about this? ".repeat(6)}`);
      const started = performance.now();
      const { logs } = await bed.captureLogs(() => lambda.invoke({}));
      busyMs += performance.now() - started;
      lines.push(...logs);
    }
  // Each conversation ends once (idle): its archive is written, as every session's is one day.
  const ending = coldStart({ ...env, SESSION_IDLE_MINUTES: "0.0001" });
  await new Promise((r) => setTimeout(r, 50));
  lines.push(...(await bed.captureLogs(() => ending.invoke({}))).logs);
  const idle: { ms: number; logBytes: number }[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const { logs } = await bed.captureLogs(() => lambda.invoke({}));
    idle.push({ ms: performance.now() - started, logBytes: logBytes(logs) });
  }
  const units = dynamo.take().units;
  const calls = s3.take().byOperation;
  const listed = await bed.aws.s3.send(new ListObjectsV2Command({ Bucket: bed.aws.bucket }));
  const storedBytes = (listed.Contents ?? []).reduce((n, o) => n + (o.Size ?? 0), 0);
  await Promise.all([dynamo.close(), s3.close()]);
  await bed.close();
  const messages = USERS * MESSAGES_PER_USER;
  return {
    messages,
    botMsPerMessage: busyMs / messages,
    dynamodb: {
      readUnits: units.read / messages,
      writeUnits: units.write / messages,
      indexWriteUnits: units.indexWrite / messages,
    },
    s3: {
      puts: (calls.PutObject?.calls ?? 0) / messages,
      gets: (calls.GetObject?.calls ?? 0) / messages,
      storedBytes: storedBytes / messages,
    },
    logBytesPerMessage: logBytes(lines) / messages + PLATFORM_LOG_BYTES_PER_INVOKE,
    idleInvoke: {
      ms: median(idle.map((i) => i.ms)),
      logBytes: median(idle.map((i) => i.logBytes)) + PLATFORM_LOG_BYTES_PER_INVOKE,
    },
  };
}

const GB = 1024 ** 3;
const usd = (n: number) => round(n, 4);

/** Dollars per 1,000 messages, by service, and which part is the model's time. */
function perThousand(m: Measured, memoryGb: number, modelSeconds: number) {
  const k = 1000;
  const lambdaBot = (k * memoryGb * m.botMsPerMessage * PRICES.lambdaPerGbSecond) / 1000;
  const lambdaModel = k * memoryGb * modelSeconds * PRICES.lambdaPerGbSecond;
  const parts = {
    lambdaWhileTheModelWrites: lambdaModel,
    lambdaBotOwnTime: lambdaBot,
    lambdaRequests: (k * PRICES.lambdaPerMillionRequests) / 1e6,
    dynamodb:
      (k *
        (m.dynamodb.writeUnits + m.dynamodb.indexWriteUnits) *
        PRICES.dynamodbPerMillionWriteUnits +
        k * m.dynamodb.readUnits * PRICES.dynamodbPerMillionReadUnits) /
      1e6,
    // k messages make k × puts requests, priced per 1,000.
    s3Requests: m.s3.puts * PRICES.s3PerThousandPuts + m.s3.gets * PRICES.s3PerThousandGets,
    s3StorageFirstMonth: ((k * m.s3.storedBytes) / GB) * PRICES.s3PerGbMonth,
    cloudwatchLogs: ((k * m.logBytesPerMessage) / GB) * PRICES.logsPerGbIngested,
  };
  const total = Object.values(parts).reduce((a, b) => a + b, 0);
  return {
    byService: Object.fromEntries(Object.entries(parts).map(([key, v]) => [key, usd(v)])),
    total: usd(total),
    modelShareOfTotal: round(parts.lambdaWhileTheModelWrites / total),
  };
}

/** What does not grow with messages: the schedule's idle polls and the monitoring. */
function fixedMonthly(m: Measured, memoryGb: number) {
  const schedule =
    SCHEDULED_INVOKES_PER_MONTH *
    (PRICES.lambdaPerMillionRequests / 1e6 +
      (memoryGb * m.idleInvoke.ms * PRICES.lambdaPerGbSecond) / 1000 +
      (m.idleInvoke.logBytes / GB) * PRICES.logsPerGbIngested);
  const metrics = CLOUDWATCH_FREE.metrics * PRICES.metricPerMonth;
  const alarms = ALARMS * PRICES.alarmPerMonth;
  return {
    scheduleEveryMinute: usd(schedule),
    monitoringBeyondTheFreeTier: usd(metrics + alarms + PRICES.dashboardPerMonth),
    monitoringNote: `10 custom metrics ($${PRICES.metricPerMonth} each), ${ALARMS} alarms ($${PRICES.alarmPerMonth}), 1 dashboard ($${PRICES.dashboardPerMonth}): $0 within CloudWatch's always-free ${CLOUDWATCH_FREE.metrics} metrics, ${CLOUDWATCH_FREE.alarms} alarms and ${CLOUDWATCH_FREE.dashboards} dashboards when the account has nothing else there`,
  };
}

/** The cost section of `npm run bench`. */
export async function cost(): Promise<Record<string, unknown>> {
  progress(
    `AWS cost per message: ${USERS * MESSAGES_PER_USER} messages, one per poll invoke, units counted…`,
  );
  const memoryMb = FUNCTION_SETTINGS.memoryMb;
  const memoryGb = memoryMb / 1024;
  const modelSeconds = Number(process.env.BENCH_MODEL_SECONDS ?? 10);
  const m = await measure();
  const per1000 = perThousand(m, memoryGb, modelSeconds);
  const fixed = fixedMonthly(m, memoryGb);
  const monthly = (perDay: number) => {
    const messages = perDay * 30;
    const variable = (per1000.total * messages) / 1000;
    return {
      messages,
      usdVariable: usd(variable),
      usdWithSchedule: usd(variable + fixed.scheduleEveryMinute),
      usdWithScheduleAndPaidMonitoring: usd(
        variable + fixed.scheduleEveryMinute + fixed.monitoringBeyondTheFreeTier,
      ),
    };
  };
  return {
    prices: PRICES,
    assumptions: {
      memoryMb,
      modelSecondsPerAnswer: modelSeconds,
      answerCharacters: ANSWER.length,
      traffic: `${USERS} users × ${MESSAGES_PER_USER} messages, each in a poll invoke of its own, every conversation archived once at its end`,
      freeTiers: "not applied (Lambda, DynamoDB, S3 and CloudWatch Logs have some)",
    },
    measuredPerMessage: {
      messages: m.messages,
      botMs: round(m.botMsPerMessage, 1),
      dynamodbReadUnits: round(m.dynamodb.readUnits, 2),
      dynamodbWriteUnits: round(m.dynamodb.writeUnits, 2),
      dynamodbIndexWriteUnitsAtMost: round(m.dynamodb.indexWriteUnits, 2),
      s3Puts: round(m.s3.puts, 3),
      s3Gets: round(m.s3.gets, 3),
      s3StoredBytes: Math.round(m.s3.storedBytes),
      cloudwatchLogBytes: Math.round(m.logBytesPerMessage),
    },
    idlePollInvoke: { ms: round(m.idleInvoke.ms, 1), logBytes: Math.round(m.idleInvoke.logBytes) },
    usdPer1000Messages: per1000,
    usdFixedPerMonth: fixed,
    usdPerMonth: { at100MessagesADay: monthly(100), at10000MessagesADay: monthly(10_000) },
  };
}
