import type { Turn, TurnOutcome } from "../conversation/turn.js";

/**
 * A command: what the menu says and what it does. Each capability exports a
 * table of its own commands (`ARCHIVE_COMMANDS`, `PULL_COMMANDS`, …); the menu
 * (`commands.ts`) assembles them, so a capability never imports the menu.
 */
export interface Command {
  readonly description: string;
  /** Shown in /help after the command, e.g. `<name>`. */
  readonly usage?: string;
  /** Changes stored state: runs at most once per update (deduplicated on the profile or session). */
  run(turn: Turn, args: string): Promise<TurnOutcome | undefined>;
}

/** A capability's commands, by name (without the slash), in the order the menu shows them. */
export type CommandTable = Readonly<Record<string, Command>>;
