/**
 * A TCP proxy that forgets connections idle for a while, as a NAT gateway does
 * (AWS's after 350 s), or as the path to a Lambda frozen between invokes does:
 * neither side is told. The connection to the server is dropped, and the next
 * bytes the client sends on a forgotten connection are answered with a reset
 * (RST) and never reach the server. So a client that reuses a pooled
 * connection after such a gap meets ECONNRESET before any byte of an answer,
 * as it would in production, without the test waiting minutes.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export class ForgetfulProxy {
  /** Connections clients opened through the proxy. */
  opened = 0;
  /** Connections forgotten after `idleMs` without a byte either way. */
  forgotten = 0;
  /** Forgotten connections a client sent bytes on again (each answered with a reset). */
  resets = 0;
  private readonly sockets = new Set<Socket>();
  private live = 0;

  private constructor(
    private readonly server: Server,
    private readonly idleMs: number,
    private readonly target: URL,
  ) {
    server.on("connection", (client) => this.relay(client));
  }

  /** Starts a proxy on 127.0.0.1 in front of `target` (an `http://host:port` URL). */
  static async start(target: string, idleMs: number): Promise<ForgetfulProxy> {
    const proxy = new ForgetfulProxy(createServer(), idleMs, new URL(target));
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  /** The proxy's address, to use in place of the target's. */
  get url(): string {
    const address = this.server.address();
    if (address === null || typeof address === "string") throw new Error("the proxy is closed");
    return `http://127.0.0.1:${address.port}`;
  }

  /** Connections open and remembered (in use or idle, not yet forgotten). */
  get remembered(): number {
    return this.live;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    this.opened++;
    this.live++;
    const upstream = connect(Number(this.target.port), this.target.hostname);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    let forgotten = false;
    let timer: NodeJS.Timeout | undefined;
    const end = () => {
      clearTimeout(timer);
      if (!forgotten) this.live--;
      forgotten = true;
    };
    const active = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        this.forgotten++;
        end();
        upstream.destroy();
      }, this.idleMs);
    };
    client.on("data", (chunk) => {
      if (forgotten) {
        this.resets++;
        client.resetAndDestroy();
        return;
      }
      active();
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      active();
      client.write(chunk);
    });
    // A side that closes while remembered closes the other, as a live connection would.
    upstream.once("close", () => {
      if (forgotten) return;
      end();
      client.end();
    });
    client.once("close", () => {
      end();
      upstream.destroy();
    });
    active();
  }
}
