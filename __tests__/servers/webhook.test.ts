import { describe, expect, it } from "@jest/globals";
import { useFaultBed, useQueuedWebhook } from "../faults/fault-bed.js";
import { person, repliesTo, webhookUpdate } from "../faults/support.js";
import { ollamaUrl, useServers } from "./support.js";

/**
 * Webhook mode answers each update in an invoke of its own, one at a time per
 * Lambda instance: an instance never sees another answer in flight, so "the
 * least busy server" is always a tie. Ties go by the chat, so the chats spread
 * over the servers, and each keeps to its own (its prompt stays cached there).
 */
describe("several Ollama servers in webhook mode: the chats spread over them", () => {
  const suite = useFaultBed({ resetOllama: true });
  const { bed } = suite;
  const servers = useServers(bed, 1);
  const webhook = useQueuedWebhook(suite, {
    runs: "same",
    env: () => ({ OLLAMA_URL: ollamaUrl(servers()) }),
  });

  it("answers twelve chats on both servers, each chat's two answers on the same one", async () => {
    // Arrange
    const people = Array.from({ length: 12 }, (_, i) => person(`Hook${i}`, { id: 7001 + i }));
    webhook.lambdaApi.hold = true;

    // Act: each writes twice; the queued invokes run one after another on one warm instance
    for (const round of ["first", "second"])
      for (const who of people) {
        const delivered = await webhook.deliver(webhookUpdate(who, `${round} from ${who.user.id}`));
        expect(delivered.statusCode).toBe(200);
      }
    await webhook.lambdaApi.runHeld({ order: "arrival", concurrency: 1 });
    await webhook.lambdaApi.settled();

    // Assess: everyone answered; both servers wrote answers; no chat moved between them
    for (const who of people)
      expect(repliesTo(bed, who)).toEqual([
        `You said: first from ${who.user.id}`,
        `You said: second from ${who.user.id}`,
      ]);
    const whoAsked = (server: number) =>
      (servers()[server]?.chats() ?? []).map((c) =>
        c.body.messages.at(-1)?.content.split(" ").at(-1),
      );
    const [onA, onB] = [whoAsked(0), whoAsked(1)];
    expect(onA.length).toBeGreaterThanOrEqual(4);
    expect(onB.length).toBeGreaterThanOrEqual(4);
    expect(onA.length + onB.length).toBe(24);
    expect(onA.filter((id) => onB.includes(id))).toEqual([]);
  });
});
