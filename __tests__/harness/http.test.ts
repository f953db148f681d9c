import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type * as vm from "node:vm";
import { describe, expect, it } from "@jest/globals";
import { listenWithRetry, RestartableServer } from "./http.js";

/** Node's own process: the `process` of a test file is jest's copy, on which Node emits no warning. */
const nodeProcess = (process.getBuiltinModule("node:vm") as typeof vm).runInThisContext(
  "process",
) as NodeJS.Process;

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));
const portOf = (server: Server) => (server.address() as AddressInfo).port;

describe("fake servers restarting on their old port", () => {
  it("waits for a port another server still holds, and takes it once it is free", async () => {
    // Arrange
    const squatter = createServer();
    await listenWithRetry(squatter, 0, "127.0.0.1");
    const port = portOf(squatter);
    const server = createServer();

    // Act: the squatter leaves while the restart is retrying.
    const listening = listenWithRetry(server, port, "127.0.0.1");
    await close(squatter);
    await listening;

    // Assess
    expect(portOf(server)).toBe(port);
    await close(server);
  });

  it("takes a fresh port when the old one stays taken", async () => {
    // Arrange
    const squatter = createServer();
    await listenWithRetry(squatter, 0, "127.0.0.1");
    const port = portOf(squatter);
    const server = createServer();

    // Act
    await listenWithRetry(server, port, "127.0.0.1", 2);

    // Assess
    expect(portOf(server)).not.toBe(port);
    await close(server);
    await close(squatter);
  });

  it("retries a taken port twenty times without piling up listeners (no MaxListenersExceededWarning)", async () => {
    // Arrange: the port stays taken for every retry, as 8080 when another program has it.
    const squatter = createServer();
    await listenWithRetry(squatter, 0, "127.0.0.1");
    const port = portOf(squatter);
    const server = createServer();
    const ownListeners = server.listenerCount("listening");
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    nodeProcess.on("warning", onWarning);

    // Act
    await listenWithRetry(server, port, "127.0.0.1");
    await new Promise((resolve) => setImmediate(resolve));
    nodeProcess.off("warning", onWarning);

    // Assess
    expect(portOf(server)).not.toBe(port);
    expect(warnings.filter((w) => w.startsWith("MaxListenersExceededWarning"))).toEqual([]);
    expect(server.listenerCount("listening")).toBe(ownListeners);
    expect(server.listenerCount("error")).toBe(0);
    await close(server);
    await close(squatter);
  });

  it("a RestartableServer comes back on its port after a stop", async () => {
    // Arrange
    const server = new RestartableServer((_req, res) => res.end("ok"));
    await server.start();
    const port = server.port;

    // Act
    await server.stop();
    await server.start();
    const body = await (await fetch(server.url)).text();

    // Assess
    expect(server.port).toBe(port);
    expect(body).toBe("ok");
    await server.stop();
  });
});
