import { createHash, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { RestartableServer, readBody } from "./http.js";

/** A message as the fake holds it. */
interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  /** Invisible (being processed by a receiver) until this epoch ms. */
  invisibleUntil: number;
  /** Only the latest receipt handle deletes the message, as in SQS. */
  receipt?: string;
}

/** The queue attribute SQS applies when a receive names no VisibilityTimeout. */
const DEFAULT_VISIBILITY_SECONDS = 30;

const md5 = (text: string): string => createHash("md5").update(text, "utf8").digest("hex");

/**
 * Amazon SQS as AWS SDK v3 speaks to it (AWS JSON 1.0: `POST /`,
 * `X-Amz-Target: AmazonSQS.<Operation>`), for standard queues: GetQueueUrl,
 * SendMessage, ReceiveMessage (visibility timeout, long polling, receive
 * counts, MD5 of the body, which the SDK checks), ChangeMessageVisibility
 * (in-flight messages only) and DeleteMessage (only with the latest receipt
 * handle). Errors carry `__type` and the
 * `x-amzn-query-error` code the SDK maps to its exceptions.
 *
 * Hand-written because no SQS emulator on npm runs here: the ones that speak
 * the protocol wrap ElasticMQ (Java) or LocalStack (Docker), `fauxqs` needs
 * Node ≥ 22.5 (this project supports 20), and `sqslite` answers only the
 * older query (XML) protocol. Mocking the SDK client instead would not test
 * the requests `npm run failed` really sends.
 */
export class FakeSqs {
  private readonly server = new RestartableServer((req, res) => void this.route(req, res));
  private readonly queues = new Map<string, StoredMessage[]>();
  /** Operations received, in order (e.g. `"ReceiveMessage"`). */
  readonly calls: string[] = [];

  private constructor() {}

  static async start(): Promise<FakeSqs> {
    const fake = new FakeSqs();
    await fake.server.start();
    return fake;
  }

  /** What `AWS_ENDPOINT_URL_SQS` (or the client's endpoint) is set to. */
  get url(): string {
    return this.server.url;
  }

  /** Creates a standard queue. @returns its URL. */
  createQueue(name: string): string {
    if (!this.queues.has(name)) this.queues.set(name, []);
    return this.queueUrl(name);
  }

  /** Puts a message on a queue as a sender would (e.g. Lambda's on-failure destination). */
  enqueue(name: string, body: string): void {
    const queue = this.queues.get(name);
    if (!queue) throw new Error(`no queue ${name}`);
    queue.push({ id: randomUUID(), body, sentAt: Date.now(), receiveCount: 0, invisibleUntil: 0 });
  }

  /** Bodies of the messages still on the queue (visible or not). */
  bodies(name: string): string[] {
    return (this.queues.get(name) ?? []).map((m) => m.body);
  }

  async close(): Promise<void> {
    await this.server.stop();
  }

  private queueUrl(name: string): string {
    return `${this.url}/000000000000/${name}`;
  }

  private queueOf(url: unknown): StoredMessage[] | undefined {
    return typeof url === "string" ? this.queues.get(url.split("/").pop() ?? "") : undefined;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = String(req.headers["x-amz-target"] ?? "");
    const input = JSON.parse((await readBody(req)).toString("utf8") || "{}") as Record<
      string,
      unknown
    >;
    const operation = target.replace(/^AmazonSQS\./, "");
    this.calls.push(operation);
    if (req.method !== "POST" || !target.startsWith("AmazonSQS."))
      return fail(res, "InvalidAction", "AWS.SimpleQueueService.InvalidAction", "Unknown action.");
    if (operation === "GetQueueUrl") {
      const name = String(input.QueueName);
      if (!this.queues.has(name)) return noQueue(res);
      return reply(res, { QueueUrl: this.queueUrl(name) });
    }
    const queue = this.queueOf(input.QueueUrl);
    if (!queue) return noQueue(res);
    switch (operation) {
      case "SendMessage": {
        const body = String(input.MessageBody ?? "");
        if (body === "")
          return fail(res, "MissingParameter", "MissingParameter", "MessageBody is required.");
        const message: StoredMessage = {
          id: randomUUID(),
          body,
          sentAt: Date.now(),
          receiveCount: 0,
          invisibleUntil: 0,
        };
        queue.push(message);
        return reply(res, { MessageId: message.id, MD5OfMessageBody: md5(body) });
      }
      case "ReceiveMessage":
        return reply(res, await this.receive(queue, input));
      case "DeleteMessage": {
        const at = queue.findIndex(
          (m) => m.receipt !== undefined && m.receipt === input.ReceiptHandle,
        );
        if (at < 0)
          return fail(
            res,
            "ReceiptHandleIsInvalid",
            "ReceiptHandleIsInvalid",
            "The input receipt handle is invalid.",
          );
        queue.splice(at, 1);
        return reply(res, {});
      }
      case "ChangeMessageVisibility": {
        const message = queue.find(
          (m) => m.receipt !== undefined && m.receipt === input.ReceiptHandle,
        );
        if (!message || message.invisibleUntil <= Date.now())
          return fail(
            res,
            "MessageNotInflight",
            "AWS.SimpleQueueService.MessageNotInflight",
            "The message referred to isn't in flight.",
          );
        message.invisibleUntil = Date.now() + Number(input.VisibilityTimeout ?? 0) * 1000;
        return reply(res, {});
      }
      default:
        return fail(
          res,
          "InvalidAction",
          "AWS.SimpleQueueService.InvalidAction",
          `${operation} is not supported by this fake.`,
        );
    }
  }

  private async receive(queue: StoredMessage[], input: Record<string, unknown>): Promise<object> {
    const max = Number(input.MaxNumberOfMessages ?? 1);
    const visibility = Number(input.VisibilityTimeout ?? DEFAULT_VISIBILITY_SECONDS);
    const waitUntil = Date.now() + Number(input.WaitTimeSeconds ?? 0) * 1000;
    const names = [
      ...((input.MessageSystemAttributeNames as string[] | undefined) ?? []),
      ...((input.AttributeNames as string[] | undefined) ?? []),
    ];
    for (;;) {
      const now = Date.now();
      const visible = queue.filter((m) => m.invisibleUntil <= now).slice(0, max);
      if (visible.length > 0 || now >= waitUntil) {
        const Messages = visible.map((m) => {
          m.receiveCount++;
          m.invisibleUntil = now + visibility * 1000;
          m.receipt = randomUUID();
          const attributes: Record<string, string> = {
            ApproximateReceiveCount: String(m.receiveCount),
            SentTimestamp: String(m.sentAt),
          };
          const wanted = names.includes("All")
            ? attributes
            : Object.fromEntries(Object.entries(attributes).filter(([k]) => names.includes(k)));
          return {
            MessageId: m.id,
            ReceiptHandle: m.receipt,
            MD5OfBody: md5(m.body),
            Body: m.body,
            ...(Object.keys(wanted).length > 0 ? { Attributes: wanted } : {}),
          };
        });
        return Messages.length > 0 ? { Messages } : {};
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

function reply(res: ServerResponse, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(200, {
    "content-type": "application/x-amz-json-1.0",
    "content-length": Buffer.byteLength(text),
    "x-amzn-requestid": randomUUID(),
  });
  res.end(text);
}

function fail(res: ServerResponse, type: string, queryCode: string, message: string): void {
  const text = JSON.stringify({ __type: `com.amazonaws.sqs#${type}`, message });
  res.writeHead(400, {
    "content-type": "application/x-amz-json-1.0",
    "content-length": Buffer.byteLength(text),
    "x-amzn-query-error": `${queryCode};Sender`,
    "x-amzn-requestid": randomUUID(),
  });
  res.end(text);
}

function noQueue(res: ServerResponse): void {
  fail(
    res,
    "QueueDoesNotExist",
    "AWS.SimpleQueueService.NonExistentQueue",
    "The specified queue does not exist.",
  );
}
