/**
 * Bench figures of issue 16: how long a short message waits while someone
 * else's long answer streams, how long an idle invoke takes, and the bot
 * process's own CPU per message (beside the commit before this work, built
 * from git in the same run).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BUNDLE, coldStart } from "../__tests__/harness/lambda.js";
import { startTestBed } from "../__tests__/harness/start-bed.js";
import { median, percentile, round } from "./stats.js";

const root = resolve(import.meta.dirname, "..");
const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);
const user = (id: number) => ({
  user: { id, first_name: `U${id}` },
  chat: { id, type: "private" as const },
});
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The commit before the poller listened while answering (issue 16): the CPU
 * baseline is built from it. Its figure measured on the machine is
 * kept in {@link STORED_BASELINE_CPU_MS} for clones without that history.
 */
export const BASELINE_COMMIT = "83e11cd";
/**
 * CPU ms per message of BASELINE_COMMIT as this bench measured it on 2026-11-26 01:32 UTC
 * (2 vCPU shared with other jobs, load average 6–10; this bundle: 17.8 ms in the same run).
 * Only compare it with figures from a similarly loaded machine.
 */
const STORED_BASELINE_CPU_MS = 22.2;

/**
 * One user's answer streams for about 15 s; meanwhile 12 other users each send
 * a short message, one a second. For each: ms from its arrival at Telegram to
 * the bot's first visible reply in that chat.
 */
export async function waitBehindLongAnswer(): Promise<Record<string, unknown>> {
  progress("short messages while another user's 15 s answer streams…");
  const bed = await startTestBed({ env: { LOG_LEVEL: "warn" } });
  const long = "A long, carefully considered answer. ".repeat(60);
  bed.ollama.chunkSize = 16;
  bed.ollama.chunkDelayMs = Math.round(15_000 / Math.ceil(long.length / 16));
  bed.ollama.setReply("llama3", (body) =>
    body.messages.at(-1)?.content === "tell me everything" ? long : "Short answer.",
  );
  const lambda = coldStart(bed.env);
  await lambda.invoke({}); // cold start, lease and command menu outside the measurement
  const writer = user(6000);
  bed.telegram.pushText(writer.user, writer.chat, "tell me everything");
  const running = lambda.invoke<{ handled: number }>({});
  // Streaming has begun once the writer sees text: a draft frame (private chats' default) or a message.
  while (
    bed.telegram.drafts(writer.chat.id).length === 0 &&
    bed.telegram.sentMessages(writer.chat.id).length === 0
  )
    await sleep(20);
  const arrivals: { chatId: number; at: number }[] = [];
  for (let i = 1; i <= 12; i++) {
    const u = user(6000 + i);
    arrivals.push({ chatId: u.chat.id, at: Date.now() });
    bed.telegram.pushText(u.user, u.chat, `quick question ${i}`);
    await sleep(1_000);
  }
  const summary = await running;
  const longDone =
    bed.telegram
      .requests()
      .filter((r) => r.status === 200)
      .at(-1)?.at ?? 0;
  const waits = arrivals.flatMap(({ chatId, at }) => {
    const first = bed.telegram
      .requests("sendMessage")
      .find((r) => r.status === 200 && Number(r.params.chat_id) === chatId);
    return first ? [first.at - at] : [];
  });
  const answeredDuringLongAnswer = arrivals.filter(({ chatId }) => {
    const first = bed.telegram
      .requests("sendMessage")
      .find((r) => r.status === 200 && Number(r.params.chat_id) === chatId);
    return first !== undefined && first.at < longDone;
  }).length;

  progress("idle invokes after that load…");
  const idle: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await lambda.invoke({});
    idle.push(performance.now() - started);
  }
  await bed.close();
  return {
    firstReplyWhileLongAnswerStreams: {
      samples: waits.length,
      p50Ms: Math.round(percentile(waits, 50)),
      p95Ms: Math.round(percentile(waits, 95)),
      targetP95Ms: 1_500,
      answeredBeforeTheLongAnswerEnded: answeredDuringLongAnswer,
      handledInTheInvoke: summary.handled,
    },
    idleInvoke: {
      samples: idle.length,
      medianMs: Math.round(median(idle)),
      maxMs: Math.round(Math.max(...idle)),
      targetMs: 2_000,
    },
  };
}

const CPU_RUNNER = `
const { handler } = require(process.env.CPU_BUNDLE);
const context = () => ({ getRemainingTimeInMillis: () => 300000, awsRequestId: String(Math.random()) });
const lines = require("node:readline").createInterface({ input: process.stdin });
(async () => {
  await handler({}, context());
  process.stderr.write("@@READY\\n");
  for await (const _ of lines) break;
  const before = process.cpuUsage();
  const result = await handler({}, context());
  const used = process.cpuUsage(before);
  process.stderr.write("@@CPU " + JSON.stringify({ ...used, handled: result.handled }) + "\\n");
  process.exit(0);
})();
`;

/**
 * The test bed's environment as `bundle` understands it. The bed opens the bot with
 * `ALLOWED_USER_IDS=*`; the baseline commit predates that value (its bot was open when the
 * list was empty) and refuses it as a malformed setting.
 */
function forBundle(bundle: string, env: Readonly<Record<string, string>>): Record<string, string> {
  if (bundle === BUNDLE || env.ALLOWED_USER_IDS !== "*") return { ...env };
  const { ALLOWED_USER_IDS: _open, ...rest } = env;
  return rest;
}

/** CPU (user + system) the bot process spends on 100 messages from 20 users, per message; one sample per run. */
export async function cpuPerMessage(bundle: string, runs: number): Promise<number[]> {
  const bed = await startTestBed({
    env: { STREAM_REPLIES: "false", LOG_LEVEL: "info" },
    telegram: { flood: false },
  });
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    // BENCH_CPU_PROF=<dir> writes a V8 profile of each run there (node --cpu-prof).
    const prof = process.env.BENCH_CPU_PROF;
    const flags = prof ? ["--cpu-prof", "--cpu-prof-dir", prof] : [];
    const child = spawn(process.execPath, [...flags, "-e", CPU_RUNNER], {
      env: { PATH: process.env.PATH ?? "", ...forBundle(bundle, bed.env), CPU_BUNDLE: bundle },
      stdio: ["pipe", "ignore", "pipe"],
    });
    let err = "";
    const seen = (tag: string) =>
      new Promise<string>((resolveLine, reject) => {
        const check = () => {
          const line = err.split("\n").find((l) => l.startsWith(tag));
          if (line) resolveLine(line.slice(tag.length));
        };
        child.stderr.on("data", (d: Buffer) => {
          err += d.toString();
          check();
        });
        child.once("exit", () => reject(new Error(`CPU runner exited: ${err.slice(-500)}`)));
      });
    const ready = seen("@@READY");
    const cpu = seen("@@CPU ");
    await ready;
    for (let m = 0; m < 5; m++)
      for (let i = 0; i < 20; i++) {
        const u = user(20_000 + run * 100 + i);
        bed.telegram.pushText(u.user, u.chat, `hello ${m}`);
      }
    child.stdin.write("go\n");
    const used = JSON.parse(await cpu) as { user: number; system: number; handled: number };
    samples.push((used.user + used.system) / 1000 / Math.max(1, used.handled));
  }
  await bed.close();
  return samples;
}

/** Builds the handler of `commit` into a temporary folder; undefined when git cannot. */
function buildBaseline(commit: string): { bundle: string; cleanup: () => void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), "bench-baseline-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const archive = spawnSync(
    "sh",
    ["-c", `git archive ${commit} handler scripts package.json | tar -x -C "${dir}"`],
    { cwd: root, encoding: "utf8" },
  );
  if (archive.status !== 0) {
    cleanup();
    return undefined;
  }
  symlinkSync(resolve(root, "node_modules"), join(dir, "node_modules"));
  const built = spawnSync(process.execPath, ["--import", "tsx", "scripts/build-handler.ts"], {
    cwd: dir,
    encoding: "utf8",
  });
  if (built.status !== 0) {
    cleanup();
    return undefined;
  }
  return { bundle: join(dir, "dist", "handler", "index.js"), cleanup };
}

let builtBaseline: { bundle: string; cleanup: () => void } | undefined | null = null;

/**
 * The bundle of {@link BASELINE_COMMIT}, built on first use and shared by the sections
 * that compare against it (undefined when git cannot build it); {@link removeBaseline} deletes it.
 */
export function baselineBundle(): string | undefined {
  if (builtBaseline === null) builtBaseline = buildBaseline(BASELINE_COMMIT);
  return builtBaseline?.bundle;
}

/** Deletes the baseline build, if one was made. */
export function removeBaseline(): void {
  builtBaseline?.cleanup();
  builtBaseline = null;
}

/** This bundle's CPU per message beside the baseline commit's, alternating runs so load hits both alike. */
export async function cpu(): Promise<Record<string, unknown>> {
  progress(`bot CPU per message (streaming off, instant model), now and at ${BASELINE_COMMIT}…`);
  const baselinePath = baselineBundle();
  const baseline = baselinePath ? { bundle: baselinePath } : undefined;
  const now: number[] = [];
  const before: number[] = [];
  for (let round = 0; round < 3; round++) {
    now.push(...(await cpuPerMessage(BUNDLE, 1)));
    if (baseline) before.push(...(await cpuPerMessage(baseline.bundle, 1)));
  }
  return {
    messagesPerSample: 100,
    samples: now.length,
    msPerMessage: round(median(now)),
    targetMs: 4,
    baseline: baseline
      ? { commit: BASELINE_COMMIT, msPerMessage: round(median(before)), samples: before.length }
      : { commit: BASELINE_COMMIT, msPerMessage: STORED_BASELINE_CPU_MS, stored: true },
  };
}
