import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { quietSdkNodeWarning } from "../local/node-support.js";

/**
 * Builds the Lambda bundle and synthesizes the stack once per test run, so every
 * integration test exercises the real artefacts (`dist/handler/index.js` and
 * `cdktf.out/stacks/chatbot/cdk.tf.json`, from which the emulators' table and
 * bucket are created).
 */
export default function setup(): void {
  quietSdkNodeWarning(process.env);
  const root = resolve(import.meta.dirname, "..");
  const run = (script: string) =>
    execFileSync(process.execPath, ["--import", "tsx", script], { cwd: root, stdio: "inherit" });
  run("scripts/build-handler.ts");
  // The same app `cdktf synth` runs (cdktf.json), without the CLI's network checks.
  run("main.ts");
}
