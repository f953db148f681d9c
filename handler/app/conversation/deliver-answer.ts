import { type ChatMessage, capAnswer, type Session } from "../../domain/session.js";
import { TelegramApiError } from "../../errors.js";
import { extractThinking, type ReplyParts } from "../../format/index.js";
import { showFinal } from "../delivery/answer-stream.js";
import type { AnswerStream } from "../delivery/streaming.js";
import type { ModelResult } from "../ports.js";
import { storeTurn as store } from "./store-turn.js";
import { say, type Turn, type TurnOutcome } from "./turn.js";

/** What {@link deliver} needs from the model call. */
export interface Answered {
  readonly result: ModelResult;
  readonly stream: AnswerStream | undefined;
  readonly context: { readonly trimmed: boolean };
  readonly numCtx: number;
  readonly numPredict: number;
  readonly regenerate: boolean;
  /** The public URL of the server that wrote it (none when stopped before any did). */
  readonly answeredBy?: string;
}

/**
 * Shows the answer in its final form (stopped and cut-off answers marked),
 * stores the turn, counts its usage, and warns once when the context overflowed.
 * A final text Telegram refuses is stored marked `undelivered`, its user told.
 */
export async function deliver(
  turn: Turn,
  session: Session,
  userMessage: ChatMessage,
  { result, stream, context, numCtx, numPredict, regenerate, answeredBy }: Answered,
): Promise<TurnOutcome> {
  const { services, log } = turn;
  const { config } = services;
  const stopped = result.doneReason === "stopped";
  const { answer: whole, thinking } = result.thinking
    ? { answer: result.content, thinking: result.thinking }
    : extractThinking(result.content);
  // Shown and stored alike, so it can always be archived, exported and imported again.
  const text = capAnswer(whole);
  if (text !== whole) log.warn("answer cut to the stored limit", { chars: whole.length });
  const empty = stopped
    ? "(stopped before the model wrote anything)"
    : "(the model returned an empty answer)";
  // num_predict stopped the model mid-answer: say so, and store it marked, never as complete.
  const cutOff = result.doneReason === "length" ? "length" : undefined;
  const answer: ReplyParts = {
    answer: text.trim() || empty,
    thinking,
    showThinking: config.chat.showThinking,
    notes: [...(cutOff ? [cutOffNote(numPredict)] : []), ...(stopped ? ["⏹ Stopped."] : [])],
    ...(!stopped && config.chat.showStats ? { footer: statsLine(session.model, result) } : {}),
  };
  const reply: ChatMessage = {
    seq: session.messageCount + (regenerate ? 1 : 2),
    role: "assistant",
    content: text,
    ts: services.now().toISOString(),
    ...(stopped ? { stopped: true } : {}),
    ...(cutOff ? { cutOff } : {}),
  };
  try {
    await showFinal(turn, stream, answer);
    services.metrics.count("AnswersSent");
  } catch (err) {
    // Telegram said no to the answer itself (re-split and plain text tried already):
    // retrying cannot help, so keep the turn, marked, and say what happened.
    if (!(err instanceof TelegramApiError && err.code === 400)) throw err;
    log.warn("telegram refused the answer; storing the turn marked undelivered", {
      description: err.description,
    });
    const undelivered = { ...reply, failed: "undelivered" };
    await store(turn, session, regenerate ? [undelivered] : [userMessage, undelivered], result, {
      answeredBy,
    });
    await turn.usage.count(turn, result);
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
  await store(turn, session, added, result, { warned: warn, answeredBy });
  await turn.usage.count(turn, result);
  return "handled";
}

/** The note under an answer that reached the length limit. */
export function cutOffNote(numPredict: number): string {
  return `✂️ Cut off: the answer reached the length limit (${numPredict} tokens). Ask me to continue, or raise the limit with /set num_predict.`;
}

function statsLine(model: string, r: ModelResult): string {
  return `${model} · ${r.promptTokens}+${r.completionTokens} tokens · ${(r.totalMs / 1000).toFixed(1)} s`;
}
