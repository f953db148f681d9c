import type { IncomingMessage, ServerResponse } from "node:http";
import { RestartableServer, readBody, sendJson } from "./http.js";

/** One asynchronous invocation the fake accepted. */
export interface QueuedInvocation {
  readonly functionName: string;
  readonly payload: unknown;
  /** Runs so far (1 + Lambda's retries). */
  attempts: number;
  /** The last run's error, if it failed. */
  error?: string;
}

/**
 * The Lambda `Invoke` API for `InvocationType: Event`, as Lambda does it:
 * 202 at once, the function run later, and up to two retries when it throws
 * (Lambda waits about a minute; this fake waits `retryDelayMs`).
 */
export class FakeLambda {
  private readonly server = new RestartableServer((req, res) => void this.route(req, res));
  private readonly invocations: QueuedInvocation[] = [];
  private readonly running = new Set<Promise<void>>();
  retryDelayMs = 200;
  maxRetries = 2;
  /**
   * While true, accepted invocations wait for {@link runHeld} instead of running:
   * Lambda's asynchronous queue is not FIFO, so tests choose the order.
   */
  hold = false;
  /**
   * The on-failure destination: receives, as Lambda sends it, the invocation
   * record of an event whose every attempt failed (e.g. `FakeSqs.enqueue`).
   */
  onFailure?: (record: string) => void;
  private held: QueuedInvocation[] = [];
  private readonly started: unknown[] = [];

  private constructor(private readonly run: (payload: unknown) => Promise<unknown>) {}

  /** Starts the fake; `run` is the function (e.g. a warm `coldStart(env)`'s invoke). */
  static async start(run: (payload: unknown) => Promise<unknown>): Promise<FakeLambda> {
    const fake = new FakeLambda(run);
    await fake.server.start();
    return fake;
  }

  /** What `AWS_ENDPOINT_URL_LAMBDA` is set to. */
  get url(): string {
    return this.server.url;
  }

  /** Every invocation accepted so far. */
  queued(): readonly QueuedInvocation[] {
    return this.invocations;
  }

  /** Payloads of every run (retries included), in the order they started. */
  runs(): readonly unknown[] {
    return this.started;
  }

  /**
   * Runs the held invocations: `reverse` takes the last accepted first, as an
   * unordered queue may; `concurrency` of them run at once.
   */
  async runHeld(options: { order: "arrival" | "reverse"; concurrency: number }): Promise<void> {
    const jobs = options.order === "reverse" ? [...this.held].reverse() : [...this.held];
    this.held = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let job = jobs[next++]; job; job = jobs[next++]) await this.execute(job);
    };
    const all = Promise.all(Array.from({ length: options.concurrency }, worker)).then(() => {});
    this.running.add(all);
    await all.finally(() => this.running.delete(all));
  }

  /** Resolves once every accepted invocation has finished (retries included). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  async close(): Promise<void> {
    await this.settled();
    await this.server.stop();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? "");
    if (req.method !== "POST" || !match?.[1]) {
      sendJson(res, 404, { Type: "User", message: "Unknown operation" });
      return;
    }
    if (req.headers["x-amz-invocation-type"] !== "Event") {
      sendJson(res, 400, { Type: "User", message: "this fake only queues Event invocations" });
      return;
    }
    const invocation: QueuedInvocation = {
      functionName: decodeURIComponent(match[1]),
      payload: JSON.parse(body.toString("utf8") || "{}"),
      attempts: 0,
    };
    this.invocations.push(invocation);
    res.writeHead(202, { "x-amzn-requestid": `fake-${this.invocations.length}` });
    res.end();
    if (this.hold) {
      this.held.push(invocation);
      return;
    }
    const job = this.execute(invocation).finally(() => this.running.delete(job));
    this.running.add(job);
  }

  private async execute(invocation: QueuedInvocation): Promise<void> {
    let failure: Error | undefined;
    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.retryDelayMs));
      invocation.attempts++;
      this.started.push(invocation.payload);
      try {
        await this.run(invocation.payload);
        delete invocation.error;
        return;
      } catch (err) {
        failure = err instanceof Error ? err : new Error(String(err));
        invocation.error = failure.message;
      }
    }
    this.onFailure?.(JSON.stringify(invocationRecord(invocation, failure)));
  }
}

/**
 * The record Lambda sends to an on-failure destination after the last retry
 * (AWS Lambda developer guide, "Capturing records of asynchronous invocations").
 */
function invocationRecord(invocation: QueuedInvocation, failure: Error | undefined): object {
  return {
    version: "1.0",
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: `fake-${Math.random().toString(16).slice(2)}`,
      functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${invocation.functionName}:$LATEST`,
      condition: "RetriesExhausted",
      approximateInvokeCount: invocation.attempts,
    },
    requestPayload: invocation.payload,
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    responsePayload: {
      errorType: failure?.name ?? "Error",
      errorMessage: failure?.message ?? "unknown",
    },
  };
}
