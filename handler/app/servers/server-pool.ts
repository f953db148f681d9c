import type { OllamaServer } from "../../domain/ollama-server.js";
import { ModelError, type ModelFailureKind } from "../../errors.js";
import type { Logger } from "../../log.js";
import { withTimeLimit } from "../../time-limit.js";
import type { ModelGateway, ModelInfo, ModelRequest, ModelResult, PullProgress } from "../ports.js";
import { ServerState } from "./server-state.js";
import { Slots } from "./slots.js";

/** How long a server's model list (`/api/tags`) is trusted before it is asked again. */
export const TAGS_TTL_MS = 30_000;
/** How long `/api/tags` may take. */
const TAGS_MS = 5_000;
/**
 * A list younger than this is not asked for again when no server seems to
 * have a model: it was just asked (a model pulled by hand a moment ago shows
 * up without waiting for {@link TAGS_TTL_MS}).
 */
const JUST_ASKED_MS = 1_000;

/**
 * Failures after which the request goes to another server that has the model,
 * when the first sent no byte of an answer: refused or reset, no first byte in
 * time, an error status (5xx, 503 busy; 401/403, a proxy's credentials for that
 * server alone), or a 404 for a model its list named a moment ago.
 */
const TRY_ELSEWHERE: ReadonlySet<ModelFailureKind> = new Set([
  "unreachable",
  "timeout",
  "busy",
  "server_error",
  "unauthorized",
  "not_found",
]);

/** Failures that say more than "unreachable" or "not found", the most telling first. */
const TELLING: readonly ModelFailureKind[] = ["busy", "timeout", "server_error", "unauthorized"];

/** What {@link ServerPool} needs to know. */
export interface ServerPoolSettings {
  /** `OLLAMA_URL`'s servers, in the order listed (the first is preferred on a tie). */
  readonly servers: readonly OllamaServer[];
  /** Answers at once per server (`OLLAMA_PARALLEL`). */
  readonly parallel: number;
  /** The clock of back-offs and model lists (epoch ms). */
  readonly now: () => number;
}

/** One model call, its server left to the pool. */
export interface RoutedRequest extends Omit<ModelRequest, "server" | "firstByteMs"> {
  /**
   * Epoch ms by which the answer must be complete. When another server has
   * the model too, the first one gets half the time left for its first byte
   * (unless it is answering others of this process: then its silence is its queue).
   */
  readonly deadline: number;
  /** The chat the answer is for: between equally busy servers, each chat keeps to its own. */
  readonly chat?: string;
}

/** An answer, and the server that wrote it. */
export interface RoutedResult {
  readonly result: ModelResult;
  readonly server: OllamaServer;
}

/** One server, as `/status`, `/models` and `/pull` see it. */
export interface ServerReport {
  readonly server: OllamaServer;
  /** Its installed models, when it answered. */
  readonly models?: readonly ModelInfo[];
  /** Why it did not answer. */
  readonly error?: ModelError;
  /** Answers this process is waiting for from it. */
  readonly inFlight: number;
}

/** Where a model can go now. */
interface Route {
  /** Up, with the model, not tried yet for this request. */
  readonly up: readonly ServerState[];
  /** Down or failed for this request, having the model or perhaps having it (no list yet). */
  readonly away: readonly ServerState[];
  /** Down, not tried for this request, and listing the model: usable once their back-off ends. */
  readonly resting: readonly ServerState[];
}

/**
 * The Ollama servers of `OLLAMA_URL` as one: each answer goes to a server
 * that has its model (their `/api/tags`, cached {@link TAGS_TTL_MS}), the one
 * with the fewest answers in flight from this process, never more than
 * `parallel` at once per server ({@link Slots}). A server that fails before
 * answering is left alone for a while (a back-off, {@link ServerState}) and the
 * request goes to the next server with the model; the user sees nothing. A
 * failure once an answer streams is the caller's, as with one server. A lone
 * server is asked whatever it lists and however it failed before: its own
 * answer (a 404, a refusal) says what is wrong, as it always has.
 */
export class ServerPool {
  private readonly states: readonly ServerState[];
  private readonly slots: Slots;

  constructor(
    private readonly gateway: ModelGateway,
    private readonly settings: ServerPoolSettings,
    private readonly log: Logger,
  ) {
    this.states = settings.servers.map((server, place) => new ServerState(server, place));
    // A lone server is asked as it always was: MAX_CONCURRENCY alone bounds what it is sent.
    this.slots = new Slots(
      this.lone ? Number.POSITIVE_INFINITY : settings.parallel,
      (s) => (this.lone ? 0 : s.backAt),
      settings.now,
    );
  }

  /** The servers, in `OLLAMA_URL`'s order. */
  get servers(): readonly OllamaServer[] {
    return this.settings.servers;
  }

  /** Answers waiting for a free place on a server. */
  get waiting(): number {
    return this.slots.queued;
  }

  /** Streams an answer from a server that has the model (see the class). @throws ModelError */
  chat(
    request: RoutedRequest,
    onDelta?: (delta: { content: string; thinking: string }) => void,
  ): Promise<RoutedResult> {
    const { deadline, chat, ...call } = request;
    return this.onServerWith(
      request.model,
      request.signal,
      (up, resting) =>
        // Waiting, it may also take a place on a server whose back-off ends meanwhile.
        this.slots.take([...up, ...resting], request.signal, chat).catch((err: unknown) => {
          throw new ModelError(
            "busy",
            request.model,
            `Ollama busy: every server that has ${request.model} was answering others until the time ran out`,
            { cause: err, servers: up.map((s) => s.server.url), beforeAnswer: true },
          );
        }),
      async (state, others) => {
        // With another server to turn to, this one may not take all the time for its first byte.
        const firstByteMs = others > 0 ? Math.max(1, (deadline - Date.now()) / 2) : undefined;
        const result = await this.gateway.chat(
          { ...call, server: state.server, ...(firstByteMs ? { firstByteMs } : {}) },
          (delta) => {
            state.heard(this.settings.now());
            onDelta?.(delta);
          },
        );
        state.heard(this.settings.now());
        return { result, server: state.server };
      },
      (state) => this.slots.give(state),
    );
  }

  /** What `model` can do (`/api/show`), asked of a server that has it. @throws ModelError */
  capabilities(model: string, signal: AbortSignal): Promise<readonly string[]> {
    return this.onServerWith(
      model,
      signal,
      async (up) => leastBusy(up),
      (state) => this.gateway.capabilities(state.server, model, signal),
    );
  }

  /** Every server's models, asked now (a server that fails is reported, and left alone by answers a while). */
  survey(): Promise<ServerReport[]> {
    return Promise.all(
      this.states.map(async (state): Promise<ServerReport> => {
        try {
          const models = await this.modelsOf(state, 0);
          return { server: state.server, models, inFlight: state.inFlight };
        } catch (err) {
          if (!(err instanceof ModelError)) throw err;
          return { server: state.server, error: err, inFlight: state.inFlight };
        }
      }),
    );
  }

  /** Downloads `model` onto `server` (`/api/pull`); its model list is asked again afterwards. @throws ModelError */
  async pull(
    server: OllamaServer,
    model: string,
    signal: AbortSignal,
    onProgress: (progress: PullProgress) => void,
  ): Promise<void> {
    try {
      await this.gateway.pull({ server, model, signal }, onProgress);
    } finally {
      this.states.find((s) => s.server === server)?.forgetModels();
    }
  }

  /**
   * Runs `call` on a server `pick` chooses among those that have `model`, and
   * on the next while one fails before answering. `done` follows each call.
   */
  private async onServerWith<T>(
    model: string,
    signal: AbortSignal,
    pick: (
      up: readonly ServerState[],
      resting: readonly ServerState[],
    ) => Promise<ServerState | undefined>,
    call: (state: ServerState, others: number) => Promise<T>,
    done?: (state: ServerState) => void,
  ): Promise<T> {
    const tried = new Map<ServerState, ModelError>();
    for (;;) {
      const route = await this.route(model, tried);
      if (route.up.length === 0) throw this.failure(model, route, tried);
      const state = await pick(route.up, route.resting);
      // Every server it waited for went down meanwhile: route again.
      if (!state) continue;
      const askedAt = this.settings.now();
      try {
        const value = await call(state, route.up.length - 1);
        state.markUp();
        return value;
      } catch (err) {
        if (
          this.lone ||
          !(err instanceof ModelError) ||
          !err.beforeAnswer ||
          signal.aborted ||
          !TRY_ELSEWHERE.has(err.kind)
        )
          throw err;
        tried.set(state, err);
        // No first byte, while the server wrote others of our answers: it is alive, and Ollama
        // was queueing this one behind them. It goes elsewhere; the server is not left alone.
        if (err.kind !== "timeout" || state.heardAt <= askedAt) this.failed(state, err);
      } finally {
        done?.(state);
      }
    }
  }

  /** The servers `model` can go to (see {@link Route}), their model lists asked where stale. */
  private async route(model: string, tried: ReadonlyMap<ServerState, unknown>): Promise<Route> {
    if (this.lone) {
      const lone = this.states.filter((s) => !tried.has(s));
      return { up: lone, away: lone.length > 0 ? [] : this.states, resting: [] };
    }
    await this.refresh(TAGS_TTL_MS, tried);
    let up = this.upWith(model, tried);
    if (up.length === 0) {
      await this.refresh(JUST_ASKED_MS, tried);
      up = this.upWith(model, tried);
    }
    const now = this.settings.now();
    const away = this.states.filter(
      (s) => (tried.has(s) || s.isDown(now)) && s.lists(model) !== false,
    );
    const resting = away.filter((s) => !tried.has(s) && s.lists(model) === true);
    return { up, away, resting };
  }

  private upWith(model: string, tried: ReadonlyMap<ServerState, unknown>): ServerState[] {
    const now = this.settings.now();
    return this.states.filter((s) => !tried.has(s) && !s.isDown(now) && s.lists(model) === true);
  }

  /** Asks `/api/tags` of each server not down or tried whose list is older than `maxAgeMs`. */
  private async refresh(maxAgeMs: number, tried: ReadonlyMap<ServerState, unknown>): Promise<void> {
    const now = this.settings.now();
    await Promise.all(
      this.states
        .filter((s) => !tried.has(s) && !s.isDown(now))
        .map((s) => this.modelsOf(s, maxAgeMs).catch(() => undefined)),
    );
  }

  /**
   * `state`'s installed models, its list at most `maxAgeMs` old. Bounded by its
   * own time alone, as callers share it. A failure leaves the server alone a
   * while; an answer does not end its back-off (a server whose runner fails
   * may still list its models): only an answered request does.
   * @throws ModelError
   */
  private async modelsOf(state: ServerState, maxAgeMs: number): Promise<readonly ModelInfo[]> {
    try {
      return await state.models(this.settings.now(), maxAgeMs, () =>
        withTimeLimit(TAGS_MS, [], (signal) => this.gateway.listModels(state.server, signal)),
      );
    } catch (err) {
      if (err instanceof ModelError) this.failed(state, err);
      throw err;
    }
  }

  /** `state` failed before answering: a 404 dates its list; anything else leaves it alone a while. */
  private failed(state: ServerState, err: ModelError): void {
    if (err.kind === "not_found") {
      state.forgetModels();
      return;
    }
    if (this.lone) return;
    const downForMs = state.markDown(this.settings.now());
    this.log.warn("an Ollama server failed; answers go to the other servers for a while", {
      server: state.server.url,
      kind: err.kind,
      error: err.message,
      downForMs,
    });
    this.slots.recheck();
  }

  /**
   * What the user is told when no server is left to try: a lone server's own
   * error; else the most telling of the servers' failures (busy, a timeout, a
   * server error or refused credentials say more than a 404 from a server whose
   * list was out of date); else that the servers which may have the model
   * cannot be reached; else the 404, or that none has it.
   */
  private failure(model: string, route: Route, tried: ReadonlyMap<ServerState, ModelError>) {
    const errors = [...tried.values()];
    const last = errors.at(-1);
    if (this.lone && last) return last;
    for (const kind of TELLING) {
      const telling = errors.find((e) => e.kind === kind);
      if (telling) return telling;
    }
    const away = route.away.filter((s) => tried.get(s)?.kind !== "not_found");
    if (away.length > 0) return this.nowhere(model, { ...route, away });
    return last ?? this.nowhere(model, route);
  }

  /** Why no server can take `model`: the ones that may have it cannot be reached, or none has it. */
  private nowhere(model: string, route: Route): ModelError {
    if (route.away.length > 0) {
      const servers = route.away.map((s) => s.server.url);
      return new ModelError(
        "unreachable",
        model,
        `Ollama unreachable: no server that answers has ${model}, and ${servers.join(", ")} cannot be reached`,
        { servers, beforeAnswer: true },
      );
    }
    return new ModelError("not_found", model, `Ollama not found: no server has ${model}`, {
      servers: this.states.map((s) => s.server.url),
      beforeAnswer: true,
    });
  }

  private get lone(): boolean {
    return this.states.length === 1;
  }
}

/** The server with the fewest answers in flight (the first listed on a tie). */
function leastBusy(states: readonly ServerState[]): ServerState | undefined {
  return states.reduce<ServerState | undefined>(
    (best, s) => (!best || s.inFlight < best.inFlight ? s : best),
    undefined,
  );
}
