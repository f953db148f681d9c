import { execFileSync } from "node:child_process";
import { resolve } from "node:path";

/**
 * Builds the Lambda bundle and synthesizes the stack once per test run, so every
 * integration test exercises the real artefacts (`dist/handler/index.js` and
 * `cdktf.out/stacks/chatbot/cdk.tf.json`, from which the emulators' table and
 * bucket are created).
 */
export default function setup(): void {
  // The SDK's switch for its Node 20 notice (see local/node-support.ts), set before the
  // workers start so they inherit it. Spelled out: jest loads this file without the
  // `.js` → `.ts` mapping the tests get.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const root = resolve(import.meta.dirname, "..");
  // Quiet unless it fails: a failed build's output is in the error jest prints.
  const run = (script: string) =>
    execFileSync(process.execPath, ["--import", "tsx", script], { cwd: root, stdio: "pipe" });
  run("scripts/build-handler.ts");
  // The same app `cdktf synth` runs (cdktf.json), without the CLI's network checks.
  run("main.ts");
}
