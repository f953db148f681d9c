import { describe, expect, it } from "@jest/globals";
import {
  conversationOf,
  invoke,
  isContiguous,
  onlySession,
  partMessages,
  person,
  repliesTo,
  say,
  useArchiveBed,
} from "./support.js";

describe("a long S3 outage while a user keeps chatting", () => {
  // Trims start at 4 KB; nothing more is written past 16 KB until a trim succeeds.
  const bed = useArchiveBed({
    ARCHIVE_AFTER_KB: "4",
    ARCHIVE_AFTER_MESSAGES: "1000",
    MAX_UPDATE_ATTEMPTS: "10",
  });
  bed.beforeClose(async () => {
    await bed.aws.startS3();
  });

  it("stops before the item outgrows DynamoDB: the next message waits, unanswered and intact, until S3 is back", async () => {
    // Arrange: S3 down, and a user who writes 1.5 KB messages.
    const eve = person(8801, "Eve");
    const text = (i: number) => `message ${i}: ${"x".repeat(1_500)}`;
    await bed.aws.stopS3();
    let sent = 0;
    let blocked: Awaited<ReturnType<typeof say>> | undefined;
    for (let i = 1; i <= 12 && !blocked; i++) {
      const summary = await say(bed, eve, text(i));
      sent = i;
      if (summary.failed > 0) blocked = summary;
    }
    const modelCallsBefore = bed.ollama.chats().length;
    const again = await invoke(bed);
    const modelCallsWhileBlocked = bed.ollama.chats().length - modelCallsBefore;

    // Act: S3 comes back.
    await bed.aws.startS3();
    const recovered = await invoke(bed);

    // Assert: blocked well before 400 KB, without asking the model or apologising.
    expect(blocked).toMatchObject({ handled: 0, failed: 1 });
    expect(again).toMatchObject({ handled: 0, failed: 1 });
    expect(modelCallsWhileBlocked).toBe(0);
    expect(repliesTo(bed, eve).some((r) => /sorry/i.test(r))).toBe(false);
    expect(recovered).toMatchObject({ handled: 1, failed: 0 });
    expect(repliesTo(bed, eve)).toHaveLength(sent);

    // Assert: every message is in S3 or in the window, once, in order.
    const session = await onlySession(bed, eve);
    const archived = await partMessages(bed, session);
    const window = conversationOf(session);
    const all = [...archived.filter((m) => m.seq < (window[0]?.seq ?? Infinity)), ...window];
    expect(isContiguous(all)).toBe(true);
    const userTexts = all.filter((m) => m.role === "user").map((m) => m.content);
    expect(userTexts).toEqual(Array.from({ length: sent }, (_, i) => text(i + 1)));
    expect(JSON.stringify(session).length).toBeLessThan(16 * 1024);
  });
});
