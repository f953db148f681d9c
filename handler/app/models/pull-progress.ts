import type { OllamaServer } from "../../domain/ollama-server.js";
import type { PullProgress } from "../ports.js";

/** The first text of the download message. */
export function pullOpening(name: string, servers: readonly OllamaServer[]): string {
  if (servers.length === 1) return `⬇️ Pulling ${name}…`;
  return `⬇️ Pulling ${name} onto ${servers.length} servers…`;
}

/** One server's download as far as its progress lines tell. */
interface ServerProgress {
  readonly layers: Map<string, { total: number; completed: number }>;
  status: string;
}

/**
 * Turns the progress lines of one model's downloads (one per server) into at
 * most one edit of the download message per interval: percent of the bytes
 * of every layer seen so far, per server when there are several.
 */
export class PullProgressView {
  private readonly servers: Map<OllamaServer, ServerProgress>;
  private lastAt = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private busy = false;

  constructor(
    private readonly name: string,
    servers: readonly OllamaServer[],
    private readonly intervalMs: number,
    private readonly show: (text: string) => Promise<void>,
  ) {
    this.servers = new Map(servers.map((s) => [s, { layers: new Map(), status: "starting" }]));
  }

  update(server: OllamaServer, p: PullProgress): void {
    const progress = this.servers.get(server);
    if (!progress) return;
    if (p.digest && p.total)
      progress.layers.set(p.digest, { total: p.total, completed: p.completed ?? 0 });
    progress.status = p.status;
    const now = Date.now();
    if (this.busy || now - this.lastAt < this.intervalMs || p.status === "success") return;
    this.lastAt = now;
    this.busy = true;
    this.inFlight = this.show(this.text()).finally(() => {
      this.busy = false;
    });
  }

  /** Waits for the edit in flight, so the last word is not overwritten by an older one. */
  settled(): Promise<void> {
    return this.inFlight;
  }

  private text(): string {
    const [only] = this.servers.values();
    if (this.servers.size === 1 && only) return `⬇️ Pulling ${this.name}: ${describe(only)}`;
    const lines = [...this.servers].map(([server, p]) => `• ${server.label}: ${describe(p)}`);
    return [`⬇️ Pulling ${this.name}:`, ...lines].join("\n");
  }
}

/** `45% (2.1 of 4.7 GB)`, or the status line before any layer's size is known. */
function describe(progress: ServerProgress): string {
  let total = 0;
  let completed = 0;
  for (const layer of progress.layers.values()) {
    total += layer.total;
    completed += layer.completed;
  }
  if (total === 0) return progress.status;
  const percent = Math.floor((completed / total) * 100);
  return `${percent}% (${gigabytes(completed)} of ${gigabytes(total)} GB)`;
}

function gigabytes(bytes: number): string {
  return (bytes / 1e9).toFixed(1);
}
