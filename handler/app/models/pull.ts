import type { OllamaServer } from "../../domain/ollama-server.js";
import { ModelError } from "../../errors.js";
import { withTimeLimit } from "../../time-limit.js";
import type { CommandTable } from "../commands/command.js";
import { DELIVERY_RESERVE_MS } from "../conversation/chat.js";
import { say, type Turn, type TurnOutcome } from "../conversation/turn.js";
import type { InlineButton, PullProgress } from "../ports.js";
import { stopButton } from "../stop/buttons.js";
import { workIdOf } from "../stop/stop-switch.js";
import { modelNameFrom } from "./models-command.js";

/** Least time between two progress edits of a private chat, and of a group. */
const PRIVATE_INTERVAL_MS = 1_000;
const GROUP_INTERVAL_MS = 3_000;

/** `/pull <model>`: admins download a model onto Ollama from the chat. */
export const PULL_COMMANDS: CommandTable = {
  pull: {
    description: "Download a model onto the Ollama server (admins only)",
    usage: "<model>",
    run: (turn, args) => pull(turn, args.trim()),
  },
};

/**
 * Streams `/api/pull` progress into one message (percent of the bytes of
 * every layer seen so far, at the chat's edit pace) with a Cancel button that
 * stops the download the way Stop stops an answer. An unknown name, an
 * unreachable server and a download cut by the invoke's deadline each get
 * their own words in that message.
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
  const work = { chatId: msg.chatId, userId: msg.userId, workId: workIdOf(msg.updateId) };
  const buttons = [stopButton("pull", work)];
  const running = await turn.stops.start(work);
  try {
    const messageId = await services.telegram.sendMessage(msg.chatId, `⬇️ Pulling ${name}…`, {
      replyTo: target.replyTo,
      threadId: target.threadId,
      buttons,
    });
    const edit = (text: string, withButtons?: readonly InlineButton[]) =>
      services.telegram.editMessage(msg.chatId, messageId, text, { buttons: withButtons });
    const view = new ProgressView(
      name,
      msg.isGroup ? GROUP_INTERVAL_MS : PRIVATE_INTERVAL_MS,
      (text) =>
        edit(text, buttons).catch((err: unknown) =>
          log.warn("could not show pull progress", { error: String(err) }),
        ),
    );
    const left = turn.deadline - Date.now() - DELIVERY_RESERVE_MS;
    try {
      // Cancel or the time left, whichever comes first, ends the download.
      await withTimeLimit(Math.max(1_000, left), [running.signal], (signal) =>
        services.model.pull({ server: services.config.ollama.server, model: name, signal }, (p) =>
          view.update(p),
        ),
      );
    } catch (err) {
      await view.settled();
      if (!(err instanceof ModelError)) throw err;
      log.info("model pull ended early", { model: name, kind: err.kind, stopped: running.stopped });
      await edit(pullFailure(name, err, running.stopped, services.config.ollama.server));
      return "handled";
    }
    await view.settled();
    log.info("model pulled", { model: name });
    await edit(`✅ Pulled ${name}. Switch to it with /model ${name}.`);
    return "handled";
  } finally {
    await running.end();
  }
}

/** What the download message says when the pull did not succeed. */
function pullFailure(
  name: string,
  err: ModelError,
  stopped: boolean,
  server: OllamaServer,
): string {
  const again = `Send /pull ${name} again to continue: Ollama keeps what it downloaded.`;
  if (stopped) return `⏹ Download of ${name} cancelled. ${again}`;
  switch (err.kind) {
    case "timeout":
      return `⌛ ${name} did not finish downloading in the time this invocation has. ${again}`;
    case "unreachable":
      return `⚠️ I can't reach the Ollama server at ${server.url}, so nothing was downloaded.`;
    case "unauthorized":
      return `⚠️ The Ollama server at ${server.url} refused the bot's credentials, so nothing was downloaded: the user and password in OLLAMA_URL need checking.`;
    default: {
      const detail = err.message.replace(/^Ollama [a-z ]+: /, "");
      return `❌ Ollama could not pull "${name}": ${detail}. Check the name on https://ollama.com/library.`;
    }
  }
}

/** Turns progress lines into at most one edit per interval. */
class ProgressView {
  private readonly layers = new Map<string, { total: number; completed: number }>();
  private lastAt = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private busy = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly show: (text: string) => Promise<void>,
  ) {}

  update(p: PullProgress): void {
    if (p.digest && p.total)
      this.layers.set(p.digest, { total: p.total, completed: p.completed ?? 0 });
    const now = Date.now();
    if (this.busy || now - this.lastAt < this.intervalMs || p.status === "success") return;
    this.lastAt = now;
    this.busy = true;
    this.inFlight = this.show(this.text(p.status)).finally(() => {
      this.busy = false;
    });
  }

  /** Waits for the edit in flight, so the last word is not overwritten by an older one. */
  settled(): Promise<void> {
    return this.inFlight;
  }

  private text(status: string): string {
    let total = 0;
    let completed = 0;
    for (const layer of this.layers.values()) {
      total += layer.total;
      completed += layer.completed;
    }
    if (total === 0) return `⬇️ Pulling ${this.name}: ${status}`;
    const percent = Math.floor((completed / total) * 100);
    return `⬇️ Pulling ${this.name}: ${percent}% (${gigabytes(completed)} of ${gigabytes(total)} GB)`;
  }
}

function gigabytes(bytes: number): string {
  return (bytes / 1e9).toFixed(1);
}
