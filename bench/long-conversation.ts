/**
 * One very long conversation: S3 bytes written and bot time per message near
 * message 200 and much later, to show that both stay flat (issue 20: a trim
 * used to rewrite the whole archive, so S3 bytes per message grew with length).
 */

import { coldStart } from "../__tests__/harness/lambda.js";
import { startTestBed, type TestBed } from "../__tests__/harness/start-bed.js";
import { CountingProxy, s3Operation } from "./counting-proxy.js";
import { percentile, round } from "./stats.js";

/** Messages per invoke, as a busy user's backlog would arrive. */
const BATCH = 50;
/** Messages on either side of a mark that its figures average over. */
const SPAN = 100;

const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** A user message of about 200 characters, unique per `i`. */
function text(i: number): string {
  const head = `message ${i}: `;
  return head + "lorem ipsum dolor sit amet ".repeat(8).slice(0, 200 - head.length);
}

/** Gaps between consecutive replies in one chat, replies `from`..`to` (1-based). */
function replyGaps(bed: TestBed, chatId: number, from: number, to: number): number[] {
  const sends = bed.telegram
    .requests("sendMessage")
    .filter((r) => r.status === 200 && Number(r.params.chat_id) === chatId);
  const gaps: number[] = [];
  for (let i = Math.max(1, from); i < Math.min(to, sends.length); i++) {
    const a = sends[i - 1];
    const b = sends[i];
    if (a && b) gaps.push(b.at - a.at);
  }
  return gaps;
}

interface Batch {
  readonly from: number;
  readonly to: number;
  readonly handled: number;
  readonly s3PutBytes: number;
  readonly s3Calls: Record<string, number>;
}

/**
 * Sends `total` messages of ~200 characters from one user (streaming off,
 * instant model, default archive settings) and reports, around each mark,
 * the S3 bytes written per message and the bot's time per message.
 */
export async function longConversation(
  total: number,
  marks: readonly number[],
): Promise<Record<string, unknown>> {
  progress(`one conversation of ${total.toLocaleString("en")} messages, S3 traffic counted…`);
  const bed = await startTestBed({
    env: { STREAM_REPLIES: "false", LOG_LEVEL: "warn" },
    telegram: { flood: false },
  });
  const proxy = await CountingProxy.start(bed.aws.s3Url, s3Operation);
  const lambda = coldStart({ ...bed.env, AWS_ENDPOINT_URL_S3: proxy.url });
  const user = { id: 7101, first_name: "Long" };
  const chat = { id: 7101, type: "private" as const };
  const batches: Batch[] = [];
  const started = performance.now();
  for (let from = 1; from <= total; from += BATCH) {
    const to = Math.min(total, from + BATCH - 1);
    for (let i = from; i <= to; i++) bed.telegram.pushText(user, chat, text(i));
    proxy.take();
    const summary = await lambda.invoke<{ handled: number }>({});
    const counts = proxy.take();
    batches.push({
      from,
      to,
      handled: summary.handled,
      s3PutBytes: counts.byOperation.PutObject?.requestBytes ?? 0,
      s3Calls: Object.fromEntries(
        Object.entries(counts.byOperation).map(([op, o]) => [op, o.calls]),
      ),
    });
    if (to % 1000 === 0)
      progress(`  ${to} messages (${Math.round(performance.now() - started)} ms)`);
  }
  const handled = batches.reduce((n, b) => n + b.handled, 0);
  const near: Record<string, unknown> = {};
  for (const mark of marks) {
    const around = batches.filter((b) => b.to > mark - SPAN && b.from <= mark + SPAN);
    const messages = around.reduce((n, b) => n + b.handled, 0);
    const calls: Record<string, number> = {};
    for (const b of around)
      for (const [op, n] of Object.entries(b.s3Calls)) calls[op] = (calls[op] ?? 0) + n;
    const gaps = replyGaps(bed, chat.id, mark - SPAN, mark + SPAN);
    near[`message${mark}`] = {
      messages,
      s3BytesWrittenPerMessage: Math.round(around.reduce((n, b) => n + b.s3PutBytes, 0) / messages),
      s3CallsPerMessage: Object.fromEntries(
        Object.entries(calls).map(([op, n]) => [op, round(n / messages, 3)]),
      ),
      msPerMessage: { p50: percentile(gaps, 50), p95: percentile(gaps, 95), samples: gaps.length },
    };
  }
  await proxy.close();
  await bed.close();
  const first = near[`message${marks[0]}`] as {
    s3BytesWrittenPerMessage: number;
    msPerMessage: { p50: number };
  };
  const last = near[`message${marks.at(-1)}`] as typeof first;
  return {
    messages: handled,
    seconds: Math.round((performance.now() - started) / 1000),
    near,
    ratioLateToEarly: {
      s3BytesWrittenPerMessage: round(
        last.s3BytesWrittenPerMessage / first.s3BytesWrittenPerMessage,
      ),
      msPerMessageP50: round(last.msPerMessage.p50 / first.msPerMessage.p50),
    },
    targets: { s3BytesWrittenPerMessage: "≤ 2×", msPerMessageP50: "≤ 1.3×" },
  };
}
