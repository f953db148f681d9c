import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Socket } from "node:net";
import { Readable } from "node:stream";

/** How long a pooled connection may sit idle before it is closed (undici's default too). */
export const IDLE_SOCKET_MS = 4_000;

/** Options of {@link keepAliveFetch}. */
export interface KeepAliveOptions {
  /** @default {@link IDLE_SOCKET_MS} */
  readonly idleSocketMs?: number;
}

/**
 * How a pooled connection that went stale while idle fails when it is used
 * again: the peer, or a NAT or proxy between that forgot it, resets it (a write
 * to it may also meet a closed pipe). "socket hang up" carries ECONNRESET too.
 */
const STALE_SOCKET_CODES: ReadonlySet<string> = new Set(["ECONNRESET", "EPIPE"]);

/**
 * A `fetch` for the Telegram and Ollama clients over Node's own `http`/`https`
 * with keep-alive agents. Node's global `fetch` (undici) costs the bot process
 * about four times the CPU of `http.request` per call (measured: ~2.5 ms vs
 * ~0.6 ms per small POST on the bench machine), and every answer makes two
 * such calls. It covers what those clients send (no body, a string or bytes;
 * anything else goes to the global `fetch`): a response whose type is NDJSON
 * (Ollama's stream) streams, any other is read whole first (Telegram's JSON).
 *
 * Connections may go stale between calls: a NAT gateway forgets one idle for
 * 350 s, a reverse proxy closes it, a frozen Lambda outlives it. An idle pooled
 * connection is closed after `idleSocketMs`, and a request whose reused
 * connection fails before any byte of the answer is sent once more on a fresh
 * connection (Node's `request.reusedSocket` pattern): the server never saw it,
 * so nothing repeats. A new connection, or one that answered, is never retried.
 */
export function keepAliveFetch(options: KeepAliveOptions = {}): typeof fetch {
  // `timeout` closes a socket only while it is idle in the pool; in use, a silence merely emits
  // an event nobody acts on (a model that loads for minutes, the long poll).
  const pool = { keepAlive: true, timeout: options.idleSocketMs ?? IDLE_SOCKET_MS };
  const agents = { "http:": new HttpAgent(pool), "https:": new HttpsAgent(pool) };
  return async (input, init) => {
    const body = init?.body;
    const url = typeof input === "string" ? new URL(input) : input instanceof URL ? input : null;
    const protocol = url?.protocol;
    if (
      url === null ||
      (protocol !== "http:" && protocol !== "https:") ||
      (body != null && typeof body !== "string" && !(body instanceof Uint8Array))
    )
      return fetch(input, init);
    const signal = init?.signal ?? undefined;
    // Not throwIfAborted(): unbundled grammY (npm start) passes the abort-controller
    // polyfill's signal, which has only `aborted` and the listener methods.
    if (signal?.aborted)
      throw signal.reason ?? new DOMException("This operation was aborted", "AbortError");
    const headers = plainHeaders(init?.headers);
    if (body != null) headers["content-length"] = String(Buffer.byteLength(body));
    const agent = agents[protocol];
    const send = (): Promise<IncomingMessage> =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const req = (protocol === "https:" ? httpsRequest : httpRequest)(
          url,
          { method: init?.method ?? "GET", headers, agent },
          resolve,
        );
        let socket: Socket | undefined;
        let readBefore = 0;
        req.once("socket", (s) => {
          socket = s;
          readBefore = s.bytesRead;
        });
        const abort = () => req.destroy(signal?.reason);
        signal?.addEventListener("abort", abort, { once: true });
        req.once("close", () => signal?.removeEventListener("abort", abort));
        req.once("error", (err: NodeJS.ErrnoException) => {
          const stale =
            req.reusedSocket &&
            STALE_SOCKET_CODES.has(err.code ?? "") &&
            socket?.bytesRead === readBefore &&
            !signal?.aborted;
          if (!stale) return reject(err);
          // The pool lends its most recently used socket first: the others idled at least as
          // long, so none is trusted with the retry. With the pool empty the retry opens a new
          // connection, which is never retried itself: one retry at most.
          dropIdleSockets(agent);
          resolve(send());
        });
        req.end(body ?? undefined);
      });
    const res = await send();
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(res.headers))
      if (value !== undefined)
        for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
    const status = res.statusCode ?? 0;
    const meta = { status, statusText: res.statusMessage ?? "", headers: responseHeaders };
    if (signal) {
      // An abort while the body is read (or streamed) ends it with the signal's reason.
      const abort = () => res.destroy(signal.reason);
      signal.addEventListener("abort", abort, { once: true });
      res.once("close", () => signal.removeEventListener("abort", abort));
    }
    const streamed = responseHeaders.get("content-type")?.includes("ndjson") === true;
    if (streamed && status >= 200 && status < 300)
      return new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, meta);
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return new Response(nullBody(status) ? null : Buffer.concat(chunks), meta);
  };
}

/** Closes every connection idle in `agent`'s pool, so the next request opens a fresh one. */
function dropIdleSockets(agent: HttpAgent): void {
  for (const sockets of Object.values(agent.freeSockets))
    for (const s of sockets ?? []) s.destroy();
}

/** Statuses whose response may not have a body (the Response constructor refuses one). */
const nullBody = (status: number) =>
  status === 101 || status === 204 || status === 205 || status === 304;

function plainHeaders(headers: RequestInit["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  // Headers and arrays of pairs iterate as pairs; a plain object does not.
  const pairs =
    headers === undefined
      ? []
      : headers instanceof Headers || Array.isArray(headers)
        ? headers
        : Object.entries(headers as Record<string, string>);
  for (const [k, v] of pairs as Iterable<[string, string]>) out[k.toLowerCase()] = v;
  return out;
}
