import type { CommandTable } from "../commands/command.js";
import { say } from "../conversation/turn.js";

/** Commands only admins (ADMIN_USER_IDS, by default the owner) may use. */
export const ADMIN_COMMANDS: CommandTable = {
  allow: {
    description: "Let a Telegram user use this bot (admins only)",
    usage: "<user id>",
    run: async (turn, args) => {
      const { access } = turn.services;
      if (!(await access.isAdmin(turn.msg.userId))) {
        await say(turn, "Only the bot's admins can use /allow.");
        return undefined;
      }
      const id = args.trim();
      if (!/^\d{1,16}$/.test(id)) {
        await say(
          turn,
          "Usage: /allow <user id>. People who may not use the bot are told their id.",
        );
        return undefined;
      }
      await access.allow(Number(id));
      turn.log.info("user allowed by an admin", { allowed: Number(id) });
      await say(turn, `✅ User ${id} may use this bot now.`);
      return "handled";
    },
  },
};
