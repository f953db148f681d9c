import {
  amountOf,
  hasLimits,
  nextUtcMidnight,
  timeUntil,
  today,
  type Usage,
  utcDay,
} from "../../domain/usage.js";
import { MissingIndexError } from "../../errors.js";
import type { CommandTable } from "../commands/command.js";
import { say, type Turn } from "../conversation/turn.js";

/** Users listed by `/usage all`. */
export const TOP_USERS = 10;

const amounts = (messages: number, tokens: number): string =>
  `${amountOf(messages, "message")} · ${amountOf(tokens, "token")}`;

/** `/usage`: the user's own numbers today and all time, and their limits. */
async function ownUsage(turn: Turn): Promise<void> {
  const { config, access } = turn.services;
  const now = turn.services.now();
  const day = utcDay(now);
  const usage = await turn.usage.of(turn.msg.userId);
  const used = today(usage, day);
  const { messages, tokens } = config.limits;
  const limits = !hasLimits(config.limits)
    ? "none"
    : (await access.isAdmin(turn.msg.userId))
      ? "none for you (admin)"
      : `${[
          ...(messages > 0 ? [amountOf(messages, "message")] : []),
          ...(tokens > 0 ? [amountOf(tokens, "token")] : []),
        ].join(" · ")}; they reset at 00:00 UTC (in ${timeUntil(now, nextUtcMidnight(now))})`;
  await say(
    turn,
    [
      "📊 Your usage",
      `Today (${day}, UTC): ${amounts(used.messages, used.tokens)}`,
      `All time: ${amounts(usage?.messages ?? 0, usage?.tokens ?? 0)}`,
      `Daily limits: ${limits}`,
    ].join("\n"),
  );
}

/** `/usage all` (admins): today's heaviest users, from the usage index (one bounded Query). */
async function topUsers(turn: Turn): Promise<void> {
  if (!(await turn.services.access.isAdmin(turn.msg.userId))) {
    await say(turn, "Only the bot's admins can see everyone's usage. /usage shows yours.");
    return;
  }
  const day = utcDay(turn.services.now());
  let top: Usage[];
  try {
    // Counts this invoke still holds (other users' queued messages) are written first; the
    // index is eventually consistent, so a count written just now may show a moment later.
    await turn.usage.flush(turn.log);
    top = await turn.services.usage.topOfDay(day, TOP_USERS);
  } catch (err) {
    if (!(err instanceof MissingIndexError)) throw err;
    turn.log.error("usage index missing; deploy the stack again", { index: err.index });
    await say(
      turn,
      `/usage all needs the table's ${err.index} index, which this table predates. Deploy the stack again (it adds the index); with npm start, use a new DATA_DIR.`,
    );
    return;
  }
  if (top.length === 0) {
    await say(turn, `Nobody has used the model today (${day}, UTC) yet.`);
    return;
  }
  const lines = top.map(
    (u, i) =>
      `${i + 1}. ${u.name ? `${u.name} ` : ""}(${u.userId}): ${amounts(u.dayMessages, u.dayTokens)} (all time: ${amounts(u.messages, u.tokens)})`,
  );
  await say(turn, [`📊 Top users today (${day}, UTC), by tokens`, ...lines].join("\n"));
}

/** Usage commands. */
export const USAGE_COMMANDS: CommandTable = {
  usage: {
    description: "Your messages and tokens today and all time (admins: /usage all)",
    usage: "[all]",
    run: async (turn, args) => {
      const what = args.trim().toLowerCase();
      if (what === "all") await topUsers(turn);
      else if (what === "") await ownUsage(turn);
      else
        await say(turn, "Usage: /usage for your numbers, or /usage all (admins) for everyone's.");
      return undefined;
    },
  },
};
