import { spawn } from "node:child_process";
import { describe, expect, it } from "@jest/globals";
import { closedPort } from "../harness/http.js";
import { projectFolder } from "./terminal.js";

describe("no AWS SDK Node-version notice on Node 20", () => {
  it("an operator script builds its AWS clients without printing NodeVersionSupportWarning", async () => {
    // Prepare: the user's environment, without the SDK's switch.
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    let output = "";

    // Act
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn("npm", ["run", "-s", "verify"], {
        cwd: projectFolder(),
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          npm_config_update_notifier: "false",
          LOCALSTACK_ENDPOINT: endpoint,
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout.on("data", (d: Buffer) => {
        output += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        output += d.toString();
      });
      child.once("exit", resolve);
    });

    // Assess: it got as far as calling LocalStack, with its clients built.
    expect(code).toBe(1);
    expect(output).toContain("LocalStack is not running");
    expect(output).not.toContain("NodeVersionSupportWarning");
  }, 60_000);
});
