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
    const job = this.execute(invocation).finally(() => this.running.delete(job));
    this.running.add(job);
  }

  private async execute(invocation: QueuedInvocation): Promise<void> {
    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, this.retryDelayMs));
      invocation.attempts++;
      try {
        await this.run(invocation.payload);
        delete invocation.error;
        return;
      } catch (err) {
        invocation.error = err instanceof Error ? err.message : String(err);
      }
    }
  }
}
