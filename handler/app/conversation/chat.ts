import type { OllamaServer } from "../../domain/ollama-server.js";
import { type ChatMessage, MAX_STORED_MESSAGE_CHARS, type Session } from "../../domain/session.js";
import { thinkParam } from "../../domain/think.js";
import { appliedAlready, type UpdateRef } from "../../domain/update-stamp.js";
import { ModelError } from "../../errors.js";
import { TimeLimit } from "../../time-limit.js";
import { openAnswerStream } from "../delivery/answer-stream.js";
import { keepTyping } from "../delivery/typing.js";
import { MAX_INPUT_CHARS } from "../intake/addressing.js";
import { withImages } from "../media/context-images.js";
import type { ModelResult } from "../ports.js";
import { workIdOf } from "../stop/stop-switch.js";
import { buildContext } from "./context-window.js";
import { deliver } from "./deliver-answer.js";
import { ModelClock } from "./model-clock.js";
import { describeModelError } from "./model-errors.js";
import { storeTurn as store } from "./store-turn.js";
import { say, type Turn, type TurnOutcome } from "./turn.js";

/** Time kept back from the model call for delivering and storing the answer. */
export const DELIVERY_RESERVE_MS = 10_000;

/**
 * One chat turn: the user's text goes to their current model with the
 * session's recent context, the answer goes back to the chat, and both are
 * stored in one conditional write. A model failure gets a specific reply and
 * the user's message is still stored.
 */
export async function chatTurn(turn: Turn, text: string): Promise<TurnOutcome> {
  if (text.length > MAX_INPUT_CHARS) {
    await say(
      turn,
      `That message is ${text.length} characters; I can take at most ${MAX_INPUT_CHARS}. Please shorten it.`,
    );
    return "handled";
  }
  const session = await beginTurn(turn);
  if (session === "duplicate") return "duplicate";
  return answer(turn, session, userMessage(turn, session, text));
}

/**
 * True when the session's window already holds this update's message, stored
 * after the update was taken on. The stamp keeps only the last update applied:
 * when a late, lower update was applied after this one (a webhook delivery
 * overtaken, answered while this one's finish was lost to a crash), only the
 * message itself still says this one is stored. A message of an earlier id
 * sequence under the same id was stored before this update existed.
 */
export function turnStored(session: Session, ref: UpdateRef): boolean {
  return session.conversation.some(
    (m) => m.role === "user" && m.updateId === ref.updateId && Date.parse(m.ts) >= ref.receivedAt,
  );
}

/**
 * The session a new user message goes to, or "duplicate" when this update was
 * applied already (a redelivery).
 */
export async function beginTurn(turn: Turn): Promise<Session | "duplicate"> {
  const { msg, conversations } = turn;
  // The message is stored in the session at the end of the turn: a new session is created then.
  let { session } = await conversations.current(msg, { deferCreate: true });
  if (appliedAlready(session, msg) || turnStored(session, msg)) return "duplicate";
  if (turn.services.archiver.mustTrimFirst(session)) {
    // Earlier trims failed (S3 down). Move the window to S3 before the model runs: if S3 is
    // still down this throws, and the update is retried on a later invoke, its text intact,
    // instead of being answered and then refused by DynamoDB.
    session = await turn.services.archiver.trim(session);
    conversations.remember(session);
  }
  return session;
}

/** The user's new message in `session` (images: their S3 keys). */
export function userMessage(
  turn: Turn,
  session: Session,
  content: string,
  images?: readonly string[],
): ChatMessage {
  return {
    seq: session.messageCount + 1,
    role: "user",
    content,
    ts: turn.services.now().toISOString(),
    updateId: turn.msg.updateId,
    ...(images?.length ? { images } : {}),
  };
}

/** How {@link answer} treats the user message. */
export interface AnswerOptions {
  /** The messages before `userMessage` (default: the whole window). */
  readonly history?: readonly ChatMessage[];
  /**
   * `/retry`: `userMessage` is already stored, so only the new answer is
   * appended; it follows the old answer directly and supersedes it in the
   * context (see `buildContext`).
   */
  readonly regenerate?: boolean;
  /** Images already in memory (key → base64), so the one just sent is not read back from S3. */
  readonly freshImages?: ReadonlyMap<string, string>;
}

/**
 * Asks the model to answer `userMessage` (new, or the last one again for
 * `/retry`) and stores what happened.
 */
export async function answer(
  turn: Turn,
  session: Session,
  userMessage: ChatMessage,
  { history = session.conversation, regenerate = false, freshImages }: AnswerOptions = {},
): Promise<TurnOutcome> {
  const { services, log, msg } = turn;
  const { config } = services;
  // Over a daily limit: the user is told when it resets, and the model is not called.
  if (await turn.usage.refuse(turn)) return "handled";
  // Held to the ceilings even when a session's options predate a lowered one.
  const { ceilings } = config.ollama;
  const numCtx = Math.min(session.options.num_ctx ?? config.ollama.numCtx, ceilings.num_ctx);
  // Every answer is bounded: a model that never stops would otherwise fill the chat and the session.
  const numPredict = Math.min(
    session.options.num_predict ?? config.ollama.numPredict,
    ceilings.num_predict,
  );
  const context = buildContext({
    systemPrompt: session.systemPrompt,
    history,
    prompt: userMessage.content,
    promptImages: userMessage.images,
    numCtx,
    reserveForAnswer: Math.min(numPredict, Math.floor(numCtx / 4)),
    maxMessages: config.sessions.contextMessages,
  });
  const messages = await withImages(turn, session.model, context.messages, freshImages);
  const timeoutMs = turn.deadline - Date.now() - DELIVERY_RESERVE_MS;
  const work = { chatId: msg.chatId, userId: msg.userId, workId: workIdOf(msg.updateId) };
  const running = await turn.stops.start(work);
  try {
    const stream = openAnswerStream(turn, work);
    const typing = keepTyping(services.telegram, msg.chatId, msg.threadId, log);
    let streamed = 0;
    // What was written so far: kept when the user stops the answer.
    const partial = { content: "", thinking: "" };
    let result: ModelResult;
    // Who wrote the answer (none when the user stopped it before any server did).
    let server: OllamaServer | undefined;
    const clock = new ModelClock(services.metrics);
    // The user's Stop or the time left, whichever comes first, ends the model call.
    const limit = new TimeLimit(Math.max(1_000, timeoutMs), [running.signal]);
    try {
      ({ result, server } = await services.servers.chat(
        {
          // Always a configured server: a session's endpoint is a record of where it ran, never
          // an address to call (an imported file could name any host).
          deadline: Date.now() + Math.max(1_000, timeoutMs),
          chat: String(msg.chatId),
          model: session.model,
          messages,
          options: { ...session.options, num_ctx: numCtx, num_predict: numPredict },
          keepAlive: config.ollama.keepAlive,
          think: thinkParam(session.think, session.model),
          signal: limit.signal,
          stallMs: config.ollama.stallMs,
        },
        (delta) => {
          clock.delta(delta);
          partial.content += delta.content;
          partial.thinking += delta.thinking;
          // What is shown live stops where the stored answer will be cut.
          const room = MAX_STORED_MESSAGE_CHARS - streamed;
          stream?.push(room > 0 ? delta.content.slice(0, room) : "", delta.thinking);
          streamed += delta.content.length;
          // "typing…" lasts until the user sees text: reasoning and a non-streamed answer can take minutes.
          if (stream?.started) typing.stop();
        },
      ));
      clock.answered(result);
    } catch (err) {
      typing.stop();
      if (running.stopped && err instanceof ModelError) {
        // Stopped by the user: what was written so far is the answer, shown and stored as such.
        log.info("answer stopped by the user", { chars: partial.content.length });
        result = {
          ...partial,
          promptTokens: 0,
          completionTokens: 0,
          totalMs: 0,
          loadMs: 0,
          doneReason: "stopped",
        };
      } else {
        await stream?.settle();
        if (!(err instanceof ModelError)) throw err;
        log.warn("model call failed", { kind: err.kind, model: session.model, error: err.message });
        // A regenerated message is stored already: nothing new to keep.
        if (!regenerate) await store(turn, session, [{ ...userMessage, failed: err.kind }]);
        await say(turn, describeModelError(err, config.ollama.servers.length));
        return "handled";
      }
    } finally {
      limit.dispose();
    }
    typing.stop();
    // From here on a press finds the answer finished: it is being delivered as it is.
    await running.end();
    return await deliver(turn, session, userMessage, {
      result,
      stream,
      context,
      numCtx,
      numPredict,
      regenerate,
      ...(server ? { answeredBy: server.url } : {}),
    });
  } finally {
    await running.end();
  }
}
