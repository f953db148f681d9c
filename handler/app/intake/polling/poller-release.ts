import { ConflictError } from "../../../errors.js";
import { errorFields } from "../../../log.js";
import type { PollerState } from "../../ports.js";
import { LEASE_MS } from "./poll-timing.js";
import type { PollerDeps } from "./poller.js";

/**
 * Stores the final state and gives the lease back. Never throws: a lease that
 * cannot be released lapses by itself within LEASE_MS, and the updates already
 * answered are recorded with their sessions, so none is answered again.
 * @returns what went wrong, for the summary.
 */
export async function releaseLease(
  deps: Pick<PollerDeps, "log" | "state">,
  owner: string,
  state: PollerState,
  save: { flush(): Promise<void> },
  lost: () => boolean,
): Promise<string | undefined> {
  const { log } = deps;
  await save.flush().catch(() => undefined);
  const lostMessage =
    "Lost the poller lease to another invocation; the updates not started were left to it.";
  if (lost()) {
    log.error("lost the poller lease; another invoke took over");
    return lostMessage;
  }
  try {
    await deps.state.save(owner, state, true);
    return undefined;
  } catch (err) {
    if (err instanceof ConflictError) {
      log.error("lost the poller lease; another invoke took over", errorFields(err));
      return lostMessage;
    }
    const message = `Could not store the offset and release the poller lease (${err instanceof Error ? err.name : "error"}); it lapses by itself within ${LEASE_MS / 1000} s.`;
    log.error(message, errorFields(err));
    return message;
  }
}
