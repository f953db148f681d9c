/**
 * `npm run logs [-- --since <minutes>] [--once]`: follows the function's log
 * group, printing the handler's JSON lines readably.
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { prettyLine } from "../../local/pretty.js";
import {
  clientConfig,
  explain,
  type Io,
  OperatorError,
  parseOptions,
  processIo,
  runIfMain,
  targetFromEnv,
} from "./lib.js";

/** Parses `--since <minutes>` (default 10) and `--once`. */
export function parseLogsArgs(argv: readonly string[]): { sinceMinutes: number; follow: boolean } {
  const { values } = parseOptions(
    {
      args: [...argv],
      options: {
        since: { type: "string", default: "10" },
        once: { type: "boolean", default: false },
      },
      strict: true,
    },
    "npm run logs [-- --since <minutes>] [--once]",
  );
  const since = Number(values.since);
  if (!Number.isFinite(since) || since < 0)
    throw new OperatorError(`--since must be a number of minutes, got "${values.since}"`);
  return { sinceMinutes: since, follow: !values.once };
}

/** The runtime's own lines (START/END/REPORT) stay as they are; the handler's JSON becomes one readable line. */
export function formatLogMessage(message: string): string {
  const trimmed = message.trimEnd();
  const json = trimmed.indexOf("{");
  if (json < 0) return trimmed;
  return metricsLine(trimmed.slice(json)) ?? prettyLine(trimmed.slice(json));
}

/**
 * An invoke's metrics (its EMF document, which CloudWatch reads) as one short
 * line: the mode and each metric that is not zero; undefined for other lines.
 */
function metricsLine(text: string): string | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const directives = (doc._aws as { CloudWatchMetrics?: { Metrics?: { Name: string }[] }[] })
    ?.CloudWatchMetrics;
  if (!directives) return undefined;
  const names = directives.flatMap((d) => (d.Metrics ?? []).map((m) => m.Name));
  const shown = names
    .filter((name) => doc[name] !== 0 && doc[name] !== undefined)
    .map((name) => `${name}=${JSON.stringify(doc[name])}`);
  return `metrics ${String(doc.mode ?? "")} ${shown.join(" ")}`.trimEnd();
}

/** Entry point (exported for tests). */
export async function main(
  argv: readonly string[] = process.argv.slice(2),
  env = process.env,
  io: Io = processIo,
): Promise<number> {
  const { sinceMinutes, follow } = parseLogsArgs(argv);
  const target = targetFromEnv(env);
  const logGroupName = `/aws/lambda/${target.functionName}`;
  const client = new CloudWatchLogsClient(clientConfig(target));
  let startTime = Date.now() - sinceMinutes * 60_000;
  const seen = new Set<string>();
  io.err(`Following ${logGroupName}${follow ? " (Ctrl-C stops)" : ""}…`);
  try {
    do {
      let nextToken: string | undefined;
      do {
        const page = await client
          .send(new FilterLogEventsCommand({ logGroupName, startTime, nextToken }))
          .catch((err: unknown) => {
            throw explain(err, target);
          });
        for (const e of page.events ?? []) {
          if (!e.eventId || seen.has(e.eventId)) continue;
          seen.add(e.eventId);
          io.out(formatLogMessage(e.message ?? ""));
          startTime = Math.max(startTime, e.timestamp ?? startTime);
        }
        nextToken = page.nextToken;
      } while (nextToken);
      if (follow) await new Promise((r) => setTimeout(r, 2_000));
    } while (follow);
    return 0;
  } finally {
    client.destroy();
  }
}

runIfMain(import.meta, () => main());
