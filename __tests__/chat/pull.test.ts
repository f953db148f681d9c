import { beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { useTestBed } from "../harness/bed.js";
import { buttonShown } from "../harness/people.js";
import { envWith, invoke, newPerson, type Person, requestsTo, textsTo } from "./support.js";

describe("/pull: admins download models from the chat, with progress and a Cancel button", () => {
  const bed = useTestBed({ telegram: { flood: false } });
  let admin: Person;
  let env: Record<string, string>;
  beforeAll(async () => {
    admin = newPerson("Admin");
    env = envWith(bed, { ADMIN_USER_IDS: String(admin.user.id) });
  });
  beforeEach(() => {
    bed.ollama.reset();
    bed.ollama.pullSteps = 4;
  });

  /** Every text the download message showed, edits included, in order. */
  const shownTexts = (p: Person): string[] =>
    [...requestsTo(bed, "sendMessage", p.chat.id), ...requestsTo(bed, "editMessageText", p.chat.id)]
      .filter((r) => r.status === 200)
      .sort((a, b) => a.at - b.at)
      .map((r) => String(r.params.text));

  it("streams the percentage into one message and ends with the model installed and no button", async () => {
    // Arrange
    bed.ollama.pullDelayMs = 400; // four layers' worth of progress over about two seconds
    bed.telegram.pushText(admin.user, admin.chat, "/pull llava");

    // Act
    const summary = await invoke(bed, env);

    // Assess
    expect(summary).toMatchObject({ handled: 1, failed: 0 });
    expect(bed.ollama.pulls().at(-1)?.body).toMatchObject({ name: "llava", stream: true });
    expect(bed.ollama.installed()).toContain("llava:latest");
    const messages = bed.telegram.sentMessages(admin.chat.id);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.text).toBe("✅ Pulled llava. Switch to it with /model llava.");
    expect(bed.telegram.buttonsOf(admin.chat.id, messages[0]?.messageId ?? 0)).toEqual([]);
    const progress = shownTexts(admin).filter((t) => /^⬇️ Pulling llava: \d+% \(/.test(t));
    expect(progress.length).toBeGreaterThanOrEqual(1);
  });

  it("a pull of an unknown model says what Ollama answered", async () => {
    // Arrange
    bed.telegram.pushText(admin.user, admin.chat, "/pull no-such-model");

    // Act
    await invoke(bed, env);

    // Assess
    expect(textsTo(bed, admin.chat.id).at(-1)).toBe(
      '❌ Ollama could not pull "no-such-model": pull model manifest: file does not exist. Check the name on https://ollama.com/library.',
    );
    expect(bed.ollama.installed()).not.toContain("no-such-model:latest");
  });

  it("Cancel stops the download: the request is aborted and nothing is installed", async () => {
    // Arrange
    bed.ollama.addToLibrary("slow-model", 9_000_000_000);
    bed.ollama.pullSteps = 400;
    bed.ollama.pullDelayMs = 100; // forty seconds unless cancelled
    bed.telegram.pushText(admin.user, admin.chat, "/pull slow-model");
    const running = invoke(bed, env);
    const button = await buttonShown(
      bed,
      admin.chat.id,
      "pull:",
      "the download message with its Cancel button",
    );

    // Act
    bed.telegram.pushPress(admin.user, admin.chat, button.messageId, button.data);
    await running;

    // Assess
    expect(bed.telegram.callbackAnswers().at(-1)?.text).toBe("⏹ Cancelling the download…");
    expect(bed.ollama.pulls().at(-1)?.cancelledAt).toBeDefined();
    expect(bed.ollama.installed()).not.toContain("slow-model:latest");
    expect(textsTo(bed, admin.chat.id).at(-1)).toBe(
      "⏹ Download of slow-model cancelled. Send /pull slow-model again to continue: Ollama keeps what it downloaded.",
    );
  });

  it("refuses users who are not admins, politely, without calling Ollama", async () => {
    // Arrange
    const guest = newPerson("Guest");
    bed.telegram.pushText(guest.user, guest.chat, "/pull llava");

    // Act
    await invoke(bed, env);

    // Assess
    expect(textsTo(bed, guest.chat.id)).toEqual([
      "Only the bot's admins can pull models. Ask one of them to /pull it for you.",
    ]);
    expect(bed.ollama.pulls()).toEqual([]);
  });
});
