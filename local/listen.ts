import type { Server } from "node:http";

/**
 * Listens on `port` (0: any free one). A port just released can be taken by
 * another process (the test suite runs files in parallel): EADDRINUSE is retried
 * up to `attempts` times, then a free port is used instead.
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
        // listen()'s own callback would stay on the server after a failed attempt:
        // twenty retries left twenty, and Node warned of a leak.
        const listening = () => {
          server.off("error", failed);
          resolve();
        };
        const failed = (err: Error) => {
          server.off("listening", listening);
          reject(err);
        };
        server.once("error", failed);
        server.once("listening", listening);
        server.listen(wanted, host);
      });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE" || wanted === 0) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
