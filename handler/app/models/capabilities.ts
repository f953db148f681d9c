import { canonicalModelName } from "../../domain/model-name.js";
import { withTimeLimit } from "../../time-limit.js";

/** How long a model's capabilities are trusted before `/api/show` is asked again. */
export const CAPABILITIES_TTL_MS = 10 * 60_000;

/** How long `/api/show` may take when the caller gives no signal of its own. */
const LOOKUP_MS = 10_000;

/** `/api/show`'s `capabilities` of a model, asked of a server that has it. */
export type CapabilityLookup = (model: string, signal: AbortSignal) => Promise<readonly string[]>;

/** What {@link CapabilityCache} needs to know. */
export interface CapabilitySettings {
  readonly now: () => Date;
  /** @default {@link CAPABILITIES_TTL_MS} */
  readonly ttlMs?: number;
}

/**
 * What each installed model can do (`completion`, `vision`, `thinking`,
 * `tools`, …), from Ollama's `/api/show`, cached per process for a while: a
 * model's capabilities change only when it is pulled again, and asking for
 * every model on every `/models` (or every photo) would cost one request each.
 */
export class CapabilityCache {
  private readonly entries = new Map<
    string,
    { readonly until: number; readonly value: Promise<readonly string[]> }
  >();

  constructor(
    private readonly lookup: CapabilityLookup,
    private readonly settings: CapabilitySettings,
  ) {}

  /**
   * The capabilities of `model` (any spelling: `llama3` and `llama3:latest` are one).
   * A failed lookup is not cached. @throws ModelError when Ollama cannot answer.
   */
  capabilitiesOf(model: string, signal?: AbortSignal): Promise<readonly string[]> {
    const name = canonicalModelName(model) ?? model;
    const now = this.settings.now().getTime();
    const cached = this.entries.get(name);
    if (cached && cached.until > now) return cached.value;
    const value = withTimeLimit(LOOKUP_MS, [signal], (limited) => this.lookup(name, limited));
    this.entries.set(name, { until: now + (this.settings.ttlMs ?? CAPABILITIES_TTL_MS), value });
    value.catch(() => {
      if (this.entries.get(name)?.value === value) this.entries.delete(name);
    });
    return value;
  }

  /** True when `model` lists `vision` (photos are sent only to such models). @throws ModelError */
  async canSee(model: string, signal?: AbortSignal): Promise<boolean> {
    return (await this.capabilitiesOf(model, signal)).includes("vision");
  }
}
