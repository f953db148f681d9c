import { beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { waitFor } from "../faults/support.js";
import { useTestBed } from "../harness/bed.js";
import type { TgChat, TgUser } from "../harness/fake-telegram.js";
import { buttonShown } from "../harness/people.js";
import {
  conversationOf,
  envWith,
  invoke,
  newGroup,
  newPerson,
  requestsTo,
  sessionItems,
  textsTo,
} from "./support.js";

const STORY = "Once upon a time there was a model that would not stop talking about itself.";
/** What the fake streams first (16 characters a chunk). */
const FIRST_CHUNK = STORY.slice(0, 16);

/** `@ollama_test_bot` as a mention entity at offset 0. */
const mention = { type: "mention", offset: 0, length: 16 };

describe("Stop: a streamed answer can be stopped by its button or /stop (polling)", () => {
  const bed = useTestBed({ telegram: { flood: false } });
  let edit: Record<string, string>;
  let releases: (() => void)[] = [];
  beforeAll(async () => {
    edit = envWith(bed, { STREAM_MODE: "edit" });
  });
  beforeEach(() => {
    for (const release of releases) release();
    releases = [];
    bed.ollama.reset();
    bed.ollama.setReply("llama3", () => STORY);
  });

  /** Holds the answer to `text` after its first chunk, until the test releases it. */
  const holdAnswerTo = (text: string) => {
    const hold = bed.ollama.holdAfterFirstChunk(
      (b) => b.messages.filter((m) => m.role === "user").at(-1)?.content === text,
    );
    releases.push(hold.release);
    return hold;
  };

  /** The bot's message in `chat` that carries a Stop button now, once it shows. */
  const stopButtonIn = (chat: TgChat) =>
    buttonShown(bed, chat.id, "stop:", "a streaming message with a Stop button");

  it("a press aborts the Ollama request, keeps the partial answer shown and stored (marked stopped) and answers the press", async () => {
    // Arrange
    const ada = newPerson("Ada");
    holdAnswerTo("tell me a story");
    bed.telegram.pushText(ada.user, ada.chat, "tell me a story");
    const running = invoke(bed, edit);
    const button = await stopButtonIn(ada.chat);

    // Act
    bed.telegram.pushPress(ada.user, ada.chat, button.messageId, button.data);
    const summary = await running;

    // Assess
    expect(summary).toMatchObject({ handled: 2, failed: 0 });
    expect(bed.ollama.chats().at(-1)?.cancelledAt).toBeDefined();
    expect(bed.telegram.callbackAnswers().at(-1)?.text).toBe("⏹ Stopping the answer…");
    expect(textsTo(bed, ada.chat.id)).toEqual([`${FIRST_CHUNK}\n\n⏹ Stopped.`]);
    expect(bed.telegram.buttonsOf(ada.chat.id, button.messageId)).toEqual([]);
    const [session] = await sessionItems(bed, ada.user.id);
    expect(conversationOf(session ?? {}).map((m) => ({ ...m, ts: undefined }))).toEqual([
      expect.objectContaining({ role: "user", content: "tell me a story" }),
      expect.objectContaining({ role: "assistant", content: FIRST_CHUNK, stopped: true }),
    ]);
  });

  it("/stop stops the sender's running answer without waiting behind it in the chat's lane", async () => {
    // Arrange: the held answer never ends by itself; a /stop queued behind it would wait forever.
    const bob = newPerson("Bob");
    holdAnswerTo("write an essay");
    bed.telegram.pushText(bob.user, bob.chat, "write an essay");
    const running = invoke(bed, edit);
    await stopButtonIn(bob.chat);

    // Act
    bed.telegram.pushText(bob.user, bob.chat, "/stop");
    const summary = await running;

    // Assess
    expect(summary).toMatchObject({ handled: 2, failed: 0 });
    expect(bed.ollama.chats().at(-1)?.cancelledAt).toBeDefined();
    expect(textsTo(bed, bob.chat.id)).toEqual([`${FIRST_CHUNK}\n\n⏹ Stopped.`]);
  });

  it("/stop with nothing running says so and stops nothing", async () => {
    // Arrange
    const cleo = newPerson("Cleo");
    bed.telegram.pushText(cleo.user, cleo.chat, "/stop");

    // Act
    await invoke(bed, edit);

    // Assess
    expect(textsTo(bed, cleo.chat.id)).toEqual([
      "Nothing to stop: no answer of yours is being written here.",
    ]);
    expect(bed.ollama.chats()).toEqual([]);
  });

  it("a press on the Stop of an answer that already finished is answered 'already finished' and changes nothing", async () => {
    // Arrange
    const dan = newPerson("Dan");
    bed.telegram.pushText(dan.user, dan.chat, "a short one");
    await invoke(bed, edit);
    const [message] = bed.telegram.sentMessages(dan.chat.id);
    expect(message?.text).toBe(STORY);
    expect(bed.telegram.buttonsOf(dan.chat.id, message?.messageId ?? 0)).toEqual([]);
    // The answer is a rich message (Bot API 10.1) that carried the Stop while it grew.
    const [first] = requestsTo(bed, "sendRichMessage", dan.chat.id);
    const data = JSON.stringify(first?.params.reply_markup).match(/stop:\d+:\d+/)?.[0] ?? "";

    // Act: a client that still shows the old keyboard
    bed.telegram.pushPress(dan.user, dan.chat, message?.messageId ?? 0, data);
    const summary = await invoke(bed, edit);

    // Assess
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    expect(bed.telegram.callbackAnswers().at(-1)?.text).toBe("That answer has already finished.");
    expect(textsTo(bed, dan.chat.id)).toEqual([STORY]);
    const [session] = await sessionItems(bed, dan.user.id);
    expect(conversationOf(session ?? {}).at(-1)).not.toHaveProperty("stopped");
  });

  it("in a group, another member's press is refused with an alert and the answer goes on", async () => {
    // Arrange
    const group = newGroup();
    const eve: TgUser = newPerson("Eve").user;
    const fred: TgUser = newPerson("Fred").user;
    const hold = holdAnswerTo("tell the group a story");
    bed.telegram.pushText(eve, group, "@ollama_test_bot tell the group a story", {
      entities: [mention],
    });
    const running = invoke(bed, edit);
    const button = await stopButtonIn(group);

    // Act
    bed.telegram.pushPress(fred, group, button.messageId, button.data);
    const answered = bed.telegram.callbackAnswers().length;
    await waitFor(
      () => bed.telegram.callbackAnswers().length > answered,
      20_000,
      "the press answered",
    );
    hold.release();
    await running;

    // Assess
    expect(bed.telegram.callbackAnswers().slice(answered)).toEqual([
      expect.objectContaining({
        text: "Only the person who asked can stop this.",
        showAlert: true,
      }),
    ]);
    expect(bed.ollama.chats().at(-1)?.cancelledAt).toBeUndefined();
    expect(textsTo(bed, group.id)).toEqual([STORY]);
    expect(bed.telegram.buttonsOf(group.id, button.messageId)).toEqual([]);
  });

  it("callback_query and stopped_message_generation are subscribed to with getUpdates", async () => {
    // Act
    await invoke(bed, edit);

    // Assess
    const last = bed.telegram.requests("getUpdates").at(-1)?.params.allowed_updates;
    const allowed: unknown = typeof last === "string" ? JSON.parse(last) : last;
    expect(allowed).toEqual(["message", "callback_query", "stopped_message_generation"]);
  });
});
