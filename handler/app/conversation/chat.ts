import {
  type ChatMessage,
  capAnswer,
  MAX_STORED_MESSAGE_CHARS,
  type Session,
} from "../../domain/session.js";
import { ConflictError, ModelError, TelegramApiError } from "../../errors.js";
import { escapeHtml, extractThinking, formatReply } from "../../format/index.js";
import { StreamingReply } from "../delivery/streaming.js";
import { keepTyping } from "../delivery/typing.js";
import { MAX_INPUT_CHARS } from "../intake/addressing.js";
import { appliedAlready } from "../intake/handled.js";
import type { ModelResult } from "../ports.js";
import { buildContext } from "./context-window.js";
import { describeModelError } from "./model-errors.js";
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
  const { msg, conversations } = turn;
  if (text.length > MAX_INPUT_CHARS) {
    await say(
      turn,
      `That message is ${text.length} characters; I can take at most ${MAX_INPUT_CHARS}. Please shorten it.`,
    );
    return "handled";
  }
  let { session } = await conversations.current(msg);
  if (appliedAlready(session, msg.updateId)) return "duplicate";
  if (turn.services.archiver.mustTrimFirst(session)) {
    // Earlier trims failed (S3 down). Move the window to S3 before the model runs: if S3 is
    // still down this throws, and the update is retried on a later invoke, its text intact,
    // instead of being answered and then refused by DynamoDB.
    session = await turn.services.archiver.trim(session);
    conversations.remember(session);
  }
  const now = turn.services.now().toISOString();
  const userMessage: ChatMessage = {
    seq: session.messageCount + 1,
    role: "user",
    content: text,
    ts: now,
    updateId: msg.updateId,
  };
  return answer(turn, session, userMessage);
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
}

/**
 * Asks the model to answer `userMessage` (new, or the last one again for
 * `/retry`) and stores what happened.
 */
export async function answer(
  turn: Turn,
  session: Session,
  userMessage: ChatMessage,
  { history = session.conversation, regenerate = false }: AnswerOptions = {},
): Promise<TurnOutcome> {
  const { services, log, msg } = turn;
  const { config } = services;
  const numCtx = session.options.num_ctx ?? config.ollama.numCtx;
  // Every answer is bounded: a model that never stops would otherwise fill the chat and the session.
  const numPredict = session.options.num_predict ?? config.ollama.numPredict;
  const context = buildContext({
    systemPrompt: session.systemPrompt,
    history,
    prompt: userMessage.content,
    numCtx,
    reserveForAnswer: Math.min(numPredict, Math.floor(numCtx / 4)),
    maxMessages: config.sessions.contextMessages,
  });
  const timeoutMs = turn.deadline - Date.now() - DELIVERY_RESERVE_MS;
  const stream = config.chat.stream
    ? new StreamingReply(services.replier, turn.target, log, {
        minEditIntervalMs: msg.isGroup ? 3_000 : 1_000,
      })
    : undefined;
  const typing = keepTyping(services.telegram, msg.chatId, msg.threadId, log);
  let streamed = 0;
  let result: ModelResult;
  try {
    result = await services.model.chat(
      {
        // Always the configured server: a session's endpoint is a record of where it ran, never
        // an address to call (an imported file could name any host).
        endpoint: config.ollama.url,
        model: session.model,
        messages: context.messages,
        options: { ...session.options, num_ctx: numCtx, num_predict: numPredict },
        keepAlive: config.ollama.keepAlive,
        signal: AbortSignal.timeout(Math.max(1_000, timeoutMs)),
        stallMs: config.ollama.stallMs,
      },
      (delta) => {
        // What is shown live stops where the stored answer will be cut.
        const room = MAX_STORED_MESSAGE_CHARS - streamed;
        if (room > 0) stream?.push(delta.content.slice(0, room));
        streamed += delta.content.length;
        // "typing…" lasts until the user sees text: reasoning and a non-streamed answer can take minutes.
        if (stream?.started) typing.stop();
      },
    );
  } catch (err) {
    typing.stop();
    await stream?.settle();
    if (!(err instanceof ModelError)) throw err;
    log.warn("model call failed", { kind: err.kind, model: session.model, error: err.message });
    // A regenerated message is stored already: nothing new to keep.
    if (!regenerate) await store(turn, session, [{ ...userMessage, failed: err.kind }]);
    await say(turn, describeModelError(err, config.ollama.url));
    return "handled";
  }
  typing.stop();
  const { answer: whole, thinking } = result.thinking
    ? { answer: result.content, thinking: result.thinking }
    : extractThinking(result.content);
  // Shown and stored alike, so it can always be archived, exported and imported again.
  const text = capAnswer(whole);
  if (text !== whole) log.warn("answer cut to the stored limit", { chars: whole.length });
  const shown = text.trim() || "(the model returned an empty answer)";
  let html = formatReply({ answer: shown, thinking, showThinking: config.chat.showThinking });
  // num_predict stopped the model mid-answer: say so, and store it marked, never as complete.
  const cutOff = result.doneReason === "length" ? "length" : undefined;
  if (cutOff) html += `\n\n<i>${escapeHtml(cutOffNote(numPredict))}</i>`;
  if (config.chat.showStats) html += `\n\n<i>${escapeHtml(statsLine(session.model, result))}</i>`;
  const reply: ChatMessage = {
    seq: session.messageCount + (regenerate ? 1 : 2),
    role: "assistant",
    content: text,
    ts: services.now().toISOString(),
    ...(cutOff ? { cutOff } : {}),
  };
  try {
    if (stream) await stream.finish(html);
    else await services.replier.html(turn.target, html);
  } catch (err) {
    // Telegram said no to the answer itself (re-split and plain text tried already):
    // retrying cannot help, so keep the turn, marked, and say what happened.
    if (!(err instanceof TelegramApiError && err.code === 400)) throw err;
    log.warn("telegram refused the answer; storing the turn marked undelivered", {
      description: err.description,
    });
    const undelivered = { ...reply, failed: "undelivered" };
    await store(turn, session, regenerate ? [undelivered] : [userMessage, undelivered], result);
    await say(
      turn,
      `😞 Telegram refused my answer (${err.description}). It is saved in this conversation (/export has it); try /retry, or ask for a shorter answer.`,
    );
    return "handled";
  }
  // A prompt that filled the whole context was probably cut by Ollama (it truncates silently).
  const truncated = result.promptTokens > 0 && result.promptTokens >= numCtx - 8;
  const warn = (context.trimmed || truncated) && !session.contextTrimWarned;
  if (warn) {
    await say(
      turn,
      `ℹ️ This conversation is longer than the model's context (${numCtx} tokens), so the oldest messages are no longer sent to it. Use /new for a fresh start or /set num_ctx to raise the limit.`,
    );
  }
  const added = regenerate ? [reply] : [userMessage, reply];
  await store(turn, session, added, result, warn);
  return "handled";
}

async function store(
  turn: Turn,
  session: Session,
  messages: ChatMessage[],
  result?: ModelResult,
  warned = false,
): Promise<void> {
  const { conversations, services, msg } = turn;
  try {
    const updated = await services.store.appendMessages(session, messages, {
      updateId: msg.updateId,
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
    });
    conversations.remember(updated);
    if (services.archiver.isOversized(updated)) {
      // The answer is delivered and stored; a failed trim is retried after the next message.
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

/** The note under an answer that reached the length limit. */
export function cutOffNote(numPredict: number): string {
  return `✂️ Cut off: the answer reached the length limit (${numPredict} tokens). Ask me to continue, or raise the limit with /set num_predict.`;
}

function statsLine(model: string, r: ModelResult): string {
  return `${model} · ${r.promptTokens}+${r.completionTokens} tokens · ${(r.totalMs / 1000).toFixed(1)} s`;
}
