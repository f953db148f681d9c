/**
 * Bench figures of issue 29: answers spread over several Ollama servers. Each
 * fake server answers one request at a time (`OLLAMA_NUM_PARALLEL=1`; the
 * rest wait in its line) and takes 1 s per answer; 16 users send one message
 * each, answered by one, two and three servers. Then two servers, one killed
 * a few seconds into the run: every message must be answered, none twice.
 */
import { FakeOllama } from "../__tests__/harness/fake-ollama.js";
import { coldStart } from "../__tests__/harness/lambda.js";
import { person } from "../__tests__/harness/people.js";
import { startTestBed, type TestBed } from "../__tests__/harness/start-bed.js";
import { round } from "./stats.js";

const USERS = 16;
const ANSWER_MS = 1_000;
/**
 * When, into the run, the second server is killed: half-way through an
 * answer's 1 s, before its first byte (a kill while an answer streams is that
 * answer's failure, reported to its user as with one server).
 */
const KILL_AFTER_MS = 2_500;

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);
let nextId = 29_000;

/** One configuration's run: wall time, and how the answers went. */
interface Run {
  readonly wallMs: number;
  /** Users whose chat got exactly one answer, and more than one. */
  readonly answeredOnce: number;
  readonly answeredTwice: number;
  readonly errorReplies: number;
  /** Answers each server wrote to the end. */
  readonly answersPerServer: number[];
  /** Requests a killed server had begun (in its line or answering) that went to another. */
  readonly cutAndSentElsewhere: number;
}

/** Sends one message from each of {@link USERS} new users, answered by `servers`, and times it. */
async function run(
  bed: TestBed,
  servers: readonly FakeOllama[],
  during?: () => Promise<void>,
): Promise<Run> {
  const lambda = coldStart({
    ...bed.env,
    OLLAMA_URL: servers.map((s) => s.url).join(","),
    OLLAMA_PARALLEL: "1",
    MAX_CONCURRENCY: String(USERS),
    STREAM_REPLIES: "false",
  });
  await lambda.invoke({}); // cold start, lease and command menu outside the measured batch
  for (const s of servers) {
    s.reset();
    s.parallel = 1;
    s.latencyMs = ANSWER_MS;
  }
  const people = Array.from({ length: USERS }, () => person("Bench", { id: nextId++ }));
  for (const p of people) bed.telegram.pushText(p.user, p.chat, `question of ${p.user.id}`);
  const started = performance.now();
  const [summary] = await Promise.all([lambda.invoke<{ handled: number }>({}), during?.()]);
  const wallMs = performance.now() - started;
  if (summary.handled !== USERS) throw new Error(`handled ${summary.handled} of ${USERS}`);
  const replies = people.map((p) => bed.telegram.sentMessages(p.chat.id).map((m) => m.text));
  const answers = (p: (typeof people)[number], i: number) =>
    replies[i]?.filter((t) => t === `You said: question of ${p.user.id}`).length ?? 0;
  // A request the kill cut (Ollama's side closed before its end) was never answered there.
  const chats = servers.flatMap((s) => s.chats());
  return {
    wallMs: Math.round(wallMs),
    answeredOnce: people.filter((p, i) => answers(p, i) === 1).length,
    answeredTwice: people.filter((p, i) => answers(p, i) > 1).length,
    errorReplies: replies.flat().filter((t) => !t.startsWith("You said: ")).length,
    answersPerServer: servers.map(
      (s) => s.chats().filter((c) => c.firstChunkAt !== undefined && !c.cancelledAt).length,
    ),
    cutAndSentElsewhere: chats.filter((c) => c.cancelledAt !== undefined).length,
  };
}

/** The section: one, two and three servers, then two with one killed mid-run. */
export async function servers(): Promise<Record<string, unknown>> {
  const bed = await startTestBed({ env: { LOG_LEVEL: "warn" }, telegram: { flood: false } });
  const fakes = [bed.ollama, await FakeOllama.start(), await FakeOllama.start()];
  try {
    const runs: Record<string, Run> = {};
    for (const n of [1, 2, 3]) {
      progress(
        `several servers: ${USERS} users, ${n} server(s) answering one at a time, 1 s each…`,
      );
      runs[`servers${n}`] = await run(bed, fakes.slice(0, n));
    }
    progress(`several servers: two, the second killed ${KILL_AFTER_MS / 1000} s into the run…`);
    const killed = await run(bed, fakes.slice(0, 2), async () => {
      await new Promise((r) => setTimeout(r, KILL_AFTER_MS));
      await fakes[1]?.stop();
    });
    await fakes[1]?.start();
    const one = runs.servers1?.wallMs ?? Number.NaN;
    return {
      users: USERS,
      answerMs: ANSWER_MS,
      serverParallel: 1,
      ...runs,
      ratioTwoServers: round((runs.servers2?.wallMs ?? Number.NaN) / one),
      ratioThreeServers: round((runs.servers3?.wallMs ?? Number.NaN) / one),
      targets: { ratioTwoServers: 0.6, ratioThreeServers: 0.45 },
      secondKilledAfterMs: KILL_AFTER_MS,
      twoServersOneKilled: killed,
    };
  } finally {
    await Promise.all(fakes.slice(1).map((s) => s.close()));
    await bed.close();
  }
}
