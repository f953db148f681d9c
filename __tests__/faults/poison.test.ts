import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { coldStart } from "../harness/lambda.js";
import { DynamoProxy } from "./dynamo-proxy.js";
import { useFaultBed } from "./fault-bed.js";
import {
  countContaining,
  type PollSummary,
  person,
  pollerItem,
  repliesTo,
  storedConversation,
  userItems,
} from "./support.js";

const MAX_ATTEMPTS = 3;

describe("faults: a poison update fails every time", () => {
  const { bed, guard } = useFaultBed({ env: { MAX_UPDATE_ATTEMPTS: String(MAX_ATTEMPTS) } });
  let proxy: DynamoProxy;
  let env: Record<string, string>;

  beforeAll(async () => {
    proxy = await DynamoProxy.start(bed.aws.dynamoUrl);
    env = { ...bed.env, AWS_ENDPOINT_URL_DYNAMODB: proxy.url };
  });
  beforeEach(() => {
    proxy.allow();
    bed.ollama.reset();
  });
  bed.beforeClose(() => proxy.close());

  const invoke = async () => {
    const { result, logs } = await bed.captureLogs(() =>
      coldStart(env).invoke<PollSummary>({}, { timeoutMs: 120_000 }),
    );
    guard.record(result);
    return { summary: result, logs };
  };

  it("poison update (DynamoDB throttles one user's items on every try): retried on later invokes, given up after MAX_UPDATE_ATTEMPTS with a log line and a reply, everyone else served", async () => {
    // Arrange
    const ada = person("Ada");
    const bob = person("Bob");
    const poison = bed.telegram.pushText(ada.user, ada.chat, "my data is on a hot partition");
    proxy.refuse({
      match: (_op, body) => body.includes(`"USER#${ada.user.id}"`),
      type: "ProvisionedThroughputExceededException",
      message:
        "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
    });

    // Act: one invoke per attempt; Bob writes before each
    const rounds: { summary: PollSummary; logs: string[]; attempts: unknown }[] = [];
    for (let round = 1; round <= MAX_ATTEMPTS; round++) {
      bed.telegram.pushText(bob.user, bob.chat, `bob round ${round}`);
      const { summary, logs } = await invoke();
      rounds.push({ summary, logs, attempts: (await pollerItem(bed))?.attempts });
    }
    const after = await pollerItem(bed);
    proxy.allow();
    const later = await invoke();

    // Assert: retried, then given up
    for (const [i, round] of rounds.slice(0, -1).entries()) {
      expect(round.summary).toMatchObject({ handled: 1, failed: 1, givenUp: 0, offset: poison });
      expect(round.summary.errors.join("\n")).toContain("ProvisionedThroughputExceededException");
      expect(round.attempts).toEqual({ [String(poison)]: i + 1 });
    }
    const last = rounds.at(-1);
    expect(last?.summary).toMatchObject({ handled: 1, failed: 0, givenUp: 1 });
    const givingUp = last?.logs.find((l) => l.includes("giving up"));
    expect(givingUp).toContain('"level":"error"');
    expect(givingUp).toContain(`"updateId":${poison}`);
    expect(givingUp).toContain(`"attempts":${MAX_ATTEMPTS}`);
    // What Ada sees: one apology, no answer (the model was never asked)
    expect(repliesTo(bed, ada)).toEqual([
      expect.stringContaining("couldn't process your message: after several attempts"),
    ]);
    expect(
      bed.ollama.chats().filter((r) => JSON.stringify(r.body).includes("hot partition")),
    ).toEqual([]);
    // Everyone else served each time, once
    for (let round = 1; round <= MAX_ATTEMPTS; round++)
      expect(countContaining(repliesTo(bed, bob), `You said: bob round ${round}`)).toBe(1);
    // The offset moved past it; nothing left pending; it is not retried again
    expect(Number(after?.next_offset)).toBeGreaterThan(poison);
    expect(after?.attempts).toEqual({});
    expect(later.summary).toMatchObject({ updates: 0, failed: 0 });
    expect(await userItems(bed, ada.user.id)).toEqual([]);
  });

  it("a malformed update (a message without a chat) is skipped with a log line and does not stall the batch", async () => {
    // Arrange
    const carol = person("Carol");
    const broken = bed.telegram.pushUpdate({
      message: { message_id: 7, date: 0, from: { id: 999_001, is_bot: false, first_name: "X" } },
    });
    bed.telegram.pushText(carol.user, carol.chat, "am I stuck behind it?");

    // Act
    const { summary, logs } = await invoke();
    const again = await invoke();

    // Assert
    expect(summary).toMatchObject({ updates: 2, handled: 1, skipped: 1, failed: 0 });
    expect(summary.offset).toBeGreaterThan(broken);
    const skipped = logs.find((l) => l.includes("update skipped"));
    expect(skipped).toContain(`"updateId":${broken}`);
    expect(skipped).toContain("malformed");
    expect(repliesTo(bed, carol)).toEqual(["You said: am I stuck behind it?"]);
    expect(again.summary).toMatchObject({ updates: 0 });
  });

  it("a malformed button press (an inline-mode press: no message it was under) is skipped at the edge with a log line naming the field, and its sender is still answered", async () => {
    // Arrange
    const dan = person("Dan");
    const press = bed.telegram.pushUpdate({
      callback_query: {
        id: "4100000001",
        from: { ...dan.user, is_bot: false },
        chat_instance: "1",
        inline_message_id: "AAAAAAAAAAA",
        data: "stop:1:1",
      },
    });
    bed.telegram.pushText(dan.user, dan.chat, "and now a real question");

    // Act
    const { summary, logs } = await invoke();

    // Assert
    expect(summary).toMatchObject({ updates: 2, handled: 1, skipped: 1, failed: 0 });
    expect(summary.offset).toBeGreaterThan(press);
    const skipped = logs.find((l) => l.includes("update skipped"));
    expect(skipped).toContain(`"updateId":${press}`);
    expect(skipped).toContain("malformed");
    expect(skipped).toContain("callback_query.message");
    expect(bed.telegram.callbackAnswers()).toEqual([]);
    expect(repliesTo(bed, dan)).toEqual(["You said: and now a real question"]);
  });

  it("an answer DynamoDB refuses to store (the item would pass 400 KB): given up at the first attempt, so its user gets one answer and one apology, not one answer per retry", async () => {
    // Arrange: a long session (250 KB live, under the trim-first bound) with a 140 KB system
    // prompt stored before prompts were bounded, and a runaway model: even cut to the stored
    // limit, its answer takes the item past DynamoDB's 400 KB limit.
    const dave = person("Dave");
    const erin = person("Erin");
    const now = new Date().toISOString();
    const sessionId = "20260101T000000Z-abcdef";
    const user = { id: dave.user.id, first_name: "Dave" };
    await bed.aws.db.send(
      new PutCommand({
        TableName: bed.aws.table,
        Item: {
          PK: `USER#${dave.user.id}`,
          SK: "PROFILE",
          item_type: "profile",
          user_id: dave.user.id,
          chat_id: dave.chat.id,
          current_model: "llama3",
          active_sessions: { llama3: sessionId },
          last_update_id: 0,
          user,
        },
      }),
    );
    const sessionItem = (contentLength: number) => {
      const conversation = Array.from({ length: 25 }, (_, i) => ({
        seq: i + 1,
        role: i % 2 === 0 ? "user" : "assistant",
        content: "x".repeat(contentLength),
        ts: now,
      }));
      return {
        PK: `USER#${dave.user.id}`,
        SK: `MODEL#llama3#SESSION#${sessionId}`,
        item_type: "session",
        user_id: dave.user.id,
        chat_id: dave.chat.id,
        model_name: "llama3",
        session_id: sessionId,
        conversation,
        message_count: conversation.length,
        archived_count: 0,
        window_bytes: 250_000,
        created_at: now,
        last_message_ts: now,
        status: "active",
        ollama_endpoint: bed.ollama.url,
        options: {},
        prompt_tokens: 0,
        completion_tokens: 0,
        total_ms: 0,
        replies: 12,
        system_prompt: "s".repeat(140_000),
        last_update_id: 0,
        user,
        GSI1PK: "ACTIVE",
        GSI1SK: now,
      };
    };
    await bed.aws.db.send(new PutCommand({ TableName: bed.aws.table, Item: sessionItem(10_000) }));
    bed.ollama.setReply("llama3", (req) =>
      req.messages.at(-1)?.content.startsWith("one more")
        ? "y".repeat(160_000)
        : `You said: ${req.messages.at(-1)?.content ?? ""}`,
    );
    const question = "one more message, please";
    const asked = bed.telegram.pushText(dave.user, dave.chat, question);

    // Act
    const rounds: { summary: PollSummary; logs: string[] }[] = [];
    for (let round = 1; round <= MAX_ATTEMPTS; round++) {
      bed.telegram.pushText(erin.user, erin.chat, `erin round ${round}`);
      rounds.push(await invoke());
    }

    // Assert
    expect(rounds[0]?.summary).toMatchObject({ handled: 1, failed: 0, givenUp: 1 });
    const givingUp = rounds[0]?.logs.find((l) => l.includes("giving up"));
    expect(givingUp).toContain("retrying cannot fix");
    expect(givingUp).toContain("ValidationException");
    for (const round of rounds.slice(1))
      expect(round.summary).toMatchObject({ updates: 1, handled: 1 });
    const toDave = repliesTo(bed, dave);
    const answer = toDave.filter((t) => t.startsWith("yyyy")).join("");
    expect(answer.startsWith("y".repeat(19_000))).toBe(true);
    expect(answer).toContain("the answer was cut here");
    expect(countContaining(toDave, "couldn't process your message")).toBe(1);
    expect(toDave.at(-1)).toContain("the database refused to store it (ValidationException)");
    for (let round = 1; round <= MAX_ATTEMPTS; round++)
      expect(countContaining(repliesTo(bed, erin), `You said: erin round ${round}`)).toBe(1);
    // What is stored: the session as it was (DynamoDB took nothing), the offset past the update
    const stored = await storedConversation(bed, dave.user.id);
    expect(stored).toHaveLength(25);
    expect(stored.some((m) => m.content === question)).toBe(false);
    expect(Number((await pollerItem(bed))?.next_offset)).toBeGreaterThan(asked);
  });
});
