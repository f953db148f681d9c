import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "@jest/globals";
import { createTableInput } from "../../local/storage.js";
import { WEBHOOK_SECRET, webhookDelivery, webhookUpdate } from "../faults/support.js";
import {
  EMULATOR_CREDENTIALS,
  EMULATOR_REGION,
  readStorageFromStack,
} from "../harness/aws-emulators.js";
import { type TestBed, useTestBed } from "../harness/bed.js";
import { putUsageItem } from "../harness/items.js";
import { coldStart } from "../harness/lambda.js";
import { waitFor } from "../harness/people.js";
import {
  conversationOf,
  envWith,
  invoke,
  lastText,
  newPerson,
  type Person,
  say,
  sessionItems,
  textsTo,
  userItems,
} from "./support.js";

/** The UTC day of `date`, as the bot names it. */
const dayOf = (date: Date): string => date.toISOString().slice(0, 10);

/** Tokens the fake Ollama reported for every answer so far (prompt + answer, as the bot counts). */
function reportedTokens(bed: TestBed): number {
  return bed.ollama
    .chats()
    .reduce((n, r) => n + (r.reported ? r.reported.promptEvalCount + r.reported.evalCount : 0), 0);
}

async function usageItem(bed: TestBed, p: Person): Promise<Record<string, unknown> | undefined> {
  return (await userItems(bed, p.user.id)).find((i) => i.SK === "USAGE");
}

/** Sends each text in its own cold invoke, in order. */
async function sayAll(bed: TestBed, p: Person, lines: string[], env: Record<string, string>) {
  for (const line of lines) await say(bed, p, line, env);
}

describe("daily limits: DAILY_MESSAGE_LIMIT and DAILY_TOKEN_LIMIT", () => {
  const bed = useTestBed({ telegram: { flood: false }, resetOllama: true });

  it("refuses the message over the limit without calling the model, and says when it resets", async () => {
    // Arrange
    const ada = newPerson("Ada");
    const env = envWith(bed, { DAILY_MESSAGE_LIMIT: "2" });

    // Act
    await sayAll(bed, ada, ["one", "two", "three"], env);

    // Assess
    expect(bed.ollama.chats().map((r) => r.body.messages.at(-1)?.content)).toEqual(["one", "two"]);
    const refusal = lastText(bed, ada.chat.id);
    expect(refusal).toContain("today's limit of 2 messages");
    expect(refusal).toMatch(/resets at 00:00 UTC \(in (\d+ h \d{2} min|\d+ min)\)/);
    const [session] = await sessionItems(bed, ada.user.id);
    expect(conversationOf(session ?? {}).map((m) => m.content)).toEqual([
      "one",
      "You said: one",
      "two",
      "You said: two",
    ]);
  });

  it("refuses messages over the limit within one invoke too (the invoke's copy of the counters stays true)", async () => {
    // Arrange
    const bo = newPerson("Bo");
    const env = envWith(bed, { DAILY_MESSAGE_LIMIT: "1" });
    bed.telegram.pushText(bo.user, bo.chat, "first");
    bed.telegram.pushText(bo.user, bo.chat, "second");

    // Act
    await invoke(bed, env);

    // Assess
    expect(bed.ollama.chats()).toHaveLength(1);
    expect(textsTo(bed, bo.chat.id).at(-1)).toContain("today's limit of 1 message");
  });

  it("refuses over the limit in webhook mode too (each delivery its own invoke)", async () => {
    // Arrange
    const wes = newPerson("Wes");
    const env = envWith(bed, { DAILY_MESSAGE_LIMIT: "1", TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET });
    const deliver = (text: string) =>
      coldStart(env).invoke(webhookDelivery(webhookUpdate(wes, text), WEBHOOK_SECRET));

    // Act
    await deliver("over the webhook");
    await deliver("and once more");

    // Assess
    expect(bed.ollama.chats().map((r) => r.body.messages.at(-1)?.content)).toEqual([
      "over the webhook",
    ]);
    expect(lastText(bed, wes.chat.id)).toContain("today's limit of 1 message.");
  });

  it("lets admins (ADMIN_USER_IDS) past the limits", async () => {
    // Arrange
    const root = newPerson("Root");
    const env = envWith(bed, {
      DAILY_MESSAGE_LIMIT: "1",
      DAILY_TOKEN_LIMIT: "1",
      ADMIN_USER_IDS: String(root.user.id),
    });

    // Act
    await sayAll(bed, root, ["a", "b", "c"], env);

    // Assess
    expect(bed.ollama.chats()).toHaveLength(3);
    expect(textsTo(bed, root.chat.id).filter((t) => t.includes("limit"))).toEqual([]);
    expect(await usageItem(bed, root)).toMatchObject({ day_messages: 3, messages: 3 });
  });

  it("counts Ollama's prompt_eval_count + eval_count against DAILY_TOKEN_LIMIT; the turn that crosses it completes", async () => {
    // Arrange: the fake reports 42 answer tokens plus about a token per 4 prompt characters
    const cy = newPerson("Cy");
    const env = envWith(bed, { DAILY_TOKEN_LIMIT: "60" });

    // Act
    await sayAll(bed, cy, ["hello", "again", "and again"], env);

    // Assess: 1st turn under 60, 2nd started under it and crossed it, 3rd refused
    expect(bed.ollama.chats()).toHaveLength(2);
    const used = reportedTokens(bed);
    expect(used).toBeGreaterThanOrEqual(60);
    expect(lastText(bed, cy.chat.id)).toContain(`today's limit of 60 tokens (used: ${used})`);
    expect(await usageItem(bed, cy)).toMatchObject({ day_tokens: used, tokens: used });
  });

  it("starts a new day at UTC midnight: yesterday's counters no longer count, all-time ones keep growing", async () => {
    // Arrange: yesterday the user used up their messages
    const di = newPerson("Di");
    const yesterday = dayOf(new Date(Date.now() - 86_400_000));
    await putUsageItem(bed, di.user.id, {
      day: yesterday,
      dayMessages: 2,
      dayTokens: 500,
      messages: 10,
      tokens: 5000,
    });
    const env = envWith(bed, { DAILY_MESSAGE_LIMIT: "2" });

    // Act
    await say(bed, di, "a new day", env);

    // Assess
    expect(bed.ollama.chats()).toHaveLength(1);
    const used = reportedTokens(bed);
    expect(await usageItem(bed, di)).toMatchObject({
      usage_day: dayOf(new Date()),
      day_messages: 1,
      day_tokens: used,
      messages: 11,
      tokens: 5000 + used,
    });
  });

  it("refuses a user whose stored counters for today are at the limit (another invoke counted them)", async () => {
    // Arrange
    const ed = newPerson("Ed");
    await putUsageItem(bed, ed.user.id, {
      day: dayOf(new Date()),
      dayMessages: 0,
      dayTokens: 1000,
      messages: 0,
      tokens: 1000,
    });

    // Act
    await say(bed, ed, "anything?", envWith(bed, { DAILY_TOKEN_LIMIT: "1000" }));

    // Assess
    expect(bed.ollama.chats()).toHaveLength(0);
    expect(lastText(bed, ed.chat.id)).toContain("today's limit of 1,000 tokens (used: 1,000)");
  });
});

describe("usage counts of messages sent together", () => {
  const bed = useTestBed({ telegram: { flood: false }, resetOllama: true });

  it("counts a user's messages answered in one invoke with one write, and /usage among them sees every turn", async () => {
    // Arrange: three questions and /usage, all waiting when the invoke starts
    const ivy = newPerson("Ivy");
    for (const text of ["one", "two", "three", "/usage"])
      bed.telegram.pushText(ivy.user, ivy.chat, text);
    const before = bed.aws.dynamoRequests().length;

    // Act
    await invoke(bed);

    // Assess
    const used = reportedTokens(bed);
    expect(lastText(bed, ivy.chat.id).split("\n")[1]).toBe(
      `Today (${dayOf(new Date())}, UTC): 3 messages · ${used} tokens`,
    );
    expect(await usageItem(bed, ivy)).toMatchObject({ day_messages: 3, messages: 3, tokens: used });
    const usageWrites = bed.aws
      .dynamoRequests()
      .slice(before)
      .filter(
        (c) =>
          c.operation === "UpdateItem" &&
          c.body.includes(`"USER#${ivy.user.id}"`) &&
          c.body.includes('"USAGE"'),
      );
    expect(usageWrites).toHaveLength(1);
  });

  it("writes a user's held count once their last waiting update is done, while someone else's answer still runs", async () => {
    // Arrange: Kai's answer streams until released; Lou sends a question and /help together
    const kai = newPerson("Kai");
    const lou = newPerson("Lou");
    const hold = bed.ollama.holdAfterFirstChunk(
      (b) => b.messages.at(-1)?.content === "take your time",
    );
    bed.telegram.pushText(kai.user, kai.chat, "take your time");
    for (const text of ["quick one", "/help"]) bed.telegram.pushText(lou.user, lou.chat, text);
    const louCounted = () =>
      bed.aws
        .dynamoRequests()
        .some(
          (c) =>
            c.operation === "UpdateItem" &&
            c.status === 200 &&
            c.body.includes(`"USER#${lou.user.id}"`) &&
            c.body.includes('"USAGE"'),
        );

    // Act
    const running = invoke(bed);
    // Assess (first part): written while Kai's answer is still held
    try {
      await waitFor(louCounted, 10_000, "Lou's usage write while Kai's answer runs");
    } finally {
      hold.release();
      await running;
    }

    // Assess
    expect(await usageItem(bed, lou)).toMatchObject({ day_messages: 1, messages: 1 });
    expect(textsTo(bed, kai.chat.id).join("\n")).toContain("take your time");
  });
});

describe("/usage and /usage all", () => {
  const bed = useTestBed({ telegram: { flood: false }, resetOllama: true });

  it("shows today's and all-time messages and tokens after several turns, and the limits", async () => {
    // Arrange
    const fay = newPerson("Fay");
    const env = envWith(bed, { DAILY_MESSAGE_LIMIT: "20", DAILY_TOKEN_LIMIT: "50000" });
    await sayAll(bed, fay, ["one", "two", "three"], env);
    const used = reportedTokens(bed);

    // Act
    await say(bed, fay, "/usage", env);

    // Assess
    const lines = lastText(bed, fay.chat.id).split("\n");
    expect(lines.slice(0, 3)).toEqual([
      "📊 Your usage",
      `Today (${dayOf(new Date())}, UTC): 3 messages · ${used} tokens`,
      `All time: 3 messages · ${used} tokens`,
    ]);
    expect(lines[3]).toMatch(
      /^Daily limits: 20 messages · 50,000 tokens; they reset at 00:00 UTC \(in .+\)$/,
    );
  });

  it("counts without limits too, and says there are none", async () => {
    // Arrange
    const gil = newPerson("Gil");
    await sayAll(bed, gil, ["one", "two"], envWith(bed));

    // Act
    await say(bed, gil, "/usage");

    // Assess
    expect(lastText(bed, gil.chat.id).split("\n").slice(2)).toEqual([
      `All time: 2 messages · ${reportedTokens(bed)} tokens`,
      "Daily limits: none",
    ]);
  });

  it("refuses /usage all to users who are not admins", async () => {
    // Arrange
    const hal = newPerson("Hal");
    const admin = newPerson("Admin");
    const env = envWith(bed, { ADMIN_USER_IDS: String(admin.user.id) });

    // Act
    await say(bed, hal, "/usage all", env);

    // Assess
    expect(lastText(bed, hal.chat.id)).toBe(
      "Only the bot's admins can see everyone's usage. /usage shows yours.",
    );
  });

  it("lists today's top users by tokens for admins, with one Query of the usage index and no Scan", async () => {
    // Arrange: three users with more and more tokens today
    const admin = newPerson("Boss");
    const env = envWith(bed, { ADMIN_USER_IDS: String(admin.user.id) });
    const light = newPerson("Light");
    const heavy = newPerson("Heavy");
    await say(bed, light, "hi", env);
    bed.ollama.reset();
    await say(bed, heavy, "a much longer question that costs more prompt tokens than hi does", env);
    const heavyTokens = reportedTokens(bed);
    const before = bed.aws.dynamoCalls().length;

    // Act
    await say(bed, admin, "/usage all", env);

    // Assess
    const lines = lastText(bed, admin.chat.id).split("\n");
    expect(lines[0]).toBe(`📊 Top users today (${dayOf(new Date())}, UTC), by tokens`);
    const heavyLine = lines.findIndex((l) => l.includes(`(${heavy.user.id})`));
    const lightLine = lines.findIndex((l) => l.includes(`(${light.user.id})`));
    expect(heavyLine).toBeGreaterThan(0);
    expect(lightLine).toBeGreaterThan(heavyLine);
    expect(lines[heavyLine]).toContain(
      `@${heavy.user.username} (${heavy.user.id}): 1 message · ${heavyTokens} tokens`,
    );
    const calls = bed.aws.dynamoCalls().slice(before);
    expect(calls.filter((c) => c.operation === "Scan")).toEqual([]);
    expect(calls.filter((c) => c.indexName === "UsageByDay")).toEqual([
      { operation: "Query", indexName: "UsageByDay" },
    ]);
  });

  it("tells the admin, instead of failing, when the table predates the usage index", async () => {
    // Arrange: a table as an earlier version of the stack created it (no UsageByDay)
    const { table } = readStorageFromStack();
    const old = {
      ...table,
      name: "OldChatbotSessions",
      global_secondary_index: (table.global_secondary_index ?? []).filter(
        (g) => g.name !== "UsageByDay",
      ),
      attribute: table.attribute.filter((a) => !["usage_day", "day_tokens"].includes(a.name)),
    };
    const client = new DynamoDBClient({
      endpoint: bed.aws.dynamoUrl,
      region: EMULATOR_REGION,
      credentials: EMULATOR_CREDENTIALS,
    });
    await client.send(new CreateTableCommand(createTableInput(old)));
    client.destroy();
    const admin = newPerson("OldAdmin");
    const env = envWith(bed, {
      SESSIONS_TABLE: "OldChatbotSessions",
      ADMIN_USER_IDS: String(admin.user.id),
    });

    // Act
    await say(bed, admin, "counted on the old table", env);
    await say(bed, admin, "/usage all", env);

    // Assess
    expect(lastText(bed, admin.chat.id)).toBe(
      "/usage all needs the table's UsageByDay index, which this table predates. Deploy the stack again (it adds the index); with npm start, use a new DATA_DIR.",
    );
    await say(bed, admin, "/usage", env);
    expect(lastText(bed, admin.chat.id)).toContain("All time: 1 message · ");
  });
});
