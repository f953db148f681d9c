import { canonicalModelName } from "../../domain/model-name.js";
import type { OllamaServer } from "../../domain/ollama-server.js";
import { describeModelError } from "../conversation/model-errors.js";
import { say, type Turn } from "../conversation/turn.js";
import type { ModelInfo } from "../ports.js";
import type { ServerReport } from "../servers/server-pool.js";

/** A model one or more servers have. */
export interface OfferedModel {
  /** Its canonical name (`llama3`, not `llama3:latest`). */
  readonly name: string;
  /** As the first server that has it describes it. */
  readonly info: ModelInfo;
  /** The servers that have it, in `OLLAMA_URL`'s order. */
  readonly servers: readonly OllamaServer[];
}

/** What the Ollama servers offer right now. */
export interface Offer {
  /** Every model any server that answered has, each once, in the order the servers list them. */
  readonly models: readonly OfferedModel[];
  /** The servers that did not answer (each with its error). */
  readonly unreachable: readonly ServerReport[];
  /** Every server's report, in `OLLAMA_URL`'s order. */
  readonly reports: readonly ServerReport[];
}

/** The models of every server that answered, each once, with the servers that have it. */
export function offerOf(reports: readonly ServerReport[]): Offer {
  const byName = new Map<string, { info: ModelInfo; servers: OllamaServer[] }>();
  for (const report of reports)
    for (const info of report.models ?? []) {
      const name = canonicalModelName(info.name) ?? info.name;
      const known = byName.get(name);
      if (known) known.servers.push(report.server);
      else byName.set(name, { info, servers: [report.server] });
    }
  return {
    models: [...byName].map(([name, { info, servers }]) => ({ name, info, servers })),
    unreachable: reports.filter((r) => r.error),
    reports,
  };
}

/** What the servers offer now (each asked for its models). */
export async function currentOffer(turn: Turn): Promise<Offer> {
  return offerOf(await turn.services.servers.survey());
}

/**
 * What the servers offer, or undefined after telling the user that no server
 * could be reached (with one server, in the words the bot always used).
 */
export async function offerOrSay(turn: Turn): Promise<Offer | undefined> {
  const offer = await currentOffer(turn);
  if (offer.unreachable.length < offer.reports.length) return offer;
  const [first] = offer.unreachable;
  if (offer.reports.length === 1 && first?.error) {
    await say(
      turn,
      describeModelError(first.error, 1).split("\n")[0] ?? "Ollama is not reachable.",
    );
    return undefined;
  }
  await say(
    turn,
    `⚠️ I can't reach any of the Ollama servers (${offer.unreachable.map((r) => r.server.label).join(", ")}). Is Ollama running there and reachable from the bot?`,
  );
  return undefined;
}

/** `gpu1:11434, gpu2:11434`: how replies name servers (public host only). */
export function labels(servers: readonly OllamaServer[]): string {
  return servers.map((s) => s.label).join(", ");
}
