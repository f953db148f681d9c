/**
 * CDKTF entry (`cdktf synth` / `cdktf deploy` run it through `cdktf.json`).
 * Composes the one stack, `chatbot`, from synth-time settings; see
 * `src/settings.ts` and the README's configuration table.
 */
import { resolve } from "node:path";
import { App } from "cdktf";
import { ChatbotStack } from "./src/chatbot-stack.js";
import { readSettings } from "./src/settings.js";

const app = new App();
const settings = readSettings((contextKey, envKey) => {
  const fromContext: unknown = app.node.tryGetContext(contextKey);
  return fromContext === undefined ? process.env[envKey] : String(fromContext);
});
new ChatbotStack(app, "chatbot", {
  settings,
  bundleDir: resolve(import.meta.dirname, "dist", "handler"),
});
app.synth();
