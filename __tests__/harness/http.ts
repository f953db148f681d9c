import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { listenWithRetry } from "../../local/listen.js";

/** Shared with `npm start`'s emulators (local/aws-emulators.ts). */
export { listenWithRetry };

/** A port on 127.0.0.1 nothing listens on: a server that is down (LocalStack not running, a registry out of reach). */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

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
