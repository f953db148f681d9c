import type { ModelGateway } from "../ports.js";

/** How long a model's capabilities are trusted: a re-pulled model may gain or lose vision. */
export const CAPABILITIES_TTL_MS = 10 * 60_000;
/** How long one `/api/show` may take before the lookup gives up. */
const SHOW_TIMEOUT_MS = 10_000;

/**
 * What each model can do (`/api/show` `capabilities`: `vision`, `tools`,
 * `thinking`, …), cached per model for {@link CAPABILITIES_TTL_MS}: asking on
 * every photo would add a round trip to Ollama. A failed lookup is not cached
 * (it throws the gateway's `ModelError`), so the next message asks again.
 */
export class ModelCapabilities {
  private readonly cache = new Map<string, { at: number; value: Promise<string[]> }>();

  constructor(
    private readonly model: ModelGateway,
    private readonly endpoint: string,
    private readonly now: () => number = Date.now,
    private readonly ttlMs: number = CAPABILITIES_TTL_MS,
  ) {}

  /** The capabilities `/api/show` lists for `model` (cached). @throws ModelError */
  capabilitiesOf(model: string): Promise<string[]> {
    const hit = this.cache.get(model);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    const value = this.model.capabilities(
      this.endpoint,
      model,
      AbortSignal.timeout(SHOW_TIMEOUT_MS),
    );
    this.cache.set(model, { at: this.now(), value });
    value.catch(() => {
      if (this.cache.get(model)?.value === value) this.cache.delete(model);
    });
    return value;
  }

  /** True when `model` lists `vision`. @throws ModelError */
  async canSee(model: string): Promise<boolean> {
    return (await this.capabilitiesOf(model)).includes("vision");
  }
}
