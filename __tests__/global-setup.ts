import { execFileSync } from "node:child_process";
import { resolve } from "node:path";

/**
 * Builds the Lambda bundle and synthesizes the stack once per test run, so every
 * integration test exercises the real artefacts (`dist/handler/index.js` and
 * `cdktf.out/stacks/chatbot/cdk.tf.json`).
 */
export default function setup(): void {
  const root = resolve(import.meta.dirname, "..");
  execFileSync("npx", ["tsx", "scripts/build-handler.ts"], { cwd: root, stdio: "inherit" });
}
