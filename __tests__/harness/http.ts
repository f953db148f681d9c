import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Reads a request body completely. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * An HTTP server on 127.0.0.1 that can be stopped and started again on the
 * same port (to simulate a server going down and coming back).
 */
export class RestartableServer {
  private server: Server | undefined;
  private portNumber = 0;

  constructor(
    private readonly handle: (req: IncomingMessage, res: ServerResponse) => void,
    private readonly host = "127.0.0.1",
  ) {}

  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  /** The port in use. */
  get port(): number {
    return this.portNumber;
  }

  /**
   * Listens (on the previous port after a stop, else on a free one). Another
   * process may take the old port while it is closed: EADDRINUSE is retried for
   * a while, and then a fresh port is taken (read {@link url} again after a restart).
   */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => this.handle(req, res));
    await listenWithRetry(server, this.portNumber, this.host);
    this.portNumber = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Closes the port and drops open connections: clients see "connection refused". */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Listens on `port` (0: any free one). A port just released can be taken by
 * another process (the suite runs files in parallel): EADDRINUSE is retried up
 * to `attempts` times, then a free port is used instead.
 */
export async function listenWithRetry(
  server: Server,
  port: number,
  host: string,
  attempts = 20,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const wanted = attempt > attempts ? 0 : port;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(wanted, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || wanted === 0) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
