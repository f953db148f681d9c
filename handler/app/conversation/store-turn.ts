import type { ChatMessage, Session } from "../../domain/session.js";
import { ConflictError } from "../../errors.js";
import type { ModelResult } from "../ports.js";
import type { Turn } from "./turn.js";

/** What else a stored turn records. */
export interface StoredTurnFacts {
  /** The context-trim warning was shown with this answer. */
  readonly warned?: boolean;
  /** The public URL of the server that wrote the answer (the session's `ollama_endpoint` from now on). */
  readonly answeredBy?: string;
}

/**
 * Appends a turn's messages to its session in one conditional write, then
 * moves older messages to S3 when the window grew too large (a failed move is
 * retried after the next message: the answer is delivered and stored).
 */
export async function storeTurn(
  turn: Turn,
  session: Session,
  messages: ChatMessage[],
  result?: ModelResult,
  { warned = false, answeredBy }: StoredTurnFacts = {},
): Promise<void> {
  const { conversations, services, msg } = turn;
  try {
    // A session started for this message: the profile pointing at it goes first.
    await conversations.storeStart(session);
    const updated = await services.store.appendMessages(session, messages, {
      update: msg,
      // last_message_ts is the time of the last message stored, exactly.
      now: new Date(messages.at(-1)?.ts ?? services.now().toISOString()),
      usage: result
        ? {
            promptTokens: result.promptTokens,
            completionTokens: result.completionTokens,
            totalMs: result.totalMs,
          }
        : undefined,
      contextTrimWarned: warned || undefined,
      answeredBy,
    });
    conversations.remember(updated);
    if (services.archiver.isOversized(updated)) {
      await services.archiver.trim(updated).then(
        (trimmed) => conversations.remember(trimmed),
        (err: unknown) =>
          turn.log.warn("moving older messages to S3 failed; will retry", { error: String(err) }),
      );
    }
  } catch (err) {
    // The session changed under us (e.g. archived by an idle sweep): forget the cache; the poller retries.
    if (err instanceof ConflictError) conversations.forget(msg.userId);
    throw err;
  }
}
