import type { OllamaServer } from "../../domain/ollama-server.js";
import { ModelError } from "../../errors.js";
import { withTimeLimit } from "../../time-limit.js";
import type { CommandTable } from "../commands/command.js";
import { DELIVERY_RESERVE_MS } from "../conversation/chat.js";
import { say, type Turn, type TurnOutcome } from "../conversation/turn.js";
import type { InlineButton } from "../ports.js";
import { stopButton } from "../stop/buttons.js";
import { workIdOf } from "../stop/stop-switch.js";
import { modelNameFrom } from "./models-command.js";
import { currentOffer, labels } from "./offer.js";
import { PullProgressView, pullOpening } from "./pull-progress.js";

/** Least time between two progress edits of a private chat, and of a group. */
const PRIVATE_INTERVAL_MS = 1_000;
const GROUP_INTERVAL_MS = 3_000;

/** `/pull <model>`: admins download a model onto Ollama from the chat. */
export const PULL_COMMANDS: CommandTable = {
  pull: {
    description: "Download a model onto the Ollama servers that lack it (admins only)",
    usage: "<model>",
    run: (turn, args) => pull(turn, args.trim()),
  },
};

/**
 * Streams `/api/pull` progress into one message (percent of the bytes of
 * every layer seen so far, at the chat's edit pace; a line per server when
 * there are several) with one Cancel button that stops every download the way
 * Stop stops an answer. An unknown name, an unreachable server and a download
 * cut by the invoke's deadline each get their own words in that message.
 */
async function pull(turn: Turn, wanted: string): Promise<TurnOutcome | undefined> {
  const { services, msg, target, log } = turn;
  if (!(await services.access.isAdmin(msg.userId))) {
    await say(turn, "Only the bot's admins can pull models. Ask one of them to /pull it for you.");
    return undefined;
  }
  if (!wanted) {
    await say(
      turn,
      "Usage: /pull <model>, for example /pull llava. Names are listed on https://ollama.com/library.",
    );
    return undefined;
  }
  const name = await modelNameFrom(turn, wanted);
  if (!name) return undefined;
  const plan = await planFor(turn, name);
  if (!plan) return undefined;
  const work = { chatId: msg.chatId, userId: msg.userId, workId: workIdOf(msg.updateId) };
  const buttons = [stopButton("pull", work)];
  const running = await turn.stops.start(work);
  try {
    const messageId = await services.telegram.sendMessage(
      msg.chatId,
      pullOpening(name, plan.targets),
      { replyTo: target.replyTo, threadId: target.threadId, buttons },
    );
    const edit = (text: string, withButtons?: readonly InlineButton[]) =>
      services.telegram.editMessage(msg.chatId, messageId, text, { buttons: withButtons });
    const view = new PullProgressView(
      name,
      plan.targets,
      msg.isGroup ? GROUP_INTERVAL_MS : PRIVATE_INTERVAL_MS,
      (text) =>
        edit(text, buttons).catch((err: unknown) =>
          log.warn("could not show pull progress", { error: String(err) }),
        ),
    );
    const left = turn.deadline - Date.now() - DELIVERY_RESERVE_MS;
    // Cancel or the time left, whichever comes first, ends every download.
    const failures = await withTimeLimit(Math.max(1_000, left), [running.signal], (signal) =>
      Promise.all(
        plan.targets.map((server) =>
          services.servers
            .pull(server, name, signal, (p) => view.update(server, p))
            .then(
              () => undefined,
              (err: unknown) => {
                if (!(err instanceof ModelError)) throw err;
                log.info("model pull ended early", {
                  model: name,
                  server: server.url,
                  kind: err.kind,
                  stopped: running.stopped,
                });
                return err;
              },
            ),
        ),
      ),
    );
    await view.settled();
    if (failures.every((f) => f === undefined)) log.info("model pulled", { model: name });
    await edit(outcome(name, plan, failures, running.stopped));
    return "handled";
  } finally {
    await running.end();
  }
}

/** Where a pull goes: the servers to pull onto, and those that could not be asked. */
interface PullPlan {
  /** `OLLAMA_URL` names one server: the download message reads as it always has. */
  readonly lone: boolean;
  readonly targets: readonly OllamaServer[];
  readonly away: readonly OllamaServer[];
}

/**
 * The lone server (pulled onto whatever it has, as always), or every server
 * that answers and lacks `name`; undefined after telling the user there is none.
 */
async function planFor(turn: Turn, name: string): Promise<PullPlan | undefined> {
  const { servers } = turn.services.servers;
  if (servers.length === 1) return { lone: true, targets: servers, away: [] };
  const offer = await currentOffer(turn);
  const away = offer.unreachable.map((r) => r.server);
  const have = offer.models.find((m) => m.name === name)?.servers ?? [];
  const targets = offer.reports
    .filter((r) => r.models && !have.includes(r.server))
    .map((r) => r.server);
  if (targets.length > 0) return { lone: false, targets, away };
  await say(
    turn,
    have.length === 0
      ? `⚠️ I can't reach any of the Ollama servers (${labels(away)}), so nothing was downloaded.`
      : `✅ ${name} is already on every Ollama server I can reach (${labels(have)})${away.length > 0 ? `; not reachable now: ${labels(away)}` : ""}. Switch to it with /model ${name}.`,
  );
  return undefined;
}

/** The download message's last words: each server's result (one server: as always). */
function outcome(
  name: string,
  plan: PullPlan,
  failures: readonly (ModelError | undefined)[],
  stopped: boolean,
): string {
  const away =
    plan.away.length > 0 ? `\nNot reachable now, so not pulled there: ${labels(plan.away)}` : "";
  const [lone] = plan.targets;
  const [failure] = failures;
  if (plan.lone && lone)
    return failure
      ? pullFailure(name, failure, stopped, lone)
      : `✅ Pulled ${name}. Switch to it with /model ${name}.`;
  if (stopped) return pullFailure(name, undefined, true) + away;
  if (failures.every((f) => f === undefined))
    return `✅ Pulled ${name} onto ${labels(plan.targets)}. Switch to it with /model ${name}.${away}`;
  const lines = plan.targets.map((server, i) => {
    const f = failures[i];
    return `• ${server.label}: ${f ? pullFailure(name, f, false, server) : "✅ pulled"}`;
  });
  return [`⬇️ ${name}:`, ...lines].join("\n") + away;
}

/** What the download message says when the pull did not succeed (`server`: the one it failed on). */
function pullFailure(
  name: string,
  err: ModelError | undefined,
  stopped: boolean,
  server?: OllamaServer,
): string {
  const again = `Send /pull ${name} again to continue: Ollama keeps what it downloaded.`;
  if (stopped || !err) return `⏹ Download of ${name} cancelled. ${again}`;
  switch (err.kind) {
    case "timeout":
      return `⌛ ${name} did not finish downloading in the time this invocation has. ${again}`;
    case "unreachable":
      return `⚠️ I can't reach the Ollama server at ${server?.url}, so nothing was downloaded.`;
    case "unauthorized":
      return `⚠️ The Ollama server at ${server?.url} refused the bot's credentials, so nothing was downloaded: the user and password in OLLAMA_URL need checking.`;
    default: {
      const detail = err.message.replace(/^Ollama [a-z ]+: /, "");
      return `❌ Ollama could not pull "${name}": ${detail}. Check the name on https://ollama.com/library.`;
    }
  }
}
