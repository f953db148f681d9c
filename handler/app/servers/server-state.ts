import { canonicalModelName } from "../../domain/model-name.js";
import type { OllamaServer } from "../../domain/ollama-server.js";
import type { ModelInfo } from "../ports.js";

/** How long a server that failed is left alone; each failure in a row doubles it. */
export const FIRST_DOWN_MS = 5_000;
/** The longest a failed server is left alone before it is tried again. */
export const MAX_DOWN_MS = 5 * 60_000;

/**
 * What this process knows of one Ollama server: the answers it is waiting
 * for from it, whether it failed lately (and for how long it is left alone),
 * and its installed models as of its last `/api/tags` answer.
 */
export class ServerState {
  /** Answers this process is waiting for from the server now. */
  inFlight = 0;
  /** When it last sent a byte of an answer to this process (epoch ms; 0: never). */
  heardAt = 0;
  private failures = 0;
  private downUntil = 0;
  private known: { readonly at: number; readonly models: readonly ModelInfo[] } | undefined;
  private asking: Promise<readonly ModelInfo[]> | undefined;

  constructor(
    readonly server: OllamaServer,
    /** Its place in `OLLAMA_URL` (0 first): the tie-breaker between equally busy servers. */
    readonly place: number,
  ) {}

  /** Left alone after a failure until its back-off has passed. */
  isDown(now: number): boolean {
    return now < this.downUntil;
  }

  /** Epoch ms at which its back-off ends (0 when it never failed or answered since). */
  get backAt(): number {
    return this.downUntil;
  }

  /**
   * It failed: left alone for {@link FIRST_DOWN_MS}, twice as long after each
   * further failure in a row once tried again, at most {@link MAX_DOWN_MS}.
   * @returns how long it is left alone, in ms.
   */
  markDown(now: number): number {
    // Failures seen while it is left alone (a /status, an answer routed before) are the same outage.
    if (this.isDown(now)) return this.downUntil - now;
    const ms = Math.min(MAX_DOWN_MS, FIRST_DOWN_MS * 2 ** Math.min(this.failures, 16));
    this.failures++;
    this.downUntil = now + ms;
    return ms;
  }

  /** It sent part of an answer at `now`: alive, whatever else waits on it. */
  heard(now: number): void {
    this.heardAt = Math.max(this.heardAt, now);
  }

  /** It answered: no longer down, and the next failure starts the back-off afresh. */
  markUp(): void {
    this.failures = 0;
    this.downUntil = 0;
  }

  /**
   * Whether its last model list has `model` (any spelling); undefined when it
   * never gave one. Kept while the server is down, so a reply can name it.
   */
  lists(model: string): boolean | undefined {
    if (!this.known) return undefined;
    const wanted = canonicalModelName(model) ?? model;
    return this.known.models.some((m) => (canonicalModelName(m.name) ?? m.name) === wanted);
  }

  /**
   * Its installed models: the last list when it is at most `maxAgeMs` old,
   * else a new one from `ask` (one question at a time: callers meanwhile share
   * it). A failed question leaves the last list as it was.
   */
  models(
    now: number,
    maxAgeMs: number,
    ask: () => Promise<readonly ModelInfo[]>,
  ): Promise<readonly ModelInfo[]> {
    if (this.known && now - this.known.at <= maxAgeMs) return Promise.resolve(this.known.models);
    this.asking ??= ask()
      .then((models) => {
        this.known = { at: now, models };
        return models;
      })
      .finally(() => {
        this.asking = undefined;
      });
    return this.asking;
  }

  /** Its model list is out of date (a 404 for a model it listed, a pull): ask again next time. */
  forgetModels(): void {
    if (this.known) this.known = { at: Number.NEGATIVE_INFINITY, models: this.known.models };
  }
}
