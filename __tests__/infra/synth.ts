import { resolve } from "node:path";
import { Testing } from "cdktf";
import { ChatbotStack } from "../../src/chatbot-stack.js";
import { DEFAULT_SETTINGS, type StackSettings } from "../../src/settings.js";

/** A synthesized resource or data block, keyed by Terraform name. */
export type Blocks = Record<string, Record<string, Record<string, unknown>>>;

/** The parts of `cdk.tf.json` the tests read. */
export interface SynthJson {
  terraform: { required_providers: Record<string, { source: string; version: string }> };
  provider: { aws: Record<string, unknown>[] };
  resource: Blocks;
  data: Blocks;
  variable: Record<string, Record<string, unknown>>;
  output: Record<string, { value: string; sensitive?: boolean }>;
}

/** A valid webhook secret (Telegram's rule), never expected in the synthesized JSON. */
export const TEST_WEBHOOK_SECRET = "Synth_only-webhook-secret-42";

/**
 * Synthesizes the stack with `overrides` applied to the default settings (and
 * {@link TEST_WEBHOOK_SECRET}, which webhook mode requires, unless overridden).
 */
export function synth(overrides: Partial<StackSettings> = {}): { json: SynthJson; raw: string } {
  const app = Testing.app();
  const stack = new ChatbotStack(app, "chatbot", {
    settings: { ...DEFAULT_SETTINGS, webhookSecret: TEST_WEBHOOK_SECRET, ...overrides },
    bundleDir: resolve(import.meta.dirname, "..", "..", "dist", "handler"),
  });
  const raw = Testing.synth(stack);
  return { json: JSON.parse(raw) as SynthJson, raw };
}

/** The only block of a resource type; fails loudly when there are none or several. */
export function only(blocks: Blocks, type: string): Record<string, unknown> {
  const found = Object.values(blocks[type] ?? {});
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as Record<string, unknown>;
}
