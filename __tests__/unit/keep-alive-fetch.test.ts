import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, createServer as createTcpServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { keepAliveFetch } from "../../handler/adapters/keep-alive-fetch.js";
import { ForgetfulProxy } from "../harness/forgetful-proxy.js";
import { waitFor } from "../harness/people.js";

type Route = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe("keepAliveFetch: the HTTP client of the Telegram and Ollama adapters", () => {
  let server: Server;
  let base: string;
  const routes = new Map<string, Route>();
  const ports: number[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      ports.push(req.socket.remotePort ?? 0);
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => {
        body += c;
      });
      req.on("end", () => routes.get(req.url ?? "")?.(req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("sends method, headers and a JSON body, and reads a JSON answer with its status and headers", async () => {
    // Prepare
    let seen: { method?: string; type?: string; length?: string; body?: string } = {};
    routes.set("/botT/sendMessage", (req, body, res) => {
      seen = {
        method: req.method,
        type: req.headers["content-type"],
        length: req.headers["content-length"],
        body,
      };
      res.writeHead(400, { "content-type": "application/json", "x-trace": "abc" });
      res.end('{"ok":false,"error_code":400,"description":"Bad Request: message text is empty"}');
    });
    const payload = JSON.stringify({ chat_id: 1, text: "héllo" });

    // Act
    const res = await keepAliveFetch()(`${base}/botT/sendMessage`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: payload,
    });

    // Assess
    expect(seen).toEqual({
      method: "POST",
      type: "application/json",
      length: String(Buffer.byteLength(payload)),
      body: payload,
    });
    expect(res.status).toBe(400);
    expect(res.ok).toBe(false);
    expect(res.headers.get("x-trace")).toBe("abc");
    expect(await res.json()).toEqual({
      ok: false,
      error_code: 400,
      description: "Bad Request: message text is empty",
    });
  });

  it("streams an NDJSON answer: the first line is readable before the server writes the second", async () => {
    // Prepare
    let writeSecond: () => void = () => {};
    routes.set("/api/chat", (_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write('{"message":{"content":"Hel"},"done":false}\n');
      writeSecond = () => res.end('{"message":{"content":"lo"},"done":true}\n');
    });

    // Act
    const res = await keepAliveFetch()(`${base}/api/chat`, { method: "POST", body: "{}" });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    writeSecond();
    let rest = "";
    for (let part = await reader.read(); !part.done; part = await reader.read())
      rest += Buffer.from(part.value).toString("utf8");

    // Assess
    expect(Buffer.from(first.value ?? new Uint8Array()).toString("utf8")).toBe(
      '{"message":{"content":"Hel"},"done":false}\n',
    );
    expect(rest).toBe('{"message":{"content":"lo"},"done":true}\n');
  });

  it("rejects with the signal's reason when aborted before any answer", async () => {
    // Prepare: the server never answers
    routes.set("/botT/getUpdates", () => {});
    const controller = new AbortController();

    // Act
    const call = keepAliveFetch()(`${base}/botT/getUpdates`, {
      method: "POST",
      body: "{}",
      signal: controller.signal,
    });
    controller.abort(new Error("deadline"));

    // Assess
    await expect(call).rejects.toThrow("deadline");
  });

  it("ends a streamed body with an error when aborted mid-stream", async () => {
    // Prepare: one line, then silence
    routes.set("/api/chat?hang", (_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write('{"done":false}\n');
    });
    const controller = new AbortController();
    const res = await keepAliveFetch()(`${base}/api/chat?hang`, {
      method: "POST",
      body: "{}",
      signal: controller.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();

    // Act
    controller.abort(new Error("model timeout"));

    // Assess
    await expect(reader.read()).rejects.toThrow();
  });

  it("reuses one connection for calls made one after another", async () => {
    // Prepare
    routes.set("/botT/getMe", (_req, _body, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true,"result":{"id":1}}');
    });
    const client = keepAliveFetch();
    const from = ports.length;

    // Act
    for (let i = 0; i < 3; i++)
      await (await client(`${base}/botT/getMe`, { method: "POST" })).json();

    // Assess
    const used = ports.slice(from);
    expect(used).toHaveLength(3);
    expect(new Set(used).size).toBe(1);
  });

  it("hands a body it does not send itself (form data, a file upload) to the global fetch", async () => {
    // Prepare
    let seen = "";
    routes.set("/botT/sendDocument", (req, body, res) => {
      seen = `${req.headers["content-type"]?.split(";")[0]} ${body.includes("file contents")}`;
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"ok":true,"result":true}');
    });
    const form = new FormData();
    form.append("document", new Blob(["file contents"]), "a.txt");

    // Act
    const res = await keepAliveFetch()(`${base}/botT/sendDocument`, { method: "POST", body: form });

    // Assess
    expect(await res.json()).toEqual({ ok: true, result: true });
    expect(seen).toBe("multipart/form-data true");
  });
});

/** A keep-alive HTTP answer with a two-byte JSON body. */
const OK_ANSWER =
  "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";

/**
 * A bare TCP server whose connections answer each GET by `answer(n)`, `n`
 * counting the requests on all connections from 1: `ok` answers, `reset` resets
 * the connection before any byte, `partial` sends the status line, then resets.
 * It also counts connections and the closed ones.
 */
async function scriptedServer(answer: (n: number) => "ok" | "reset" | "partial") {
  const seen = { connections: 0, requests: 0, closed: 0 };
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    seen.connections++;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => seen.closed++);
    socket.on("data", (chunk) => {
      for (const _ of chunk.toString("latin1").matchAll(/\r\n\r\n/g)) {
        const reply = answer(++seen.requests);
        if (reply === "ok") socket.write(OK_ANSWER);
        else if (reply === "partial")
          socket.write("HTTP/1.1 200 OK\r\n", () => socket.resetAndDestroy());
        else socket.resetAndDestroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    seen,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A client whose one pooled connection a {@link scriptedServer} answered once;
 * the server then does `then` to every request. `call` resolves to what the
 * call threw (or its response).
 */
async function answeredOnceThen(then: "reset" | "partial") {
  const server = await scriptedServer((n) => (n === 1 ? "ok" : then));
  const client = keepAliveFetch();
  await (await client(`${server.url}/answered`)).json();
  const call = (path: string) => client(`${server.url}${path}`).catch((err: unknown) => err);
  return { server, call };
}

describe("keepAliveFetch over time: pooled connections that may have gone stale", () => {
  it("closes a pooled connection left idle for idleSocketMs; the next call opens a fresh one", async () => {
    // Arrange
    const server = await scriptedServer(() => "ok");
    const client = keepAliveFetch({ idleSocketMs: 50 });
    await (await client(`${server.url}/first`)).json();

    // Act: the server never closes a connection, so a close is the client's.
    await waitFor(() => server.seen.closed === 1, 5_000, "the idle connection to close");
    await (await client(`${server.url}/second`)).json();

    // Assert
    expect(server.seen).toMatchObject({ connections: 2, requests: 2 });
    await server.close();
  });

  it("connections a NAT forgot: a call on one (reset before any answer byte) is sent again once, on a fresh connection, never on a pool mate", async () => {
    // Arrange: two connections in the pool; the proxy forgets them after 100 ms idle (the
    // client would keep them 4 s).
    const server = await scriptedServer(() => "ok");
    const proxy = await ForgetfulProxy.start(server.url, 100);
    const client = keepAliveFetch();
    await Promise.all(
      ["/a", "/b"].map(async (path) => (await client(`${proxy.url}${path}`)).json()),
    );
    await waitFor(() => proxy.forgotten === 2, 5_000, "the proxy to forget both idle connections");

    // Act
    const res = await client(`${proxy.url}/after`, { method: "POST", body: '{"text":"hi"}' });

    // Assert: one reset (the stale pool mate was dropped, not tried), the call reached the server once.
    expect(await res.json()).toEqual({});
    expect(proxy.resets).toBe(1);
    expect(proxy.opened).toBe(3);
    expect(server.seen).toMatchObject({ connections: 3, requests: 3 });
    await proxy.close();
    await server.close();
  });

  it("retries at most once: when the fresh connection fails too, the reset surfaces; a new connection is never retried", async () => {
    // Arrange: every request after the first is reset before any byte.
    const { server, call } = await answeredOnceThen("reset");

    // Act
    const reused = await call("/reused");
    const fresh = await call("/fresh");

    // Assert: the reused call tried twice (its own connection, then a new one), the fresh once.
    expect(reused).toMatchObject({ code: "ECONNRESET" });
    expect(fresh).toMatchObject({ code: "ECONNRESET" });
    expect(server.seen).toMatchObject({ connections: 3, requests: 4 });
    await server.close();
  });

  it("never retries once answer bytes arrived: a reset mid-answer on a reused connection surfaces", async () => {
    // Arrange: every request after the first gets the status line, then a reset.
    const { server, call } = await answeredOnceThen("partial");

    // Act
    const failed = await call("/cut");

    // Assert
    expect(failed).toMatchObject({ code: "ECONNRESET" });
    expect(server.seen).toMatchObject({ connections: 1, requests: 2 });
    await server.close();
  });
});
