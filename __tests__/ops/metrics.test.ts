import { beforeAll, describe, expect, it } from "@jest/globals";
import { COUNTERS, DISTRIBUTIONS } from "../../handler/metrics/metric-names.js";
import { DynamoProxy } from "../faults/dynamo-proxy.js";
import { WEBHOOK_SECRET, webhookDelivery, webhookUpdate } from "../faults/support.js";
import { useTestBed } from "../harness/bed.js";
import { coldStart } from "../harness/lambda.js";
import { type Person, person } from "../harness/people.js";

/** One CloudWatch embedded-metric-format document, as the bundle writes it. */
interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

/** The EMF documents among an invoke's stdout lines. */
const emfOf = (logs: readonly string[]): EmfDocument[] =>
  logs.filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line) as EmfDocument);

/** A metric's samples in a document (EMF writes one sample as a number, several as a list). */
const samples = (doc: EmfDocument | undefined, name: string): number[] => {
  const value = doc?.[name];
  return Array.isArray(value) ? (value as number[]) : value === undefined ? [] : [value as number];
};

describe("metrics: one EMF document per invoke, with low-cardinality dimensions only", () => {
  const bed = useTestBed({ telegram: { flood: false }, resetOllama: true });
  let proxy: DynamoProxy;
  let env: Record<string, string>;
  beforeAll(async () => {
    proxy = await DynamoProxy.start(bed.aws.dynamoUrl);
    env = {
      ...bed.env,
      AWS_ENDPOINT_URL_DYNAMODB: proxy.url,
      DAILY_MESSAGE_LIMIT: "1",
      MAX_UPDATE_ATTEMPTS: "1",
      // Someone else administers the bot, so nobody here is exempt from the limit.
      ADMIN_USER_IDS: "1",
    };
  });
  bed.beforeClose(() => proxy.close());

  const invoke = (event: unknown, withEnv = env) =>
    bed.captureLogs(() => coldStart(withEnv).invoke(event, { timeoutMs: 120_000 }));

  it("counts answers, limit refusals, give-ups, Telegram retries and 429 waits, and times the model", async () => {
    // Prepare: Ada goes over her daily limit, Bob's answer meets a 429, Cy's items are refused for good.
    const [ada, bob, cy] = [person("Ada"), person("Bob"), person("Cy")];
    bed.telegram.pushText(ada.user, ada.chat, "first");
    bed.telegram.pushText(ada.user, ada.chat, "second, over the limit");
    bed.telegram.pushText(bob.user, bob.chat, "hello");
    bed.telegram.pushText(cy.user, cy.chat, "my item is refused");
    // The answer is a rich message (Bot API 10.1), so its send is the one that meets the 429.
    bed.telegram.failNext("sendRichMessage", {
      status: 429,
      description: "Too Many Requests: retry after 1",
      retryAfter: 1,
      when: (params) => Number(params.chat_id) === bob.chat.id,
    });
    proxy.refuse({
      match: (_op, body) => body.includes(`"USER#${cy.user.id}"`),
      type: "ValidationException",
      message: "Item size has exceeded the maximum allowed size",
    });

    // Act
    const { logs } = await invoke({});
    proxy.allow();

    // Assess
    const docs = emfOf(logs);
    expect(docs).toHaveLength(1);
    const [doc] = docs;
    expect(doc?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: "TelegramOllamaBot",
        Dimensions: [["service"]],
        Metrics: expect.arrayContaining(
          [
            ...Object.keys(COUNTERS).map((Name) => ({ Name, Unit: "Count" })),
            ...["ModelFirstTokenMs", "ModelAnswerMs", "PromptTokens", "AnswerTokens"].map(
              (Name) => ({ Name, Unit: DISTRIBUTIONS[Name as keyof typeof DISTRIBUTIONS].unit }),
            ),
          ].map((m) => expect.objectContaining(m)),
        ),
      },
    ]);
    expect(doc).toMatchObject({
      service: "telegram-bot",
      mode: "poll",
      AnswersSent: 2,
      MessagesRefusedByLimits: 1,
      UpdatesGivenUp: 1,
    });
    expect(Number(doc?.TelegramRetries)).toBeGreaterThanOrEqual(1);
    expect(samples(doc, "TelegramFloodWaitMs")).toEqual([1000]);
    const reported = bed.ollama.chats().map((c) => c.reported);
    expect(samples(doc, "PromptTokens").sort()).toEqual(
      reported.map((r) => r?.promptEvalCount).sort(),
    );
    expect(samples(doc, "AnswerTokens")).toEqual([42, 42]);
    const firstToken = samples(doc, "ModelFirstTokenMs");
    const whole = samples(doc, "ModelAnswerMs");
    expect(firstToken).toHaveLength(2);
    expect(whole).toHaveLength(2);
    expect(Math.max(...firstToken)).toBeLessThanOrEqual(Math.max(...whole));
    expect(samples(doc, "InvokeDurationMs")).toHaveLength(1);
    expectNoUserOrChat(doc, [ada, bob, cy]);
  });

  it("flushes once per invoke in every mode, zeros included, and names the mode as a property", async () => {
    // Prepare
    const dee = person("Dee");
    const webhookEnv = { ...env, TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET };

    // Act
    const idle = await invoke({});
    const webhook = await invoke(
      webhookDelivery(webhookUpdate(dee, "hello over the webhook"), WEBHOOK_SECRET),
      webhookEnv,
    );
    const queued = await invoke(
      { source: "telegram-webhook", update: webhookUpdate(dee, "queued, never recorded") },
      webhookEnv,
    );

    // Assess
    const [idleDoc, webhookDoc, queuedDoc] = [idle, webhook, queued].map(({ logs }) => {
      const docs = emfOf(logs);
      expect(docs).toHaveLength(1);
      return docs[0];
    });
    expect(idleDoc).toMatchObject({
      mode: "poll",
      AnswersSent: 0,
      MessagesRefusedByLimits: 0,
      UpdatesGivenUp: 0,
      TelegramRetries: 0,
    });
    expect(samples(idleDoc, "ModelAnswerMs")).toEqual([]);
    // Without a function name to queue to, a delivery answers inline.
    expect(webhookDoc).toMatchObject({ mode: "webhook", AnswersSent: 1 });
    expect(queuedDoc?.mode).toBe("queued");
    for (const doc of [idleDoc, webhookDoc, queuedDoc]) expectNoUserOrChat(doc, [dee]);
  });
});

/** No dimension but `service`, and no user or chat id anywhere in the document. */
function expectNoUserOrChat(doc: EmfDocument | undefined, people: readonly Person[]): void {
  const dimensions = doc?._aws.CloudWatchMetrics.flatMap((d) => d.Dimensions.flat()) ?? [];
  expect([...new Set(dimensions)]).toEqual(["service"]);
  const text = JSON.stringify(doc);
  for (const p of people) {
    expect(text).not.toContain(String(p.user.id));
    expect(text).not.toContain(String(p.chat.id));
  }
}
