import { canonicalModelName } from "../../domain/model-name.js";
import { describeThink } from "../../domain/think.js";
import { say, type Turn } from "../conversation/turn.js";
import type { ServerReport } from "../servers/server-pool.js";
import { currentOffer } from "./offer.js";

/**
 * `/status`: whether the Ollama servers answer (each one by its public host,
 * with its models and the answers in flight to it), the current model and the
 * session. Only configured servers are asked, whatever a session recorded:
 * `/status` must not probe other hosts.
 */
export async function showStatus(turn: Turn): Promise<undefined> {
  const { session } = await turn.conversations.current(turn.msg);
  const { reports } = await currentOffer(turn);
  // Reasoning is shown for models that can reason (or where /think was set).
  const thinks = await turn.services.capabilities
    .capabilitiesOf(session.model)
    .then((c) => c.includes("thinking"))
    .catch(() => false);
  const waiting = turn.services.servers.waiting;
  await say(
    turn,
    [
      ...(reports.length === 1
        ? [`Ollama: ${reach(reports[0])}`]
        : [
            "Ollama servers:",
            ...reports.map(
              (r) => `• ${r.server.label}: ${reach(r, true)}, ${inFlight(r.inFlight)}`,
            ),
            ...(waiting > 0 ? [`${waiting} waiting for a free server`] : []),
          ]),
      `Model: ${session.model}`,
      ...(thinks || session.think ? [`Reasoning (/think): ${describeThink(session.think)}`] : []),
      `Session: ${session.sessionId} (started ${session.createdAt.slice(0, 16).replace("T", " ")} UTC)`,
      `Messages: ${session.messageCount}`,
    ].join("\n"),
  );
  return undefined;
}

/** Reachable with its models, or not with why; with one server, the words the bot always used. */
function reach(report: ServerReport | undefined, several = false): string {
  if (!report?.models) return `❌ not reachable (${report?.error?.message ?? "no answer"})`;
  const names = report.models.map((m) => canonicalModelName(m.name) ?? m.name);
  if (!several) return `✅ reachable (${names.length} models installed)`;
  return `✅ reachable (${names.length} ${names.length === 1 ? "model" : "models"}${names.length > 0 ? `: ${names.join(", ")}` : ""})`;
}

function inFlight(n: number): string {
  return `${n} ${n === 1 ? "answer" : "answers"} in flight`;
}
