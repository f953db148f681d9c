import {
  isAllowedValue,
  MAX_SYSTEM_PROMPT_CHARS,
  type OptionCeilings,
  PARAMETERS,
  parametersWithin,
} from "../../domain/model-options.js";
import { type ModelOptions, settingsOf } from "../../domain/session.js";
import { appliedAlready } from "../../domain/update-stamp.js";
import type { CommandTable } from "../commands/command.js";
import { say } from "./turn.js";

/** The setting that holds each capped parameter's ceiling, named when a value is above it. */
const CEILING_SETTINGS: Readonly<Record<keyof OptionCeilings, string>> = {
  num_ctx: "OLLAMA_MAX_NUM_CTX",
  num_predict: "OLLAMA_MAX_NUM_PREDICT",
};

/**
 * Parses `/set <name> <value>`, `num_ctx` and `num_predict` held to `ceilings`.
 * @returns the new options, or an error message with the allowed range (and the ceiling, when it is one).
 */
export function parseSetting(
  args: string,
  current: ModelOptions,
  ceilings: OptionCeilings,
): ModelOptions | string {
  const [name = "", value = "", ...extra] = args.trim().split(/\s+/);
  const key = name.toLowerCase() as keyof ModelOptions;
  const allowed = parametersWithin(ceilings);
  // Own keys only: `constructor` or `__proto__` are not parameters.
  const spec = Object.hasOwn(allowed, key) ? allowed[key] : undefined;
  if (!spec || extra.length > 0) {
    return `Usage: /set <parameter> <value|reset>. Parameters: ${Object.keys(PARAMETERS).join(", ")}.`;
  }
  if (value.toLowerCase() === "reset") {
    const { [key]: _removed, ...rest } = current;
    return rest;
  }
  const n = Number(value);
  const kind = spec.integer ? "a whole number" : "a number";
  if (value === "" || !isAllowedValue(spec, n)) {
    const range = `${key} must be ${kind} from ${spec.min} to ${spec.max} (${spec.help}).`;
    return spec.capped
      ? `${range} ${spec.max} is this bot's ceiling, set by its admin (${CEILING_SETTINGS[key as keyof OptionCeilings]}).`
      : range;
  }
  return { ...current, [key]: n };
}

/** Commands that change how the model answers in this session. */
export const SETTINGS_COMMANDS: CommandTable = {
  system: {
    description: "Show, set or reset the system prompt (persona)",
    usage: "[prompt|reset]",
    run: async (turn, args) => {
      const { session } = await turn.conversations.current(turn.msg);
      if (!args) {
        await say(
          turn,
          session.systemPrompt
            ? `System prompt:\n${session.systemPrompt}\n\n/system reset clears it.`
            : "No system prompt is set. Set one with /system <prompt>.",
        );
        return undefined;
      }
      if (args.length > MAX_SYSTEM_PROMPT_CHARS) {
        await say(
          turn,
          `That system prompt is ${args.length} characters; the limit is ${MAX_SYSTEM_PROMPT_CHARS}.`,
        );
        return undefined;
      }
      if (appliedAlready(session, turn.msg)) return "duplicate";
      const reset = args.toLowerCase() === "reset";
      const updated = await turn.services.store.updateSettings(
        session,
        { ...settingsOf(session), systemPrompt: reset ? undefined : args },
        turn.msg,
      );
      turn.conversations.remember(updated);
      await say(
        turn,
        reset ? "System prompt cleared." : "✅ System prompt set for this conversation.",
      );
      return "handled";
    },
  },
  set: {
    description: "Set a generation parameter (temperature, num_ctx, …)",
    usage: "<name> <value>",
    run: async (turn, args) => {
      const { session } = await turn.conversations.current(turn.msg);
      if (!args) {
        const shown = Object.entries(session.options).map(([k, v]) => `${k} = ${v}`);
        const help = Object.entries(parametersWithin(turn.services.config.ollama.ceilings)).map(
          ([k, p]) => `${k}: ${p.min}–${p.max}, ${p.help}`,
        );
        await say(
          turn,
          `Current settings: ${shown.join(", ") || "model defaults"}.\n\n/set <name> <value> or /set <name> reset\n${help.join("\n")}`,
        );
        return undefined;
      }
      const options = parseSetting(args, session.options, turn.services.config.ollama.ceilings);
      if (typeof options === "string") {
        await say(turn, options);
        return undefined;
      }
      if (appliedAlready(session, turn.msg)) return "duplicate";
      const updated = await turn.services.store.updateSettings(
        session,
        { ...settingsOf(session), options },
        turn.msg,
      );
      turn.conversations.remember(updated);
      const shown = Object.entries(options).map(([k, v]) => `${k} = ${v}`);
      await say(
        turn,
        `✅ Settings for this conversation: ${shown.join(", ") || "model defaults"}.`,
      );
      return "handled";
    },
  },
};
